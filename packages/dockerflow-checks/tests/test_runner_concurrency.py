"""Concurrent runs of the same checks share a run instead of failing each other."""

from __future__ import annotations

import threading
import time

from dockerflow.checks import CheckMessage, Heartbeat


def test_concurrent_runs_share_a_check_in_progress() -> None:
    """Two threads running a quick check at once both see it pass (no 'still running' error)."""
    calls = []
    entered = threading.Event()

    def quick() -> list[CheckMessage]:
        calls.append(1)
        entered.set()
        time.sleep(0.2)
        return []

    runner = Heartbeat(timeout=2.0)
    results = []
    second = threading.Thread(
        target=lambda: (entered.wait(5), results.append(runner.run({"quick": quick})))
    )
    second.start()
    results.append(runner.run({"quick": quick}))
    second.join(timeout=10)

    assert [result.statuses for result in results] == [{"quick": "ok"}] * 2
    assert len(calls) == 1


def test_many_threads_running_checks_at_once_all_pass() -> None:
    """Eight threads x 50 runs of instant checks: every run passes."""
    runner = Heartbeat(timeout=2.0)
    checks = {"a": list, "b": tuple}
    levels: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            level = runner.run(checks).level
            with lock:
                levels.append(level)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert levels == [0] * 400
