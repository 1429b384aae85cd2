"""log_heartbeat: one summary record per heartbeat on the dockerflow.heartbeat logger."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from dockerflow.checks import (
    CRITICAL,
    ERROR,
    INFO,
    WARNING,
    CheckMessage,
    CheckRunner,
    Critical,
    Error,
    Info,
    Warning,
    log_heartbeat,
    run_checks,
)

HEARTBEAT = "dockerflow.heartbeat"


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Any:
    """The dockerflow.heartbeat records of the test, captured from DEBUG up."""
    caplog.set_level(logging.DEBUG, logger=HEARTBEAT)
    return lambda: [record for record in caplog.records if record.name == HEARTBEAT]


def napping(seconds: float, *messages: CheckMessage) -> Any:
    def check() -> list[CheckMessage]:
        time.sleep(seconds)
        return list(messages)

    return check


@pytest.mark.parametrize(
    ("messages", "fail_level", "record_level", "verdict"),
    [
        ([], ERROR, logging.INFO, "passed"),
        ([Info("i", id="x.I1")], ERROR, logging.INFO, "passed"),
        ([Warning("w", id="x.W1")], ERROR, logging.INFO, "passed"),
        ([Warning("w", id="x.W1")], WARNING, logging.WARNING, "failed"),
        ([Info("i", id="x.I1")], INFO, logging.WARNING, "failed"),
        ([Error("e", id="x.E1")], ERROR, logging.ERROR, "failed"),
        ([Error("e", id="x.E1")], WARNING, logging.ERROR, "failed"),
        ([Critical("c", id="x.C1")], ERROR, logging.ERROR, "failed"),
        ([Critical("c", id="x.C1")], CRITICAL, logging.ERROR, "failed"),
        ([Error("e", id="x.E1")], CRITICAL, logging.INFO, "passed"),
    ],
)
def test_record_level_is_info_when_passed_else_warning_or_error(
    records: Any, messages: list[CheckMessage], fail_level: int, record_level: int, verdict: str
) -> None:
    """INFO below the fail level; above it, ERROR from an error up, WARNING below that."""
    results = run_checks([("probe", lambda: messages)], timeout=5)

    log_heartbeat(results, fail_level=fail_level)

    (record,) = records()
    assert record.levelno == record_level
    assert record.getMessage().startswith(f"Heartbeat {verdict}: {results.statuses['probe']} in ")


def test_default_fail_level_is_error(records: Any) -> None:
    """Without fail_level, as DOCKERFLOW_HEARTBEAT_FAIL_LEVEL's default: a warning passes."""
    log_heartbeat(run_checks([("w", lambda: [Warning("w")])], timeout=5))
    log_heartbeat(run_checks([("e", lambda: [Error("e")])], timeout=5))
    assert [record.levelno for record in records()] == [logging.INFO, logging.ERROR]


def test_record_fields_hold_status_total_time_and_each_check(records: Any) -> None:
    """status, duration_ms, cached, and checks: every check's status and duration."""
    results = run_checks(
        [("slow", napping(0.1)), ("warns", napping(0.05, Warning("w", id="x.W1")))], timeout=5
    )

    log_heartbeat(results)

    (record,) = records()
    fields: dict[str, Any] = record.__dict__
    assert fields["status"] == "warning"
    assert fields["cached"] is False
    assert 100 <= fields["duration_ms"] < 5000
    assert fields["duration_ms"] == results.total_ms
    assert fields["checks"] == {
        "slow": {"status": "ok", "duration_ms": results.durations_ms["slow"]},
        "warns": {"status": "warning", "duration_ms": results.durations_ms["warns"]},
    }
    assert 100 <= fields["checks"]["slow"]["duration_ms"] < 5000
    assert 50 <= fields["checks"]["warns"]["duration_ms"] < 5000


def test_a_cached_answer_is_logged_and_marked(records: Any) -> None:
    """Each answer gets its record; the reused one says cached."""
    runner = CheckRunner(timeout=5, cache_ttl=30)
    checks = {"slow": napping(0.05)}  # the cache knows checks by identity: the same one twice
    for _ in range(2):
        log_heartbeat(runner.run(checks))

    first, second = records()
    assert (first.cached, second.cached) == (False, True)  # type: ignore[attr-defined]
    assert second.getMessage().endswith(" ms (cached)")
    assert second.checks == first.checks  # type: ignore[attr-defined]


def test_results_built_by_hand_are_logged_without_durations(records: Any) -> None:
    """A python-dockerflow style ChecksResults(details, statuses, level) still logs."""
    from dockerflow.checks import ChecksResults

    log_heartbeat(ChecksResults({}, {"a": "ok"}, 0))

    (record,) = records()
    assert record.checks == {"a": {"status": "ok", "duration_ms": None}}  # type: ignore[attr-defined]


@pytest.mark.parametrize("quieten", ["disabled", "level"])
def test_no_record_when_the_logger_is_off(records: Any, quieten: str) -> None:
    """A disabled logger, or one set above the record's level, gets nothing."""
    logger = logging.getLogger(HEARTBEAT)
    results = run_checks([("e", lambda: [Error("e")])], timeout=5)
    if quieten == "disabled":
        logger.disabled = True
    else:
        logger.setLevel(logging.CRITICAL)
    try:
        log_heartbeat(results)
    finally:
        logger.disabled = False
    assert records() == []


def test_warning_level_keeps_failures_only(records: Any) -> None:
    """The documented way to quieten it: passing heartbeats go, failing ones stay."""
    logging.getLogger(HEARTBEAT).setLevel(logging.WARNING)
    log_heartbeat(run_checks([("fine", list)], timeout=5))
    log_heartbeat(run_checks([("down", lambda: [Error("down")])], timeout=5))
    assert [record.status for record in records()] == ["error"]  # type: ignore[attr-defined]
