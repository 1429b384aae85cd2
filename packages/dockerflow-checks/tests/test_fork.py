"""The runner across a plain ``os.fork()``: the child does not wait on the parent's threads."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from typing import Any, Callable

import pytest

from dockerflow.checks import Heartbeat, Warning
from dockerflow.checks._pool import DEFAULT_MAX_WORKERS

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def in_child(work: Callable[[], Any], timeout: float = 20) -> Any:
    """Fork, run ``work`` in the child, and return what it returned (as JSON)."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock: that
        # is the situation under test (gunicorn --preload forks such a process).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "w") as out:
                json.dump(work(), out)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail(f"the forked child did not finish within {timeout}s")
    with os.fdopen(read_end) as answer:
        text = answer.read()
    assert os.waitstatus_to_exitcode(status) == 0, text
    return json.loads(text)


def test_child_runs_checks_when_every_thread_of_the_parent_is_busy(
    release: threading.Event,
) -> None:
    """With all 32 check threads stuck in the parent, the forked child still runs its checks."""
    parent = os.getpid()
    runner = Heartbeat(timeout=0.3)
    hanging = {
        f"hang{i}": (lambda: release.wait(30) if os.getpid() == parent else None)
        for i in range(DEFAULT_MAX_WORKERS + 4)
    }
    before = runner.run(hanging)
    assert set(before.statuses.values()) == {"error"}

    def child() -> Any:
        results = runner.run({**hanging, "fine": lambda: [Warning("w", id="x.W1")]})
        return {"statuses": results.statuses}

    answer = in_child(child)
    # The child started every check afresh (none is "still running" there), at
    # once: one still waiting for a thread past the 0.3 s timeout would be an error.
    assert answer["statuses"] == {**dict.fromkeys(hanging, "ok"), "fine": "warning"}


def test_check_still_running_in_the_parent_is_started_afresh_in_the_child(
    release: threading.Event,
) -> None:
    """A check stuck at the fork is started afresh in the child, not reported "still running"."""
    parent = os.getpid()
    runner = Heartbeat(timeout=0.2, cache_ttl=30)
    calls: list[int] = []

    def stuck_in_parent() -> list[Any]:
        calls.append(os.getpid())
        if os.getpid() == parent:
            release.wait(30)
        return []

    # A flight of the cache in progress at the fork, and a stuck run.
    in_flight = threading.Thread(target=runner.run, args=({"stuck": stuck_in_parent},))
    in_flight.start()
    assert _wait_until(lambda: len(calls) == 1)

    def child() -> Any:
        return runner.run({"stuck": stuck_in_parent}).statuses

    assert in_child(child) == {"stuck": "ok"}
    release.set()
    in_flight.join(timeout=5)


def _wait_until(condition: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
