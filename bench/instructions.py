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

Both sides write JSON with the standard library: python-dockerflow always
does, and ours does in its default install (the ``bench`` environment sets
``DOCKERFLOW_LOGGING_ENCODER=json``). The rows marked ``fast`` count ours
with the optional orjson encoder (``dockerflow-logging[fast]``) instead,
still against python-dockerflow on the standard library.

The second table counts the same way inside gunicorn: one sync worker of
each server of ``bench/load.py`` (bare Flask, the floor of logging, ours,
python-dockerflow) runs under callgrind; after 100 warm-up requests its
counters are zeroed, ``--gunicorn-requests`` requests (one connection
each, as gunicorn's sync worker closes it) are sent, and the worker's count
is divided by them: the whole request in the worker, gunicorn's HTTP
handling included.
"""

from __future__ import annotations

import glob
import http.client
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _runner
import load  # its servers: LABELS and APPS

HERE = Path(__file__).resolve().parent
WARM_UP = 200
GUNICORN_WARM_UP = 100


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


#: ``DOCKERFLOW_LOGGING_ENCODER`` of ours for the ``fast`` rows.
FAST = {"DOCKERFLOW_LOGGING_ENCODER": "orjson"}


def _instructions(python: str, variant: str, count: int, **environ: str) -> int:
    """Instructions callgrind collected for a whole process of ``count`` requests."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python,
               __file__, "--worker"]  # fmt: skip
    environ = {**os.environ, **environ, "BENCH_VARIANT": variant, "BENCH_COUNT": str(count)}
    done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=1800)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {variant}:\n{done.stderr[-2000:]}")
    return int(found[1])


def _get(port: int, count: int) -> None:
    """``count`` requests for ``/hello``, each on a new connection; fails on any but 200."""
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", "/hello")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"gunicorn answered {response.status}")
        finally:
            connection.close()


def _gunicorn_instructions(python: str, app: str, count: int, **environ: str) -> float:
    """Instructions per request in a gunicorn sync worker serving ``app`` under callgrind."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="dockerflow-callgrind-") as workdir:
        command = ["valgrind", "--tool=callgrind", "--trace-children=yes",
                   f"--callgrind-out-file={workdir}/cg.%p",
                   python, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                   "--chdir", str(HERE / "apps"), "request_apps:app"]  # fmt: skip
        environ = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, **environ}
        with open(os.path.join(workdir, "log"), "wb") as log:
            server = subprocess.Popen(command, env={**environ, "BENCH_APP": app},
                                      stdout=log, stderr=log)  # fmt: skip
        try:
            deadline = time.monotonic() + 300  # imports under valgrind are slow
            while True:
                try:
                    _get(port, GUNICORN_WARM_UP)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        message = f"gunicorn under callgrind did not answer: {command}"
                        raise SystemExit(message) from None
                    time.sleep(1)
            with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
                worker = children.read().split()[0]
            subprocess.run(["callgrind_control", "--zero", worker], check=True, capture_output=True)
            _get(port, count)
            subprocess.run(["callgrind_control", "--dump", worker], check=True, capture_output=True)
            # callgrind writes the dump at its next check; the total is its last line.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.5)
                for dump in glob.glob(f"{workdir}/cg.{worker}.*"):
                    found = re.search(r"^(?:summary|totals): (\d+)", Path(dump).read_text(), re.M)
                    if found is not None:
                        return int(found[1]) / count
            raise SystemExit(f"callgrind wrote no complete dump of the gunicorn worker {worker}")
        finally:
            server.terminate()
            server.wait(timeout=60)


def main() -> None:
    args = _runner.arguments(__doc__, iterations=1000, gunicorn_requests=300)
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
    whole = _instructions(sys.executable, "route_json", args.iterations, **FAST)
    base = _instructions(sys.executable, "route_json", 0, **FAST)
    per_request[ours, "route_json_fast"] = (whole - base) / args.iterations
    per_request[theirs, "route_json_fast"] = per_request[theirs, "route_json"]
    labels = {**labels, "route_json_fast": f"{labels['route_json']}, ours with `fast`"}
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
    in_worker = {}
    for name, app in load.APPS.items():
        python = pythons.get(name, sys.executable)
        in_worker[name] = _gunicorn_instructions(python, app, args.gunicorn_requests)
        print(f"gunicorn {name}: {in_worker[name]:,.0f}", file=sys.stderr)
    fast = _gunicorn_instructions(sys.executable, load.APPS[ours], args.gunicorn_requests, **FAST)
    bare, floor = in_worker["bare"], in_worker["log-line"]
    worker_labels = {**load.LABELS, "fast": f"{load.LABELS[ours]}, with `fast`"}
    worker_rows = [[worker_labels[name], f"{count / 1000:,.1f}", f"{(count - bare) / 1000:+,.1f}",
                    f"{floor / count:.1%}"]
                   for name, count in {**in_worker, "fast": fast}.items()]  # fmt: skip
    worker_header = ["gunicorn server", "k-instr per request in the worker", "added",
                     "floor of logging / this"]  # fmt: skip
    mine, their = in_worker[ours] - bare, in_worker[theirs] - bare
    lines += [
        "",
        *_runner.table(worker_header, worker_rows),
        "",
        f"- In the worker, ours adds {mine / their:.2f} of python-dockerflow's instructions "
        f"(both on the standard library's JSON encoder; {(fast - bare) / their:.2f} with "
        "ours on the `fast` extra's orjson). The last column is the share of the floor of "
        "logging's requests per second a "
        "server would keep if time followed instructions.",
    ]
    bars = [("floor of logging", added[ours, "log_line"] / 1000, _runner.FLOOR)]
    for variant in ("route_json", "lbheartbeat_off", "version_off"):
        bars += [(f"{labels[variant]}: {side}", added[side, variant] / 1000, side)
                 for side in (ours, theirs)]  # fmt: skip
    _runner.write_page("instructions", __doc__, args, described, lines, bars,
                       "thousand instructions over a bare route")  # fmt: skip


if __name__ == "__main__":
    main()
