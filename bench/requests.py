"""Per-request cost of the Dockerflow extension, ours against python-dockerflow.

Run from the repository root::

    hatch run bench:python bench/requests.py [--repetitions 9] [--iterations 3000]

Two worker processes (``bench/requests_worker.py``) time ``app.wsgi_app``
called directly with a prebuilt environ and a no-op ``start_response``: one in
this environment (our packages), one in ``bench-upstream`` (python-dockerflow).
Every repetition runs every (side, variant) once, in a shuffled order, so the
two sides share the machine's noise. Each side also times a bare Flask route,
the floor, and the floor of logging (the bare route writing one constant line
per request through a standard ``StreamHandler``); the report gives medians
and the added cost per request (variant minus the bare route of the same
process). The summary goes through a ``StreamHandler`` with the mozlog
formatter, and, in the ``route_mozlog`` variant, through each side's own
``MozlogHandler``, the handler both projects document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from typing import Any, TextIO

from _upstream import upstream_python

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
WORKER = os.path.join(BENCH_DIR, "requests_worker.py")

# The bare route's cost on the project's machine when nothing else runs
# (results/requests.md): the 15 us targets assume a route of about this cost.
QUIET_BARE_US = 44

VARIANT_LABELS = {
    "bare": "bare Flask route (floor)",
    "log_line": "bare route + one constant log line to /dev/null (floor of logging)",
    "route_json": "route, request.summary JSON to /dev/null",
    "route_json_rid": "same, request carries X-Request-ID",
    "route_mozlog": "route, request.summary through each side's MozlogHandler to /dev/null",
    "route_off": "route, request.summary off (level WARNING)",
    "lbheartbeat_off": "/__lbheartbeat__, summary off",
    "version_off": "/__version__, summary off",
    "lbheartbeat_json": "/__lbheartbeat__, summary JSON to /dev/null",
    "version_json": "/__version__, summary JSON to /dev/null",
}


class Worker:
    """A ``requests_worker.py`` process spoken to over JSON lines."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, WORKER],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info: dict[str, Any] = json.loads(self._read())

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"worker {self.process.args} stopped early")
        return line

    def time(self, variant: str, iterations: int) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"variant": variant, "iterations": iterations}) + "\n")
        self.process.stdin.flush()
        return float(json.loads(self._read())["us_per_request"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def measure(
    workers: dict[str, Worker], repetitions: int, iterations: int, seed: int
) -> dict[str, dict[str, list[float]]]:
    """``{side: {variant: [us per request, one per repetition]}}``, interleaved."""
    samples: dict[str, dict[str, list[float]]] = {
        side: {variant: [] for variant in VARIANT_LABELS} for side in workers
    }
    pairs = [(side, variant) for side in workers for variant in VARIANT_LABELS]
    rng = random.Random(seed)
    for repetition in range(repetitions):
        rng.shuffle(pairs)
        for side, variant in pairs:
            samples[side][variant].append(workers[side].time(variant, iterations))
        print(f"repetition {repetition + 1}/{repetitions} done", file=sys.stderr)
    return samples


def report(
    workers: dict[str, Worker],
    samples: dict[str, dict[str, list[float]]],
    repetitions: int,
    iterations: int,
    out: TextIO,
) -> None:
    medians = {
        side: {variant: statistics.median(values) for variant, values in per_side.items()}
        for side, per_side in samples.items()
    }
    added = {
        side: {variant: value - per_side["bare"] for variant, value in per_side.items()}
        for side, per_side in medians.items()
    }
    for side, worker in workers.items():
        info = worker.info
        out.write(
            f"- {side}: {info['dockerflow']}, Flask {info['flask']}, "
            f"Werkzeug {info['werkzeug']}, Python {info['python']}\n"
        )
    if workers["ours"].info["flask"] != workers["upstream"].info["flask"]:
        out.write("- WARNING: the two environments run different Flask versions\n")
    out.write(f"- {repetitions} repetitions x {iterations} requests per variant; medians\n\n")
    out.write(
        "| variant | ours us/req | ours added | python-dockerflow us/req "
        "| python-dockerflow added | ours/theirs added |\n"
    )
    out.write("|---|---:|---:|---:|---:|---:|\n")
    for variant, label in VARIANT_LABELS.items():
        ours, theirs = added["ours"][variant], added["upstream"][variant]
        ratio = "" if variant == "bare" or theirs <= 0 else f"{ours / theirs:.2f}"
        out.write(
            f"| {label} | {medians['ours'][variant]:.1f} | {ours:+.1f} "
            f"| {medians['upstream'][variant]:.1f} | {theirs:+.1f} | {ratio} |\n"
        )
    out.write("\n")
    spread = {
        side: max(
            (max(values) - min(values)) / statistics.median(values) for values in per_side.values()
        )
        for side, per_side in samples.items()
    }
    out.write(
        "Largest spread (max-min)/median of one variant over the repetitions: "
        + ", ".join(f"{side} {value:.0%}" for side, value in spread.items())
        + "\n\n"
    )
    out.write("Targets:\n")
    json_ratio = added["ours"]["route_json"] / added["upstream"]["route_json"]
    out.write(
        f"- added cost with JSON summary logging: {added['ours']['route_json']:.1f} us vs "
        f"{added['upstream']['route_json']:.1f} us = {json_ratio:.2f} of python-dockerflow "
        f"(target <= 0.33): {'met' if json_ratio <= 1 / 3 else 'MISSED'}\n"
    )
    mozlog_ratio = added["ours"]["route_mozlog"] / added["upstream"]["route_mozlog"]
    out.write(
        f"- the same through each side's MozlogHandler: {added['ours']['route_mozlog']:.1f} us "
        f"vs {added['upstream']['route_mozlog']:.1f} us = {mozlog_ratio:.2f} "
        f"(target <= 0.33): {'met' if mozlog_ratio <= 1 / 3 else 'MISSED'}\n"
    )
    floor = {side: added[side]["log_line"] for side in added}
    beyond = {side: added[side]["route_json"] - floor[side] for side in added}
    out.write(
        f"- of that, one constant line through the same logging handler costs "
        f"{floor['ours']:+.1f} us (python-dockerflow's process {floor['upstream']:+.1f} us): "
        f"beyond that floor ours adds {beyond['ours']:+.1f} us, python-dockerflow "
        f"{beyond['upstream']:+.1f} us"
        + (f" ({beyond['ours'] / beyond['upstream']:.2f})" if beyond["upstream"] > 0 else "")
        + "\n"
    )
    bare = medians["ours"]["bare"]
    for variant in ("lbheartbeat_off", "version_off"):
        value = added["ours"][variant]
        out.write(
            f"- {VARIANT_LABELS[variant]}: {value:+.1f} us over the bare route "
            f"(target <= 15 us): {'met' if value <= 15 else 'MISSED'}; "
            f"{value / bare:.0%} of the bare route's {bare:.1f} us "
            f"(15 us is {15 / QUIET_BARE_US:.0%} of the {QUIET_BARE_US} us it costs "
            "on a quiet machine)\n"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20260304)
    parser.add_argument("--json", help="also write the raw samples to this file")
    args = parser.parse_args()
    if args.repetitions < 1 or args.iterations < 1:
        parser.error("repetitions and iterations must be positive")

    workers = {"ours": Worker(sys.executable), "upstream": Worker(upstream_python())}
    if workers["ours"].info["implementation"] != "ours":
        raise SystemExit("this environment imports python-dockerflow, not ours")
    if workers["upstream"].info["implementation"] != "upstream":
        raise SystemExit("bench-upstream does not import python-dockerflow")
    try:
        samples = measure(workers, args.repetitions, args.iterations, args.seed)
    finally:
        for worker in workers.values():
            worker.close()
    report(workers, samples, args.repetitions, args.iterations, sys.stdout)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(
                {"workers": {s: w.info for s, w in workers.items()}, "samples": samples}, file
            )


if __name__ == "__main__":
    main()
