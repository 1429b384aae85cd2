"""Throughput under gunicorn.

    hatch run bench:load [--repetitions 5] [--seconds 10]

Requests per second of four gunicorn servers (2 sync workers each, on
127.0.0.1) serving ``/hello`` from ``bench/apps/request_apps.py``: bare Flask
(the floor), bare Flask writing one constant line per request (the floor of
logging), ours and python-dockerflow, both writing ``request.summary`` as
mozlog JSON. The logging servers write to their stdout, a temporary file
whose lines are counted against the requests served. The load comes from
``wrk --threads 1 --connections 4`` (``apt-get install -y wrk``), one run of
``--seconds`` per server in each of ``--repetitions`` interleaved
repetitions, each on a server started for it and warmed up for 2 s (two
processes of one app differ by their hash seed and memory layout, by as much
as the sides do); medians. The workers' CPU time per request (from /proc)
moves much less than requests per second when other processes share the
machine.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import _runner

URL = "http://127.0.0.1:{port}/hello"
LABELS = {
    "bare": "bare Flask (floor)",
    "log-line": "bare Flask + one constant log line (floor of logging)",
    _runner.OURS: "ours, JSON request.summary",
    _runner.UPSTREAM: "python-dockerflow, JSON request.summary",
}
#: The ``BENCH_APP`` of each server (``bench/apps/request_apps.py``).
APPS = {"bare": "bare", "log-line": "log-line", _runner.OURS: "dockerflow",
        _runner.UPSTREAM: "dockerflow"}  # fmt: skip


class Server:
    """gunicorn serving ``request_apps:app`` (the app ``BENCH_APP`` names), stdout to a file."""

    def __init__(self, python: str, app: str, stdout: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        command = [python, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(_runner.ROOT / "bench" / "apps"), "request_apps:app"]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        self.stdout = stdout
        with open(stdout, "wb") as out:
            self.process = subprocess.Popen(command, env={**env, "BENCH_APP": app}, stdout=out)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(URL.format(port=self.port), timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn {command} did not answer (its errors are above)")

    def worker_cpu_seconds(self) -> float:
        """User + system CPU time the gunicorn workers used so far (Linux /proc)."""
        pid, ticks = self.process.pid, 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    with open(f"/proc/{child}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()  # after the command name
                    ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def wrk(port: int, seconds: int) -> tuple[float, int, int]:
    """(requests per second, requests, failures) of one wrk run."""
    command = ["wrk", "--threads", "1", "--connections", "4", "--duration", f"{seconds}s",
               "--timeout", "5s", URL.format(port=port)]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 30)
    rps = float(re.findall(r"Requests/sec:\s+([\d.]+)", out.stdout)[0])
    requests = int(re.findall(r"(\d+) requests in", out.stdout)[0])
    # gunicorn's sync workers close each connection after the response; wrk
    # counts some of those closes as read errors, which are not failures.
    failures = re.findall(r"connect (\d+), read \d+, write \d+, timeout (\d+)", out.stdout)
    failures += re.findall(r"Non-2xx or 3xx responses: (\d+)", out.stdout)
    return rps, requests, sum(int(n) for found in failures for n in found)


def main() -> None:
    args = _runner.arguments(__doc__, repetitions=5, seconds=10)
    if shutil.which("wrk") is None:
        raise SystemExit("bench/load.py needs wrk, which is not installed: apt-get install -y wrk")
    ours, theirs = _runner.OURS, _runner.UPSTREAM
    python = {ours: sys.executable, theirs: _runner.upstream_python()}
    served = dict.fromkeys(LABELS, 0)
    written = dict.fromkeys(LABELS, 0)
    with tempfile.TemporaryDirectory(prefix="dockerflow-load-") as workdir:

        def measure(name: str) -> tuple[float, float, int]:
            # A new server for each measurement: two processes of the same
            # app differ by more than the sides do (hash seed, memory layout).
            stdout = os.path.join(workdir, f"{name}.stdout")
            server = Server(python.get(name, sys.executable), APPS[name], stdout)
            try:
                served[name] += 1 + wrk(server.port, 2)[1]  # readiness and warm-up
                cpu = server.worker_cpu_seconds()
                rps, requests, failures = wrk(server.port, args.seconds)
                cpu = server.worker_cpu_seconds() - cpu
            finally:
                server.stop()
            served[name] += requests
            with open(stdout, "rb") as lines:
                written[name] += sum(1 for _ in lines)
            return rps, cpu / requests * 1e6, failures

        measurements = {name: lambda name=name: measure(name) for name in APPS}
        samples = _runner.interleave(measurements, args.repetitions)
    rps = _runner.medians({name: [rps for rps, _, _ in runs] for name, runs in samples.items()})
    cpu = _runner.medians({name: [cpu for _, cpu, _ in runs] for name, runs in samples.items()})
    failures = {name: sum(failed for _, _, failed in runs) for name, runs in samples.items()}
    rows = [
        [label, f"{rps[name]:.0f}", f"{rps[name] / rps['bare']:.1%}", f"{cpu[name]:.0f}",
         f"{cpu[name] - cpu['bare']:+.0f}", str(failures[name])]
        for name, label in LABELS.items()
    ]  # fmt: skip
    header = ["server", "requests/s", "of bare Flask", "worker CPU µs/request", "added CPU µs"]
    floor = rps["log-line"]
    lines = [
        *_runner.table([*header, "failures"], rows),
        "",
        f"- The floor of logging keeps {floor / rps['bare']:.1%} of bare Flask's requests per "
        f"second; ours keeps {rps[ours] / floor:.1%} of that floor, python-dockerflow "
        f"{rps[theirs] / floor:.1%}.",
        "- Lines written for the requests served (the difference: requests in flight when wrk "
        "stopped): "
        + ", ".join(f"{n} {written[n]:,} / {served[n]:,}" for n in written if n != "bare")
        + ".",
    ]
    kinds = {"bare": _runner.FLOOR, "log-line": _runner.FLOOR, ours: ours, theirs: theirs}
    bars = [(LABELS[n], rps[n] / rps["bare"] * 100, kinds[n]) for n in LABELS]
    described = {ours: _runner.versions()}
    _runner.write_page(
        "load", __doc__, args, described, lines, bars, "% of bare Flask's requests/s"
    )


if __name__ == "__main__":
    main()
