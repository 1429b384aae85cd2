"""Instructions per request through app.wsgi_app.

    hatch run bench:instructions [--iterations 1000]

The requests of `bench/requests.py` (the same apps, environ and variants),
counted in CPU instructions by valgrind's callgrind instead of timed: each
side's process runs each variant twice under callgrind, with
``--iterations`` requests and with none, after the same 200-request warm-up;
the difference over ``--iterations`` is one request's instructions. The
count hardly moves with the machine's load, so on a shared machine this is
the page to compare ratios with; it does not weigh cache misses or system
calls as time does. Needs valgrind (``apt-get install -y valgrind``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import _runner

HERE = Path(__file__).resolve().parent
WARM_UP = 200


def _request_bench() -> Any:
    """``bench/requests.py``, by path: under its own name it would be the requests library."""
    spec = importlib.util.spec_from_file_location("request_bench", HERE / "requests.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _count_in_this_process(variant: str, count: int) -> None:
    """What runs under callgrind: the warm-up, then ``count`` requests."""
    call = _request_bench().variants()[variant]()
    for _ in range(WARM_UP + count):
        call()


def _instructions(python: str, variant: str, count: int) -> int:
    """Instructions callgrind collected for a whole process of ``count`` requests."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python,
               __file__, "--worker"]  # fmt: skip
    environ = {**os.environ, "BENCH_VARIANT": variant, "BENCH_COUNT": str(count)}
    done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {variant}:\n{done.stderr[-2000:]}")
    return int(found[1])


def main() -> None:
    args = _runner.arguments(__doc__, iterations=1000)
    if args.worker:
        _count_in_this_process(os.environ["BENCH_VARIANT"], int(os.environ["BENCH_COUNT"]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind: apt-get install -y valgrind")
    labels: dict[str, str] = _request_bench().LABELS
    ours, theirs = _runner.OURS, _runner.UPSTREAM
    with _runner.workers(str(HERE / "requests.py")) as sides:  # each side's versions
        described = {side: worker.description["versions"] for side, worker in sides.items()}
    pythons = {ours: sys.executable, theirs: _runner.upstream_python()}
    per_request = {}
    for side, python in pythons.items():
        for variant in labels:
            whole = _instructions(python, variant, args.iterations)
            base = _instructions(python, variant, 0)
            per_request[side, variant] = (whole - base) / args.iterations
            print(f"{side} {variant}: {per_request[side, variant]:,.0f}", file=sys.stderr)
    added = {key: value - per_request[key[0], "bare"] for key, value in per_request.items()}

    def row(variant: str) -> list[str]:
        mine, their = added[ours, variant], added[theirs, variant]
        ratio = f"{mine / their:.2f}" if mine > 0 and their > 0 else ""
        over_bare = f"{mine / per_request[ours, 'bare']:+.0%}"
        return [labels[variant], f"{per_request[ours, variant] / 1000:,.1f}",
                f"{mine / 1000:+,.1f}", over_bare, f"{per_request[theirs, variant] / 1000:,.1f}",
                f"{their / 1000:+,.1f}", ratio]  # fmt: skip

    header = ["request", "ours k-instr", "ours added", "ours over bare",
              "python-dockerflow k-instr", "theirs added", "ours / theirs added"]  # fmt: skip
    lines = _runner.table(header, [row(variant) for variant in labels])
    bars = [("floor of logging", added[ours, "log_line"] / 1000, _runner.FLOOR)]
    for variant in ("route_json", "lbheartbeat_off", "version_off"):
        bars += [(f"{labels[variant]}: {side}", added[side, variant] / 1000, side)
                 for side in (ours, theirs)]  # fmt: skip
    _runner.write_page("instructions", __doc__, args, described, lines, bars,
                       "thousand instructions over a bare route")  # fmt: skip


if __name__ == "__main__":
    main()
