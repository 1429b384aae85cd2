"""How long each check ran, whether a result was cached, and the slow-check warning.

Real checks that sleep; bounds are generous (a sleep lasts at least its time,
and nothing here should take seconds), never tight.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from typing import Any

import pytest

from dockerflow import health
from dockerflow.checks import CheckMessage, ChecksResults, Heartbeat, Warning, run_checks

REGISTRY = "dockerflow.checks.registry"


def sleeper(seconds: float, *messages: CheckMessage) -> Any:
    def check() -> list[CheckMessage]:
        time.sleep(seconds)
        return list(messages)

    return check


def slow_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == REGISTRY
        and getattr(record, "check_id", None) == health.WARNING_CHECK_SLOW
    ]


def test_each_check_is_timed_on_its_own() -> None:
    """durations_ms has every check, each about its own sleep, whatever the others took."""
    runner = Heartbeat(timeout=5)
    results = runner.run(
        {
            "quick": list,
            "slow": sleeper(0.25),
            "warns": sleeper(0.05, Warning("w", id="x.W1")),
        }
    )
    durations = results.durations_ms
    assert set(durations) == {"quick", "slow", "warns"}
    assert all(isinstance(value, float) for value in durations.values())
    assert 250 <= durations["slow"] < 5000
    assert 50 <= durations["warns"] < 5000
    assert 0 <= durations["quick"] < durations["slow"]
    # Concurrent: the call took about its slowest check, not the sum.
    assert durations["slow"] <= results.total_ms < 5000
    assert results.cached is False


def test_module_level_run_checks_gives_durations_too() -> None:
    """A caller without Flask gets the same data from run_checks."""
    results = run_checks([("slow", sleeper(0.1))], timeout=5)
    assert 100 <= results.durations_ms["slow"] < 5000
    assert results.total_ms >= results.durations_ms["slow"]


def test_timed_out_check_lasts_until_the_timeout_was_declared(release: threading.Event) -> None:
    """A hanging check's duration is the time until the runner gave up on it, not its end."""
    runner = Heartbeat(timeout=0.3)
    finished = threading.Event()

    def hangs() -> None:
        release.wait(30)
        finished.set()

    results = runner.run({"hangs": hangs})
    still_hanging = not finished.is_set()
    assert health.ERROR_CHECK_TIMEOUT in results.details["hangs"]["messages"]
    assert still_hanging
    assert 250 <= results.durations_ms["hangs"] <= results.total_ms


def test_check_still_running_from_an_earlier_run_reports_its_age(
    release: threading.Event,
) -> None:
    """Not started again, it is reported with the time it has been running so far."""
    runner = Heartbeat(timeout=0.2)

    def hangs() -> list[CheckMessage]:
        release.wait(30)
        return []

    runner.run({"hangs": hangs})
    time.sleep(0.2)
    second = runner.run({"hangs": hangs})
    assert "still running" in second.details["hangs"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert 400 <= second.durations_ms["hangs"] < 10_000


def test_async_checks_are_timed_on_the_loop_and_in_threads() -> None:
    """An async check is timed where its coroutine runs, in run() and in run_async()."""

    async def naps() -> list[CheckMessage]:
        await asyncio.sleep(0.1)
        return []

    runner = Heartbeat(timeout=5)
    in_thread = runner.run({"naps": naps})
    on_loop = asyncio.run(runner.run_async({"naps": naps, "sync": sleeper(0.1)}))
    assert 100 <= in_thread.durations_ms["naps"] < 5000
    assert 100 <= on_loop.durations_ms["naps"] < 5000
    assert 100 <= on_loop.durations_ms["sync"] < 5000
    assert on_loop.total_ms >= 100


def test_cached_results_are_marked_and_keep_their_runs_durations() -> None:
    """Within the TTL a result is reused: cached is True, the durations are the run's."""
    runner = Heartbeat(timeout=5, cache_ttl=30)
    checks = {"slow": sleeper(0.1)}
    first = runner.run(checks)
    second = runner.run(checks)
    assert (first.cached, second.cached) == (False, True)
    assert second.durations_ms == first.durations_ms
    assert (second.statuses, second.level) == (first.statuses, first.level)
    # The cached object itself is left as its run made it.
    assert runner.run(checks).cached is True
    assert first.cached is False


def test_python_dockerflow_positional_form_still_works() -> None:
    """ChecksResults(details, statuses, level), python-dockerflow's form; the rest default."""
    results = ChecksResults({}, {"a": "ok"}, 0)
    assert (results.details, results.statuses, results.level) == ({}, {"a": "ok"}, 0)
    assert (results.durations_ms, results.total_ms, results.cached) == ({}, 0.0, False)
    names = [field.name for field in dataclasses.fields(ChecksResults)]
    assert names[:3] == ["details", "statuses", "level"]
    assert dataclasses.asdict(results)["statuses"] == {"a": "ok"}


def test_details_keep_python_dockerflows_shape() -> None:
    """The durations are a field of their own: details hold status, level and messages only."""
    results = run_checks([("warns", lambda: [Warning("w", id="x.W1")])], timeout=5)
    assert results.details == {
        "warns": {"status": "warning", "level": 30, "messages": {"x.W1": "w"}}
    }


def test_check_over_half_its_timeout_is_logged_at_warning_with_its_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1.05 s of a 2 s timeout (room for a loaded machine): one WARNING with its duration; ok."""
    runner = Heartbeat(timeout=2)
    with caplog.at_level(logging.DEBUG, logger=REGISTRY):
        results = runner.run({"getting_slower": sleeper(1.05), "quick": list})
    assert results.statuses == {"getting_slower": "ok", "quick": "ok"}
    (record,) = slow_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.check == "getting_slower"  # type: ignore[attr-defined]
    assert record.duration_ms == results.durations_ms["getting_slower"]  # type: ignore[attr-defined]
    assert record.duration_ms >= 1050  # type: ignore[attr-defined]
    text = record.getMessage()
    assert text.startswith("dockerflow.health.check_slow: Check getting_slower took ")
    assert text.endswith(" ms, over half its timeout of 2s")


def test_slow_check_warning_is_not_repeated_for_a_cached_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three calls within the TTL, one run: one warning."""
    runner = Heartbeat(timeout=2, cache_ttl=30)
    checks = {"getting_slower": sleeper(1.05)}
    with caplog.at_level(logging.DEBUG, logger=REGISTRY):
        for _ in range(3):
            runner.run(checks)
    assert len(slow_records(caplog)) == 1


def test_slow_check_warning_can_be_silenced(caplog: pytest.LogCaptureFixture) -> None:
    """Its id, dockerflow.health.check_slow, is silenced like a message's."""
    runner = Heartbeat(timeout=2)
    with caplog.at_level(logging.DEBUG, logger=REGISTRY):
        runner.run(
            {"getting_slower": sleeper(1.05)}, silenced_check_ids=[health.WARNING_CHECK_SLOW]
        )
    assert slow_records(caplog) == []


def test_timed_out_check_gets_its_error_and_no_slow_warning(
    caplog: pytest.LogCaptureFixture, release: threading.Event
) -> None:
    """The timeout error already says it: no second record for the same check."""
    runner = Heartbeat(timeout=0.2)
    with caplog.at_level(logging.DEBUG, logger=REGISTRY):
        runner.run({"hangs": lambda: release.wait(30)})
    assert slow_records(caplog) == []
    assert [r.check_id for r in caplog.records if r.name == REGISTRY] == [  # type: ignore[attr-defined]
        health.ERROR_CHECK_TIMEOUT
    ]
