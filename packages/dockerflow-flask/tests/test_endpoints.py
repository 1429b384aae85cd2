"""/__lbheartbeat__, /__error__, HEAD and caching headers of the health endpoints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow

HEALTH_PATHS = ["/__version__", "/__heartbeat__", "/__lbheartbeat__"]


def test_lbheartbeat_answers_200_and_runs_no_check(app: Flask) -> None:
    """/__lbheartbeat__ is 200 and never calls a check."""
    dockerflow = Dockerflow(app)
    calls: list[int] = []
    dockerflow.check(lambda: calls.append(1) or [], name="counted")

    response = app.test_client().get("/__lbheartbeat__")

    assert response.status_code == 200
    assert calls == []


@pytest.mark.parametrize("path", HEALTH_PATHS)
def test_health_endpoints_send_cache_control_no_store(app: Flask, path: str) -> None:
    """Every health endpoint forbids caching, whatever its status."""
    Dockerflow(app)

    response = app.test_client().get(path)

    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", HEALTH_PATHS)
def test_health_endpoints_answer_head(app: Flask, path: str) -> None:
    """HEAD works on every health endpoint, with the GET status and no body."""
    (Path(app.root_path).parent / "version.json").write_text('{"version": "1"}')
    Dockerflow(app)
    client = app.test_client()

    head = client.head(path)

    assert head.status_code == client.get(path).status_code == 200
    assert head.data == b""
    assert head.headers["Cache-Control"] == "no-store"


def test_error_endpoint_logs_and_raises_by_default(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """/__error__ is on by default: it logs an error, then the app answers 500."""
    Dockerflow(app)
    caplog.set_level(logging.INFO, logger="request.summary")

    response = app.test_client().get("/__error__")

    assert response.status_code == 500
    records = [r for r in caplog.records if r.name != app.logger.name]
    order = [(r.name, r.levelno, r.getMessage()) for r in records]
    raised = "This is a test exception from the /__error__ endpoint."
    assert order == [
        ("dockerflow.flask", logging.ERROR, "The __error__ endpoint was called"),
        ("request.summary", logging.ERROR, raised),
    ]


def test_error_endpoint_raises_to_the_caller_in_testing(make_app: Any) -> None:
    """With exceptions propagating (TESTING) the test exception reaches the caller."""
    app = make_app(TESTING=True)
    Dockerflow(app)

    with pytest.raises(Exception, match="__error__"):
        app.test_client().get("/__error__")


def test_error_endpoint_can_be_turned_off(make_app: Any) -> None:
    """DOCKERFLOW_ENABLE_ERROR_ENDPOINT=False makes /__error__ a 404."""
    app = make_app(DOCKERFLOW_ENABLE_ERROR_ENDPOINT=False)
    Dockerflow(app)

    assert app.test_client().get("/__error__").status_code == 404


def test_endpoints_belong_to_the_dockerflow_blueprint(app: Flask) -> None:
    """All endpoints come from one blueprint named ``dockerflow``."""
    Dockerflow(app)

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/__")}

    assert "dockerflow" in app.blueprints
    assert endpoints == {
        "dockerflow.version",
        "dockerflow.heartbeat",
        "dockerflow.lbheartbeat",
        "dockerflow.error",
    }
