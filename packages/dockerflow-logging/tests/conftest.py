"""Fixtures shared by the dockerflow-logging tests.

Helpers are handed out as fixtures (``make_record``, ``parse_line``) because
test modules cannot import this file reliably in importlib mode.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from dockerflow.logging import MozlogFormatter

ENVELOPE_KEYS = {
    "Timestamp",
    "Type",
    "Logger",
    "Hostname",
    "EnvVersion",
    "Severity",
    "Pid",
    "Fields",
}


@pytest.fixture(params=["json", "orjson"])
def encoder(request: pytest.FixtureRequest) -> str:
    """Each JSON encoder the formatter offers: the tests run once with each."""
    if request.param == "orjson":
        pytest.importorskip("orjson")
    return str(request.param)


@pytest.fixture
def formatter(encoder: str) -> MozlogFormatter:
    """A formatter using the encoder under test."""
    return MozlogFormatter(logger_name="test-app", encoder=encoder)


def _make_record(
    msg: Any = "hello",
    args: Any = (),
    *,
    name: str = "test.logger",
    level: int = logging.INFO,
    extra: dict[str, Any] | None = None,
    exc_info: Any = None,
) -> logging.LogRecord:
    """Build a record the way ``Logger.info`` does, ``extra=`` included."""
    return logging.getLogger(name).makeRecord(
        name, level, __file__, 42, msg, args, exc_info, "test_func", extra
    )


def _parse_line(line: str) -> dict[str, Any]:
    """Assert ``line`` is one line of JSON holding the mozlog envelope; return it."""
    assert isinstance(line, str)
    assert len(line.splitlines()) == 1, line
    assert "\n" not in line
    assert "\r" not in line
    parsed = json.loads(line)
    assert set(parsed) == ENVELOPE_KEYS
    assert isinstance(parsed["Fields"], dict)
    return parsed


@pytest.fixture
def make_record() -> Any:
    """The record builder: ``make_record(msg, args, name=, level=, extra=, exc_info=)``."""
    return _make_record


@pytest.fixture
def parse_line() -> Any:
    """The line checker: asserts one line of JSON with the envelope, returns it parsed."""
    return _parse_line
