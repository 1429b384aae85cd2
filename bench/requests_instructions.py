"""Per-request cost in CPU instructions, ours against python-dockerflow.

Run from the repository root (needs valgrind: ``apt-get install valgrind``)::

    hatch run bench:python bench/requests_instructions.py [--requests 1000]

The same requests as ``bench/requests.py`` (``bench/requests_worker.py``
serving ``app.wsgi_app`` a prebuilt environ), counted by callgrind instead
of timed. Each (side, variant) runs twice under valgrind, once with 1 timed
request and once with ``--requests`` + 1, after the same warm-up; the
difference divided by ``--requests`` is the instructions of one request,
start-up excluded. Instruction counts do not move with the machine's load,
so this bench gives nearly the same figures on a busy machine (random request
ids and batch refills still move them by a few per cent); they leave out what
the kernel does (the write of the log line) and the cost of cache misses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from _upstream import upstream_python
from requests import VARIANT_LABELS, WORKER

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARM_UP = 50
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count_instructions(python: str, variant: str, timed: int) -> int:
    """Instructions of one worker run: start-up, warm-up, then ``timed`` requests."""
    commands = "".join(
        json.dumps({"variant": variant, "iterations": iterations}) + "\n"
        for iterations in (WARM_UP, timed)
    )
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, WORKER],
        cwd=ROOT,
        # A fixed hash seed: dict and set layouts, and so the counts, repeat.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        input=commands,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    found = _COLLECTED.search(out.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def per_request(python: str, variant: str, requests: int) -> int:
    """Instructions of one request of ``variant`` (the difference of two runs)."""
    return (
        count_instructions(python, variant, requests + 1) - count_instructions(python, variant, 1)
    ) // requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--variants",
        default="bare,log_line,route_json,route_mozlog,route_off,lbheartbeat_off,version_off",
        help="comma-separated variants of bench/requests_worker.py",
    )
    args = parser.parse_args()
    if not 1 <= args.requests <= 5000:
        parser.error("--requests must be between 1 and 5000")
    variants = args.variants.split(",")
    if "bare" not in variants or not set(variants) <= set(VARIANT_LABELS):
        parser.error(f"--variants must include bare and name only {', '.join(VARIANT_LABELS)}")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")

    pythons = {"ours": sys.executable, "upstream": upstream_python()}
    jobs = [(side, variant) for side in pythons for variant in variants]
    # One valgrind run per core at a time; counts do not depend on the load.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(
            zip(
                jobs,
                pool.map(lambda job: per_request(pythons[job[0]], job[1], args.requests), jobs),
            )
        )

    print(f"- {args.requests} requests per variant, after {WARM_UP} to warm up")
    print(f"- Python {sys.version.split()[0]}\n")
    print(
        "| variant | ours instr/req | ours added | python-dockerflow instr/req "
        "| python-dockerflow added | ours/theirs added |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for variant in variants:
        ours, theirs = counts["ours", variant], counts["upstream", variant]
        ours_added = ours - counts["ours", "bare"]
        theirs_added = theirs - counts["upstream", "bare"]
        ratio = "" if variant == "bare" or theirs_added <= 0 else f"{ours_added / theirs_added:.2f}"
        print(
            f"| {VARIANT_LABELS[variant]} | {ours:,} | {ours_added:+,} "
            f"| {theirs:,} | {theirs_added:+,} | {ratio} |"
        )


if __name__ == "__main__":
    main()
