"""DOCKERFLOW_* settings: defaults filled in, bad values refused at init_app."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dockerflow.checks import DEFAULT_CHECK_TIMEOUT, WARNING
from dockerflow.flask import Dockerflow, DockerflowConfigError
from dockerflow.flask._config import DEFAULTS

README = Path(__file__).resolve().parents[1] / "README.md"
CONFIG_MODULE = Path(__file__).resolve().parents[1] / "src/dockerflow/flask/_config.py"


def test_init_app_fills_in_every_default(make_app: Any) -> None:
    """Missing keys get their documented default with setdefault; set ones are kept."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
    Dockerflow(app)

    assert app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] == 503
    assert app.config["DOCKERFLOW_HEARTBEAT_FAIL_LEVEL"] == "ERROR"
    assert app.config["DOCKERFLOW_CHECK_TIMEOUT"] == DEFAULT_CHECK_TIMEOUT
    assert app.config["DOCKERFLOW_REQUEST_ID_HEADER_NAME"] == "X-Request-ID"
    assert {key for key in app.config if key.startswith("DOCKERFLOW_")} == set(DEFAULTS)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", "SEVERE"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", 35),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 200),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 600),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", "5xx"),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", True),
        ("DOCKERFLOW_CHECK_TIMEOUT", -1),
        ("DOCKERFLOW_CHECK_TIMEOUT", 0),
        ("DOCKERFLOW_CHECK_TIMEOUT", "soon"),
        ("DOCKERFLOW_CHECK_TIMEOUT", float("nan")),
        ("DOCKERFLOW_HEARTBEAT_CACHE_TTL", -5),
        ("DOCKERFLOW_HEARTBEAT_CACHE_TTL", "a while"),
        ("DOCKERFLOW_HEARTBEAT_DETAILS", "maybe"),
        ("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", None),
        ("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", 2),
        ("DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS", "nope"),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", "X Request ID"),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", ""),
    ],
)
def test_bad_values_raise_at_init_app(make_app: Any, key: str, value: Any) -> None:
    """A bad setting raises DockerflowConfigError naming the key, before any request."""
    app = make_app(**{key: value})

    with pytest.raises(DockerflowConfigError, match=re.escape(key)):
        Dockerflow(app)
    assert "dockerflow" not in app.extensions


@pytest.mark.parametrize(
    ("config", "attribute", "expected"),
    [
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "warning"}, "heartbeat_fail_level", WARNING),
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": 30}, "heartbeat_fail_level", WARNING),
        ({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "503"}, "heartbeat_failed_status_code", 503),
        ({"DOCKERFLOW_CHECK_TIMEOUT": "1.5"}, "check_timeout", 1.5),
        ({"DOCKERFLOW_HEARTBEAT_CACHE_TTL": 0}, "heartbeat_cache_ttl", 0.0),
        ({"DOCKERFLOW_HEARTBEAT_DETAILS": "false"}, "heartbeat_details", False),
        ({"DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": "1"}, "summary_log_querystring", True),
        ({"DOCKERFLOW_ENABLE_ERROR_ENDPOINT": "off"}, "enable_error_endpoint", False),
    ],
)
def test_environment_style_values_are_accepted(
    make_app: Any, config: dict[str, Any], attribute: str, expected: Any
) -> None:
    """Strings as read from the environment are understood."""
    app = make_app(**config)
    Dockerflow(app)

    assert getattr(app.extensions["dockerflow"].config, attribute) == expected


@pytest.mark.parametrize("document", [README, CONFIG_MODULE], ids=["README", "_config.py"])
def test_every_setting_is_documented_with_its_default(document: Path) -> None:
    """The README table and _config.py's docstring name every key and its default."""
    text = document.read_text(encoding="utf-8")
    for key, default in DEFAULTS.items():
        rows = [line for line in text.splitlines() if f"``{key}``" in line or f"`{key}`" in line]
        assert rows, f"{key} missing from {document.name}"
        shown = repr(default) if isinstance(default, str) else str(default)
        assert any(shown.replace("'", '"') in row.replace("'", '"') for row in rows), (
            f"{key}'s default {shown} missing from {document.name}"
        )
