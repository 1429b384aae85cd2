"""The dockerflow.heartbeat record: every failing run, and passing runs whose status changed."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from dockerflow.checks import (
    CRITICAL,
    ERROR,
    INFO,
    WARNING,
    CheckMessage,
    Critical,
    Error,
    Heartbeat,
    Info,
    Warning,
)

HEARTBEAT = "dockerflow.heartbeat"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Any:
    """The dockerflow.heartbeat records of the test, captured from DEBUG up."""
    caplog.set_level(logging.DEBUG, logger=HEARTBEAT)
    return lambda: [record for record in caplog.records if record.name == HEARTBEAT]


def answering(*messages: CheckMessage) -> Any:
    return lambda: list(messages)


@pytest.mark.parametrize(
    ("messages", "fail_level", "record_level"),
    [
        ([Warning("w", id="x.W1")], WARNING, logging.WARNING),
        ([Info("i", id="x.I1")], INFO, logging.WARNING),
        ([Error("e", id="x.E1")], ERROR, logging.ERROR),
        ([Error("e", id="x.E1")], WARNING, logging.ERROR),
        ([Critical("c", id="x.C1")], ERROR, logging.ERROR),
        ([Critical("c", id="x.C1")], CRITICAL, logging.ERROR),
    ],
)
def test_every_failing_run_is_logged_at_warning_or_error(
    records: Any, messages: list[CheckMessage], fail_level: int, record_level: int
) -> None:
    """From the fail level up, each run is logged: ERROR from an error up, else WARNING."""
    heartbeat = Heartbeat(timeout=5, fail_level=fail_level)
    for _ in range(3):
        results = heartbeat.run({"probe": answering(*messages)})
        assert not results.passed

    logged = records()
    assert [record.levelno for record in logged] == [record_level] * 3
    status = results.statuses["probe"]
    assert all(r.getMessage().startswith(f"Heartbeat failed: {status} in ") for r in logged)


def test_passing_runs_are_logged_only_when_the_status_changes(records: Any) -> None:
    """ok, ok, warning, warning, ok: two INFO records, each saying what it was and how long."""
    heartbeat = Heartbeat(timeout=5)
    answers = [[], [], [Warning("w", id="x.W1")], [Warning("w", id="x.W1")], []]
    for messages in answers:
        assert heartbeat.run({"probe": answering(*messages)}).passed

    warned, recovered = records()
    assert (warned.levelno, recovered.levelno) == (logging.INFO, logging.INFO)
    assert warned.getMessage().startswith("Heartbeat passed: warning in ")
    assert " (was ok for " in warned.getMessage()
    assert (warned.status, warned.previous_status) == ("warning", "ok")  # type: ignore[attr-defined]
    assert (recovered.status, recovered.previous_status) == ("ok", "warning")  # type: ignore[attr-defined]
    assert recovered.previous_status_s >= 0  # type: ignore[attr-defined]


def test_a_first_passing_run_that_is_not_ok_is_logged(records: Any) -> None:
    """A worker starting with a warning says so once; a first ok run is no news."""
    Heartbeat(timeout=5).run({"probe": answering()})
    Heartbeat(timeout=5).run({"probe": answering(Warning("w", id="x.W1"))})

    (record,) = records()
    assert record.status == "warning"  # type: ignore[attr-defined]
    assert record.previous_status is None  # type: ignore[attr-defined]


def test_record_fields_hold_status_total_time_and_each_checks_duration(records: Any) -> None:
    """status, duration_ms, and checks: every check's status and duration."""
    results = Heartbeat(timeout=5).run(
        {"fine": answering(), "down": answering(Error("e", id="x.E1"))}
    )

    (record,) = records()
    fields: dict[str, Any] = record.__dict__
    assert fields["status"] == "error"
    assert fields["duration_ms"] == results.total_ms
    assert fields["checks"] == {
        "fine": {"status": "ok", "duration_ms": results.durations_ms["fine"]},
        "down": {"status": "error", "duration_ms": results.durations_ms["down"]},
    }


def test_an_answer_shared_from_the_cache_adds_no_record(records: Any) -> None:
    """One run, one record: the callers sharing it do not log it again."""
    heartbeat = Heartbeat(timeout=5, cache_ttl=30)
    first = heartbeat.run({"down": answering(Error("e", id="x.E1"))})
    second = heartbeat.run({"down": answering(Error("e", id="x.E1"))})

    assert (first.cached, second.cached) == (False, True)
    assert len(records()) == 1


def test_no_record_when_the_logger_is_off(records: Any) -> None:
    """A disabled logger gets nothing, and the heartbeat still answers."""
    logger = logging.getLogger(HEARTBEAT)
    logger.disabled = True
    try:
        results = Heartbeat(timeout=5).run({"e": answering(Error("e"))})
    finally:
        logger.disabled = False
    assert results.statuses == {"e": "error"}
    assert records() == []


def test_checks_run_inside_the_context_given(records: Any) -> None:
    """``context`` (a Flask app's app_context, say) is entered around each check."""
    entered = threading.Event()

    class Context:
        def __enter__(self) -> None:
            entered.set()

        def __exit__(self, *exc: object) -> None:
            pass

    results = Heartbeat(timeout=5, context=Context).run({"fine": answering()})
    assert results.statuses == {"fine": "ok"}
    assert entered.is_set()
