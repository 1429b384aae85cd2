"""The shared runner of the benchmarks: worker processes, interleaving, medians, pages.

A benchmark measures *variants* (one unit of work each: a request, a record
formatted, a heartbeat) on two *sides*: ours, from the ``bench`` environment,
and python-dockerflow, from ``bench-upstream`` (a regular package named
``dockerflow``: installed beside ours it would hide our namespace). Each side
is a worker process, the benchmark script started again with ``--worker`` in
that side's interpreter, which times the variants it offers when asked
(:func:`serve`). :func:`interleave` runs every measurement once per
repetition, in a new shuffled order each time, so the machine's noise falls
on all of them alike; pages give medians over the repetitions, and ratios of
medians from the same run. :func:`write_page` writes ``bench/results/NAME.md``
(the script's description, the command that produced the page, the table)
and its plot, ``NAME.png``.

This module imports in both environments; matplotlib (``bench`` only) is
imported when a plot is drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib.metadata
import json
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, TypeVar

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
OURS, UPSTREAM, FLOOR = "ours", "python-dockerflow", "floor"
COLORS = {OURS: "#1f77b4", UPSTREAM: "#ff7f0e", FLOOR: "#8c8c8c"}

#: A variant: prepares the side for it (logging, apps) and returns the call to time.
Setup = Callable[[], Callable[[], object]]
K = TypeVar("K")
T = TypeVar("T")


def ready(call: Callable[[], object]) -> Setup:
    """A variant that needs no preparation."""
    return lambda: call


def implementation() -> str:
    """Which ``dockerflow`` this interpreter imports: :data:`OURS` or :data:`UPSTREAM`."""
    import dockerflow

    # python-dockerflow is a regular package; ours is a PEP 420 namespace.
    return UPSTREAM if getattr(dockerflow, "__file__", None) else OURS


def versions() -> dict[str, str]:
    """Python's version and those of the distributions the pages name."""
    found = {"Python": platform.python_version()}
    for name in ("dockerflow", "dockerflow-flask", "flask", "werkzeug", "gunicorn"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    return found


def arguments(doc: str, **defaults: int) -> argparse.Namespace:
    """Parse the benchmark's options (``defaults``: name and default, all positive integers).

    The result also holds the ``command`` that reproduces the run and whether
    it is ``reduced`` (an option below its default).
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=int, default=default, help=f"default {default}")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if any(getattr(args, name) < 1 for name in defaults):
        parser.error("every option must be a positive integer")
    args.reduced = any(getattr(args, name) < default for name, default in defaults.items())
    args.command = shlex.join(["hatch", "run", f"bench:{Path(sys.argv[0]).stem}", *sys.argv[1:]])
    return args


# -- worker processes ------------------------------------------------------------------


def serve(variants: dict[str, Setup], **description: Any) -> None:
    """The worker's loop: describe this side, then time what each line on stdin asks.

    A request is ``{"variant": NAME, "n": N}``; the answer ``{"seconds": S}``,
    seconds per call over ``N`` calls after one full garbage collection. The
    end of input stops the worker.
    """
    description.update(
        variants=list(variants), versions=versions(), implementation=implementation()
    )
    print(json.dumps(description), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        call, count = variants[request["variant"]](), int(request["n"])
        gc.collect()
        started = time.perf_counter()
        for _ in range(count):
            call()
        print(json.dumps({"seconds": (time.perf_counter() - started) / count}), flush=True)


class Worker:
    """A benchmark script serving as a worker in one side's interpreter."""

    def __init__(self, script: str, python: str) -> None:
        command = [python, script, "--worker"]
        pipe = subprocess.PIPE
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=pipe, stdout=pipe, text=True)
        self.description = self._answer()
        self.variants: list[str] = self.description["variants"]

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the worker {shlex.join(self.process.args)} stopped")  # type: ignore[arg-type]
        return dict(json.loads(line))

    def time(self, variant: str, count: int) -> float:
        """Seconds per call of ``variant`` over ``count`` calls."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"variant": variant, "n": count}) + "\n")
        self.process.stdin.flush()
        return float(self._answer()["seconds"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


@functools.lru_cache(maxsize=1)
def upstream_python() -> str:
    """The interpreter of the ``bench-upstream`` environment (Hatch creates it if needed)."""
    command = ["hatch", "run", "bench-upstream:python", "-c", "import sys; print(sys.executable)"]
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=900)
    return out.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def workers(script: str) -> Iterator[dict[str, Worker]]:
    """One worker of ``script`` per side, ours first; both stopped afterwards."""
    sides = {OURS: Worker(script, sys.executable), UPSTREAM: Worker(script, upstream_python())}
    try:
        for side, worker in sides.items():
            if worker.description["implementation"] != side:
                raise SystemExit(
                    f"the {side} worker imports {worker.description['implementation']}"
                )
        yield sides
    finally:
        for worker in sides.values():
            worker.close()


def timings(
    sides: dict[str, Worker], count: int, warm_up: int = 0
) -> dict[Any, Callable[[], float]]:
    """For each (side, variant): a measurement of ``count`` calls, after ``warm_up`` untimed."""
    measurements = {}
    for side, worker in sides.items():
        for variant in worker.variants:
            if warm_up:
                worker.time(variant, warm_up)
            measurements[side, variant] = functools.partial(worker.time, variant, count)
    return measurements


# -- interleaving and medians ------------------------------------------------------------


def interleave(measurements: dict[K, Callable[[], T]], repetitions: int) -> dict[K, list[T]]:
    """Run every measurement once per repetition, in a new shuffled order each time."""
    samples: dict[K, list[T]] = {key: [] for key in measurements}
    order = list(measurements)
    shuffle = random.Random(2026).shuffle  # the same orders on every run
    for repetition in range(repetitions):
        shuffle(order)
        for key in order:
            samples[key].append(measurements[key]())
        print(f"repetition {repetition + 1}/{repetitions} done", file=sys.stderr)
    return samples


def medians(samples: dict[K, list[float]]) -> dict[K, float]:
    return {key: statistics.median(values) for key, values in samples.items()}


def spread(samples: dict[Any, list[float]]) -> str:
    """A note: the largest (max - min) / median of one measurement over the repetitions."""
    largest = max((max(v) - min(v)) / statistics.median(v) for v in samples.values())
    return f"- The largest spread of one measurement over the repetitions: {largest:.0%}."


# -- pages and plots ------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table; every column after the first right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def write_page(
    name: str,
    doc: str,
    args: argparse.Namespace,
    described: dict[str, dict[str, str]],
    lines: list[str],
    bars: list[tuple[str, float, str]],
    unit: str,
    log: bool = False,
) -> None:
    """Write ``results/NAME.md`` and its plot, ``NAME.png`` (``log``: a logarithmic axis).

    The page: ``doc``'s first line as title, its paragraphs after the command
    as description, the command, the commit, machine and versions of each side
    (``described``), then ``lines``. ``bars`` are (label, value, kind), kind
    :data:`OURS`, :data:`UPSTREAM` or :data:`FLOOR`; ``unit`` names the axis.
    """
    title, _, body = doc.strip().partition("\n\n")
    title = title.rstrip(".")
    description = body.split("\n\n", 1)[1].replace("``", "`")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    sides = "; ".join(
        f"{side}: " + ", ".join(f"{key} {value}" for key, value in found.items())
        for side, found in described.items()
    )
    reduced = [
        "**A reduced run** (options below their defaults): it shows that the command works,",
        "not what the code costs.",
        "",
    ]
    page = [
        f"# {title}", "", description, "",
        "Reproduce from the repository root (the first run creates the environments):", "",
        "```console", args.command, "```", "",
        *(reduced if args.reduced else []),
        f"Commit {commit()}, {machine}. {sides}.", "",
        *lines, "",
        f"![{title}: ours, python-dockerflow and the floor]({name}.png)", "",
    ]  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text("\n".join(page), encoding="utf-8")
    plot(RESULTS / f"{name}.png", title, bars, unit, log)
    print("\n".join(page))
    print(f"written: bench/results/{name}.md and {name}.png", file=sys.stderr)


def commit() -> str:
    """The checked-out commit, "+ changes" when files outside bench/results differ from it."""

    def git(*command: str) -> str:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout

    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
    return git("rev-parse", "--short", "HEAD").strip() + (" + changes" if changed else "")


def plot(path: Path, title: str, bars: list[tuple[str, float, str]], unit: str, log: bool) -> None:
    """A horizontal bar per (label, value, kind), coloured by kind, its value beside it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.patches import Patch

    figure, axes = pyplot.subplots(figsize=(8, 0.45 * len(bars) + 1.3), dpi=100)
    labels, values, kinds = zip(*bars)
    drawn = axes.barh(labels, values, color=[COLORS[kind] for kind in kinds])
    axes.bar_label(
        drawn, labels=[f"{v:,.1f}" if v < 100 else f"{v:,.0f}" for v in values], padding=3
    )
    axes.invert_yaxis()
    axes.set(title=title, xlabel=unit)
    if log:
        axes.set(xscale="log", xlim=(min(values) / 2, max(values) * 4))
    else:
        margin = max(values) * 0.1 if min(values) < 0 else 0  # room for a negative bar's label
        axes.set(xlim=(min(0, *values) - margin, max(values) * 1.2))
    legend = [Patch(color=COLORS[kind], label=kind) for kind in dict.fromkeys(kinds)]
    axes.legend(
        handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False
    )
    figure.savefig(path, bbox_inches="tight", metadata={"Software": None})
    pyplot.close(figure)
