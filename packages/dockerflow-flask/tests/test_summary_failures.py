"""A broken request.summary handler or filter never breaks the request it logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow


class RaisingHandler(logging.Handler):
    """A handler whose emit raises instead of calling handleError."""

    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("handler broke")


class RaisingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        raise RuntimeError("filter broke")


@pytest.fixture
def summary_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("request.summary")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield logger
    logger.setLevel(level)


def make_app() -> Flask:
    app = Flask(__name__)
    Dockerflow(app)

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    @app.get("/boom")
    def boom() -> str:
        raise ValueError("boom")

    return app


@pytest.mark.parametrize("breakage", ["handler", "filter"])
def test_raising_handler_or_filter_keeps_the_response(
    summary_logger: logging.Logger, breakage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The request answers as if logging worked; the failure is reported on stderr."""
    broken: logging.Handler | logging.Filter
    if breakage == "handler":
        broken = RaisingHandler()
        summary_logger.addHandler(broken)
    else:
        broken = RaisingFilter()
        summary_logger.addFilter(broken)
    try:
        client = make_app().test_client()
        response = client.get("/hello", headers={"X-Request-ID": "abc-123"})
        error = client.get("/boom")
    finally:
        if isinstance(broken, logging.Handler):
            summary_logger.removeHandler(broken)
        else:
            summary_logger.removeFilter(broken)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "hello"
    assert response.headers["X-Request-ID"] == "abc-123"
    assert error.status_code == 500
    stderr = capsys.readouterr().err
    assert stderr.count("writing a request.summary record failed") == 2
    assert f"{breakage} broke" in stderr
