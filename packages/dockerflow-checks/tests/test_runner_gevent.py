"""Async checks under gevent's monkey-patching, in a process of their own.

gevent turns the check threads into greenlets on one OS thread, where asyncio
keeps a single "running loop": two async checks each running a loop there
collided ("asyncio.run() cannot be called from a running event loop"), and
other greenlets saw a loop running that was not theirs.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None, reason="gevent is not installed"
)

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey

    monkey.patch_all()

    import asyncio
    import json

    import gevent

    from dockerflow.checks import Heartbeat, Info


    # Each check waits (a bounded number of polls) until the other has
    # started: only when they run at once do both see the other, and say so
    # with their Info. (Heartbeats that overlap share the checks' runs.)
    started = set()


    async def meet(name):
        started.add(name)
        for _ in range(1000):
            if started == {"first", "second"}:
                return [Info(name, id="t.I1")]
            await asyncio.sleep(0.01)
        return []


    async def first():
        return await meet("first")


    async def second():
        return await meet("second")


    runner = Heartbeat(timeout=30)
    foreign_loops_seen = []
    ticks = []


    def other_greenlet():
        for _ in range(30):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                foreign_loops_seen.append(1)
            ticks.append(1)
            gevent.sleep(0.01)


    ticker = gevent.spawn(other_greenlet)
    heartbeats = [gevent.spawn(runner.run, {"first": first, "second": second}) for _ in range(3)]
    gevent.joinall(heartbeats, timeout=60)
    ticker.join(timeout=5)
    print(json.dumps({
        "statuses": [h.value.statuses for h in heartbeats],
        "ticks": len(ticks),
        "foreign_loops_seen": len(foreign_loops_seen),
    }))
    """
)


def test_async_checks_pass_under_gevent_and_leave_other_greenlets_alone() -> None:
    """Three concurrent heartbeats of two async checks, which run at once, all pass; other
    greenlets keep running and never see an event loop running."""
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["statuses"] == [{"first": "info", "second": "info"}] * 3
    assert answer["ticks"] == 30
    assert answer["foreign_loops_seen"] == 0
    assert "Traceback" not in completed.stderr
