"""Fixtures for the Flask extension tests: apps, clients and captured records.

The default check registry is emptied around every test by the root conftest.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask

from dockerflow.logging import RequestIdLogFilter

SUMMARY = "request.summary"

AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(tmp_path: Path) -> AppFactory:
    """Build a Flask app rooted in ``tmp_path/app`` (so version.json lives in tmp_path)."""
    counter = iter(range(1000))

    def factory(**config: Any) -> Flask:
        root = tmp_path / "app"
        root.mkdir(exist_ok=True)
        app = Flask(f"dockerflow_test_app_{next(counter)}", root_path=str(root))
        app.config.update(config)
        return app

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """A plain app; unhandled errors become 500 responses as in production."""
    return make_app()


@pytest.fixture
def summary_records(caplog: pytest.LogCaptureFixture) -> Callable[[], list[logging.LogRecord]]:
    """Capture ``request.summary`` at INFO; call the fixture to get its records."""
    caplog.set_level(logging.INFO, logger=SUMMARY)

    def records() -> list[logging.LogRecord]:
        return [record for record in caplog.records if record.name == SUMMARY]

    return records


@pytest.fixture
def app_records() -> Iterator[list[logging.LogRecord]]:
    """Records of the ``app`` logger, as RequestIdLogFilter leaves them (rid, trace_id, span_id)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
