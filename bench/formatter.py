"""Records per second of the mozlog formatter: ours against python-dockerflow.

    hatch run bench:python bench/formatter.py [--repetitions 9] [--iterations 20000]

Formats one realistic request.summary record (``formatter_record.py``) with:
the floor (``json.dumps`` of the same envelope, prebuilt), ours with the
standard library encoder and with orjson, python-json-logger, and
python-dockerflow 2026.3.4's ``JsonLogFormatter`` (in env ``bench-upstream``,
a separate process: ``formatter_upstream.py``). Ours formats two records with
the same attributes: the general one (``logger.makeRecord(..., extra=...)``,
what ``logger.info("", extra=...)`` makes) and the one our Flask extension
emits (``make_fields_record``: the fields dict travels prebuilt). Every
repetition runs every variant once, in a shuffled order; the figures are
medians. Before timing it checks that all mozlog formatters produce the same
``Fields``. Writes ``bench/results/formatter.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from _timing import median_of, per_call_us
from _upstream import upstream_python
from formatter_record import SUMMARY_FIELDS, summary_record

from dockerflow.logging import MozlogFormatter
from dockerflow.logging._records import extra_fields, make_fields_record

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "formatter.md"
COMMAND = "hatch run bench:python bench/formatter.py"
BASELINE = "python-dockerflow"


class UpstreamWorker:
    """python-dockerflow's formatter, timed in its own interpreter."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [upstream_python(), str(HERE / "formatter_upstream.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.hello: dict[str, Any] = json.loads(self._readline())

    def _readline(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the bench-upstream worker stopped")
        return line

    def time(self, iterations: int) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"iterations": iterations}) + "\n")
        self.process.stdin.flush()
        return float(json.loads(self._readline())["us_per_record"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.close()
        self.process.wait(timeout=30)


def python_json_logger() -> Callable[[Any], str]:
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:  # python-json-logger < 3
        from pythonjsonlogger.jsonlogger import JsonFormatter  # type: ignore[no-redef]
    formatter = JsonFormatter("%(created)s %(name)s %(levelname)s %(process)s %(message)s")
    return formatter.format


# Rows, in the order shown, with the target each one is held to.
GENERAL_ORJSON = "ours, orjson (extra fast), general record"
FLASK_ORJSON = "ours, orjson (extra fast), Flask summary record"
GENERAL_JSON = "ours, standard library, general record"
FLASK_JSON = "ours, standard library, Flask summary record"
TARGETS = {
    GENERAL_ORJSON: 5.0,
    FLASK_ORJSON: 5.0,
    GENERAL_JSON: 1.5,
    FLASK_JSON: 1.5,
}


def flask_summary_record() -> Any:
    """The record the Flask extension emits for the same request."""
    logger = logging.getLogger("request.summary")
    return make_fields_record(
        logger, logging.INFO, "summary.py", 0, "", "log_response", dict(SUMMARY_FIELDS)
    )


def check_same_fields(lines: dict[str, str]) -> None:
    parsed = {name: json.loads(line) for name, line in lines.items()}
    reference = parsed[BASELINE]
    for name, envelope in parsed.items():
        assert set(envelope) == set(reference), (name, envelope)
        assert envelope["Fields"] == reference["Fields"], (name, envelope["Fields"])
        assert envelope["Severity"] == reference["Severity"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args()

    record = summary_record()
    flask_record = flask_summary_record()
    ours_json = MozlogFormatter(logger_name="myproject", encoder="json")
    ours_orjson = MozlogFormatter(logger_name="myproject", encoder="orjson")
    envelope = json.loads(ours_json.format(record))
    local: dict[str, tuple[Callable[[Any], Any], Any]] = {
        "floor: json.dumps(prebuilt dict)": (json.dumps, envelope),
        GENERAL_ORJSON: (ours_orjson.format, record),
        FLASK_ORJSON: (ours_orjson.format, flask_record),
        GENERAL_JSON: (ours_json.format, record),
        FLASK_JSON: (ours_json.format, flask_record),
        "python-json-logger": (python_json_logger(), record),
        # Parts of ours, to show where the time goes.
        "part: extra_fields(general record)": (extra_fields, record),
        "part: extra_fields(Flask summary record)": (extra_fields, flask_record),
        "part: orjson encoder on Fields": (ours_orjson._encoder.encode, extra_fields(record)),
    }
    upstream = UpstreamWorker()
    try:
        check_same_fields(
            {
                BASELINE: upstream.hello["sample"],
                "json": ours_json.format(record),
                "orjson": ours_orjson.format(record),
                "json, Flask record": ours_json.format(flask_record),
                "orjson, Flask record": ours_orjson.format(flask_record),
            }
        )
        names = [*local, BASELINE]
        timings: dict[str, list[float]] = {name: [] for name in names}
        for func, arg in local.values():  # warm up
            per_call_us(func, arg, options.iterations // 10)
        upstream.time(options.iterations // 10)
        for _ in range(options.repetitions):
            random.shuffle(names)
            for name in names:
                if name == BASELINE:
                    timings[name].append(upstream.time(options.iterations))
                else:
                    func, arg = local[name]
                    timings[name].append(per_call_us(func, arg, options.iterations))
    finally:
        upstream.close()

    medians = {name: median_of(values) for name, values in timings.items()}
    report = render(medians, timings, upstream.hello, options)
    print(report)
    if not options.no_write:
        RESULTS.write_text(report)
        print(f"written to {RESULTS.relative_to(HERE.parent)}")


def render(
    medians: dict[str, float],
    timings: dict[str, list[float]],
    upstream: dict[str, Any],
    options: argparse.Namespace,
) -> str:
    baseline = medians[BASELINE]
    order = [
        "floor: json.dumps(prebuilt dict)",
        FLASK_ORJSON,
        GENERAL_ORJSON,
        FLASK_JSON,
        GENERAL_JSON,
        "python-json-logger",
        BASELINE,
        "part: extra_fields(general record)",
        "part: extra_fields(Flask summary record)",
        "part: orjson encoder on Fields",
    ]

    def target(name: str) -> str:
        if name not in TARGETS:
            return ""
        met = "met" if baseline / medians[name] >= TARGETS[name] else "**missed**"
        return f"{TARGETS[name]:g}x: {met}"

    rows = [
        f"| {name} | {medians[name]:.2f} | {min(timings[name]):.2f}-{max(timings[name]):.2f} "
        f"| {1e6 / medians[name]:,.0f} | {baseline / medians[name]:.2f}x | {target(name)} |"
        for name in order
    ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return "\n".join(
        [
            "# Formatter: records per second",
            "",
            "One request.summary record (`bench/formatter_record.py`: errno, agent, lang,",
            "method, path, code, remoteAddressChain, rid, t, uid) formatted to one mozlog",
            "JSON line. python-dockerflow runs in env `bench-upstream` as a separate",
            "process; every repetition runs all variants in a shuffled order.",
            "",
            "Ours formats two records with the same attributes. The *general record* is",
            'what `logger.info("", extra=fields)` makes (`logger.makeRecord`): the',
            "formatter must find the extra attributes among the standard ones and copy",
            "them into a new dict. The *Flask summary record* is what our Flask",
            "extension emits (`dockerflow.logging._records.make_fields_record`): the same",
            "attributes, plus the fields dict it built anyway, which the formatter",
            "encodes as it is after checking that no filter changed the record.",
            "python-dockerflow formats the general record (it has no other path; the",
            "attributes it reads are the same).",
            "",
            f"Command: `{COMMAND} --repetitions {options.repetitions}"
            f" --iterations {options.iterations}`",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python"
            f" {platform.python_version()} (python-dockerflow {upstream['dockerflow']} on"
            f" Python {upstream['python']}); load average at the end: {load};"
            f" {time.strftime('%Y-%m-%d')}.",
            "",
            "| variant | us/record (median) | range | records/s | vs python-dockerflow | target |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *rows,
            "",
            "Targets (issue 2): at least 1.5x python-dockerflow with the standard library",
            "alone and at least 5x with the `fast` extra (orjson).",
            "",
            "The `part:` rows time pieces of ours alone: finding and copying the record's",
            "extra attributes into the new `Fields` dict, and encoding that dict with",
            "orjson. For the general record the copy is a dict built item by item from",
            "the record's `__dict__` (about half of the orjson formatter's time: no C",
            "call selects a dict's items by key). That is why the general record stays",
            "under 5x with orjson: what is left besides it (encoding, the envelope, the",
            "Python call) already costs close to the 5x budget.",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
