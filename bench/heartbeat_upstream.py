"""python-dockerflow's side of bench/heartbeat.py (runs in env bench-upstream).

Reads one JSON command per line on stdin, ``{"scenario": ..., ...}``, times
python-dockerflow's ``dockerflow.checks.run_checks`` on it and answers with
one JSON line ``{"seconds": ...}``. Never imported by our code: the
``dockerflow`` here is python-dockerflow's regular package.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

from dockerflow import checks


def sleeper(seconds: float) -> Callable[[], list[Any]]:
    def check() -> list[Any]:
        time.sleep(seconds)
        return []

    return check


def scenario_checks(command: dict[str, Any]) -> list[tuple[str, Callable[[], list[Any]]]]:
    if command["scenario"] == "sleepy":
        return [(f"sleep{i}", sleeper(command["sleep"])) for i in range(command["count"])]
    if command["scenario"] == "hang":
        return [("fine", sleeper(0)), ("hangs", sleeper(command["hang"]))]
    raise ValueError(f"unknown scenario {command['scenario']!r}")


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        pairs = scenario_checks(command)
        started = time.perf_counter()
        results = checks.run_checks(pairs)
        elapsed = time.perf_counter() - started
        print(json.dumps({"seconds": elapsed, "level": results.level}), flush=True)


if __name__ == "__main__":
    main()
