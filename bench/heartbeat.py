"""Heartbeat duration.

    hatch run bench:heartbeat [--repetitions 9]

Milliseconds from the call to the returned results of our ``Heartbeat``
(long-lived, as in an app; default check timeout, 3 s) and of
python-dockerflow's ``run_checks``, each side in its own process, in two
scenarios: ten checks that each sleep 50 ms, and one check that hangs 5 s
beside one that returns at once. The floors run the ten sleeps on a bare
``ThreadPoolExecutor`` (concurrent) and one after another (serial). Medians
of ``--repetitions`` interleaved repetitions.
"""

from __future__ import annotations

import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import _runner

COUNT, SLEEP, HANG = 10, 0.05, 5.0
LABELS = {
    "sleepy": f"{COUNT} checks of {SLEEP * 1000:.0f} ms",
    "hang": f"one check hanging {HANG:.0f} s",
}


def sleeper(seconds: float) -> Callable[[], list[Any]]:
    def check() -> list[Any]:
        time.sleep(seconds)
        return []

    return check


def variants() -> dict[str, _runner.Setup]:
    sleepy = {f"sleep{i}": sleeper(SLEEP) for i in range(COUNT)}

    runs = itertools.count()

    def hanging() -> dict[str, Callable[[], list[Any]]]:
        # A new name each time: ours would not start again a check still hung.
        return {"fine": sleeper(0), f"hangs{next(runs)}": sleeper(HANG)}

    if _runner.implementation() == _runner.UPSTREAM:
        from dockerflow.checks import run_checks

        return {
            "sleepy": _runner.ready(lambda: run_checks(list(sleepy.items()))),
            "hang": _runner.ready(lambda: run_checks(list(hanging().items()))),
        }
    from dockerflow.checks import Heartbeat

    # The hung check's Error is logged as in production, without the console noise.
    for name in ("dockerflow.checks", "dockerflow.heartbeat"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    runner = Heartbeat()  # long-lived, as in a web app
    pool = ThreadPoolExecutor(max_workers=COUNT)
    return {
        "sleepy": _runner.ready(lambda: runner.run(sleepy)),
        "hang": _runner.ready(lambda: runner.run(hanging())),
        "sleepy_concurrent": _runner.ready(lambda: list(pool.map(lambda f: f(), sleepy.values()))),
        "sleepy_serial": _runner.ready(lambda: [check() for check in sleepy.values()]),
    }


def main() -> None:
    args = _runner.arguments(__doc__, repetitions=9)
    if args.worker:
        _runner.serve(variants())
        return
    with _runner.workers(__file__) as sides:
        samples = _runner.interleave(_runner.timings(sides, 1), args.repetitions)
    ms = {key: value * 1000 for key, value in _runner.medians(samples).items()}
    ours, theirs = _runner.OURS, _runner.UPSTREAM
    floors = f"{ms[ours, 'sleepy_concurrent']:.1f}; {ms[ours, 'sleepy_serial']:.1f} serial"
    rows = [
        [LABELS["sleepy"], f"{ms[theirs, 'sleepy']:.1f}", f"{ms[ours, 'sleepy']:.1f}", floors],
        [LABELS["hang"], f"{ms[theirs, 'hang']:.1f}", f"{ms[ours, 'hang']:.1f}", ""],
    ]
    header = ["heartbeat", "python-dockerflow ms", "ours ms", "floor ms"]
    lines = [*_runner.table(header, rows), "", _runner.spread(samples)]
    bars = [(f"{LABELS['sleepy']}: floor", ms[ours, "sleepy_concurrent"], _runner.FLOOR)]
    for scenario in LABELS:
        bars += [
            (f"{LABELS[scenario]}: {side}", ms[side, scenario], side) for side in (ours, theirs)
        ]
    described = {side: worker.description["versions"] for side, worker in sides.items()}
    _runner.write_page("heartbeat", __doc__, args, described, lines, bars, "ms", log=True)


if __name__ == "__main__":
    main()
