"""What a heartbeat costs: our CheckRunner against python-dockerflow's run_checks.

Run from the repository root::

    hatch run bench:python bench/heartbeat.py [--repetitions 9] [--hang-repetitions 5]

Two scenarios, each timed from the call to the returned results:

- ``sleepy``: 10 checks that each sleep 50 ms. python-dockerflow runs them one
  after another; ours runs them concurrently. Floors: the same sleeps on a bare
  ``ThreadPoolExecutor`` (concurrent) and one after another (serial).
- ``hang``: one check that hangs 5 s beside one that returns at once.
  python-dockerflow waits for it; ours answers at its timeout (the default
  3 s) with an Error for it.

python-dockerflow runs in a separate process of env ``bench-upstream``
(``bench/heartbeat_upstream.py``, spoken to over JSON lines, timing done on its
side). Each repetition runs every (side, scenario) once, in a shuffled order;
the report gives medians (and min/max).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from _upstream import upstream_python

from dockerflow.checks import DEFAULT_CHECK_TIMEOUT, CheckRunner

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
COUNT, SLEEP, HANG = 10, 0.05, 5.0


class Upstream:
    """The python-dockerflow process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [upstream_python(), os.path.join(BENCH_DIR, "heartbeat_upstream.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def time(self, **command: Any) -> float:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return float(json.loads(self.process.stdout.readline())["seconds"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def sleeper(seconds: float) -> Callable[[], list[Any]]:
    def check() -> list[Any]:
        time.sleep(seconds)
        return []

    return check


def timed(func: Callable[[], Any]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--hang-repetitions", type=int, default=5)
    args = parser.parse_args()

    # The hung check's Error is logged as in production, without the console noise.
    logging.getLogger("dockerflow.checks").addHandler(logging.NullHandler())
    logging.getLogger("dockerflow.checks").propagate = False
    runner = CheckRunner()  # long-lived, as in a web app
    pool = ThreadPoolExecutor(max_workers=COUNT)
    upstream = Upstream()
    sleepy = {f"sleep{i}": sleeper(SLEEP) for i in range(COUNT)}

    def ours_hang() -> None:
        # A new check object each time, so the runner does not see it as still running.
        results = runner.run({"fine": sleeper(0), "hangs": sleeper(HANG)})
        assert results.statuses == {"fine": "ok", "hangs": "error"}

    jobs: dict[str, Callable[[], float]] = {
        "sleepy/ours": lambda: timed(lambda: runner.run(sleepy)),
        "sleepy/upstream": lambda: upstream.time(scenario="sleepy", count=COUNT, sleep=SLEEP),
        "sleepy/floor-concurrent": lambda: timed(
            lambda: list(pool.map(lambda f: f(), sleepy.values()))
        ),
        "sleepy/floor-serial": lambda: timed(lambda: [f() for f in sleepy.values()]),
        "hang/ours": lambda: timed(ours_hang),
        "hang/upstream": lambda: upstream.time(scenario="hang", hang=HANG),
    }
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    try:
        for repetition in range(max(args.repetitions, args.hang_repetitions)):
            names = [
                name
                for name in jobs
                if repetition
                < (args.hang_repetitions if name.startswith("hang") else args.repetitions)
            ]
            random.shuffle(names)
            for name in names:
                samples[name].append(jobs[name]())
            print(f"repetition {repetition + 1} done", file=sys.stderr)
    finally:
        upstream.close()
        pool.shutdown()

    python = sys.version.split()[0]
    print(f"Python {python}, {os.cpu_count()} CPUs; ours at timeout {DEFAULT_CHECK_TIMEOUT:g} s\n")
    print("| scenario | median ms | min ms | max ms | n |")
    print("|---|---:|---:|---:|---:|")
    for name, values in samples.items():
        ms = [v * 1000 for v in values]
        print(
            f"| {name} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} | {len(ms)} |"
        )


if __name__ == "__main__":
    main()
