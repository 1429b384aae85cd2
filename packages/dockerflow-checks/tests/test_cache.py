"""Result caching with single flight: a flood of heartbeats shares one run."""

from __future__ import annotations

import threading
import time

import pytest

from dockerflow.checks import CheckMessage, Heartbeat, Warning
from dockerflow.checks._singleflight import SingleFlightCache


def test_concurrent_callers_share_one_run() -> None:
    """Twenty threads asking at once run the check function once and get the same result."""
    calls = []
    lock = threading.Lock()

    def slow_check() -> list[CheckMessage]:
        with lock:
            calls.append(1)
        time.sleep(0.2)
        return [Warning("slow", id="w")]

    runner = Heartbeat(timeout=2, cache_ttl=5)
    barrier = threading.Barrier(20)
    results = []

    def call() -> None:
        barrier.wait(timeout=5)
        results.append(runner.run({"slow": slow_check}))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(calls) == 1
    assert len(results) == 20
    # One caller ran the checks; the nineteen others were answered from its run.
    assert sorted(result.cached for result in results) == [False] + [True] * 19
    assert all(result.details is results[0].details for result in results)


def test_cached_result_expires_after_ttl() -> None:
    """Within the TTL the result is reused; after it, the checks run again."""
    calls = []
    runner = Heartbeat(timeout=1, cache_ttl=0.2)
    checks = {"count": lambda: calls.append(1)}
    runner.run(checks)
    runner.run(checks)
    assert len(calls) == 1
    time.sleep(0.3)
    runner.run(checks)
    assert len(calls) == 2


def test_no_cache_by_default() -> None:
    """cache_ttl=0 runs the checks on every call."""
    calls = []
    runner = Heartbeat(timeout=1)
    for _ in range(3):
        runner.run({"count": lambda: calls.append(1)})
    assert len(calls) == 3


def test_different_silenced_ids_are_cached_apart() -> None:
    """A cached result is only reused for the same checks and silenced ids."""
    runner = Heartbeat(timeout=1, cache_ttl=5)
    checks = {"w": lambda: [Warning("w", id="w1")]}
    assert runner.run(checks).level == 30
    assert runner.run(checks, silenced_check_ids=["w1"]).level == 0


def test_single_flight_shares_exception_and_does_not_cache_it() -> None:
    """A failing computation raises for every waiter and the next call computes again."""
    cache: SingleFlightCache[int] = SingleFlightCache(ttl=10)
    attempts = []

    def fails() -> int:
        attempts.append(1)
        raise RuntimeError("boom")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            cache.get("k", fails)
    assert len(attempts) == 2
    assert cache.get("k", lambda: 5) == 5
