"""Requests per second under gunicorn: bare Flask, the logging floor, ours, python-dockerflow.

Run from the repository root::

    hatch run bench:python bench/load.py [--rounds 3] [--seconds 10]

Four gunicorn servers (2 sync workers each, loopback only) serve the same
``/hello`` route from ``bench/apps/request_apps.py``: bare Flask, the floor of
logging (bare Flask writing one constant JSON line per request through a
standard ``StreamHandler``) and ours from this environment, python-dockerflow
from ``bench-upstream``. The servers that log write every line to their
stdout, which is a temporary file (its line count is checked against the
requests served). The load comes from ``wrk`` in a separate process
(``apt-get install wrk``), else from a small bounded Python client.
Measurements run interleaved (A B C D A B C D ...), each ``--seconds`` long;
the report gives medians.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any

from _upstream import upstream_python

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
APPS_DIR = os.path.join(BENCH_DIR, "apps")
HOST = "127.0.0.1"
PATH = "/hello"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

LABELS = {
    "bare": "bare Flask",
    "log-line": "bare Flask + one constant log line (floor of logging)",
    "ours": "ours, JSON request.summary",
    "upstream": "python-dockerflow, JSON request.summary",
}
QUIET_LABELS = {
    "ours-quiet": "ours, request.summary off",
    "upstream-quiet": "python-dockerflow, request.summary off",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def gunicorn_options(python: str) -> list[str]:
    """Options that keep several gunicorns apart (gunicorn 27's control socket)."""
    out = subprocess.run(
        [python, "-m", "gunicorn", "--help"], capture_output=True, text=True, timeout=60
    )
    return ["--no-control-socket"] if "--no-control-socket" in out.stdout else []


class Server:
    """One gunicorn serving ``request_apps:app`` with its stdout in a file."""

    def __init__(
        self, name: str, python: str, kind: str, workdir: str, workers: int, handler: str
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(workdir, f"{name}.stdout")
        self.err_path = os.path.join(workdir, f"{name}.stderr")
        self._stdout: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115
        self._stderr: IO[bytes] = open(self.err_path, "wb")  # noqa: SIM115
        env = dict(
            os.environ,
            BENCH_APP_KIND=kind,
            BENCH_SUMMARY_HANDLER=handler,
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            [
                python, "-m", "gunicorn",
                "--workers", str(workers),
                "--worker-class", "sync",
                "--bind", f"{HOST}:{self.port}",
                "--chdir", APPS_DIR,
                "--graceful-timeout", "5",
                *gunicorn_options(python),
                "request_apps:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._stdout,
            stderr=self._stderr,
        )  # fmt: skip

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _ = get(self.port, PATH)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        with open(self.err_path) as file:
            raise SystemExit(f"{self.name}: gunicorn did not answer\n{file.read()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._stdout.close()
        self._stderr.close()

    def worker_cpu_seconds(self) -> float | None:
        """User + system CPU time used so far by the gunicorn workers (Linux /proc)."""
        total = 0
        try:
            children = set()
            for task in os.listdir(f"/proc/{self.process.pid}/task"):
                with open(f"/proc/{self.process.pid}/task/{task}/children") as file:
                    children.update(file.read().split())
            for child in children:
                with open(f"/proc/{child}/stat") as file:
                    # Fields after the ")" closing the command name; utime, stime are 14, 15.
                    fields = file.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            return None
        return total / os.sysconf("SC_CLK_TCK")

    def summary_lines(self) -> int:
        count = 0
        with open(self.log_path, "rb") as file:
            for line in file:
                if json.loads(line).get("Type") == "request.summary":
                    count += 1
        return count


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load_with_wrk(port: int, seconds: float, connections: int) -> tuple[float, int, int]:
    """(requests per second, requests, errors) from one wrk run."""
    out = subprocess.run(
        [
            "wrk", "--threads", "1", "--connections", str(connections),
            "--duration", f"{int(seconds)}s", "--timeout", "5s",
            f"http://{HOST}:{port}{PATH}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )  # fmt: skip
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if socket_errors:
        # gunicorn's sync worker closes every connection after its response;
        # wrk counts some of those closes as read errors, they are not failures.
        errors += int(socket_errors.group(1)) + int(socket_errors.group(4))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return rps, requests, errors


def load_with_python(port: int, seconds: float, connections: int) -> tuple[float, int, int]:
    """The fallback client: ``connections`` threads, one connection per request.

    gunicorn's sync worker closes the connection after every response, so
    keep-alive would not help; the client is slower than wrk and may be the
    bottleneck, which the report says.
    """
    counts = [0] * connections
    errors = [0] * connections
    deadline = time.monotonic() + seconds
    max_requests = 1_000_000

    def run(index: int) -> None:
        while time.monotonic() < deadline and counts[index] < max_requests:
            try:
                status, _ = get(port, PATH)
            except OSError:
                errors[index] += 1
                continue
            if status == 200:
                counts[index] += 1
            else:
                errors[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    return sum(counts) / elapsed, sum(counts), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="A B C rounds (max 10)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (max 30)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--handler",
        choices=["stream", "mozlog"],
        default="stream",
        help="request.summary through a StreamHandler with the mozlog formatter, "
        "or through each side's MozlogHandler",
    )
    parser.add_argument(
        "--with-quiet",
        action="store_true",
        help="also measure both extensions with the summary logger off",
    )
    args = parser.parse_args()
    if not (1 <= args.rounds <= 10 and 1 <= args.seconds <= 30):
        parser.error("rounds must be 1..10 and seconds 1..30")
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    load = load_with_wrk if client == "wrk" else load_with_python

    upstream = upstream_python()
    labels = {**LABELS, **(QUIET_LABELS if args.with_quiet else {})}
    results: dict[str, list[float]] = {name: [] for name in labels}
    cpu_per_request: dict[str, list[float]] = {name: [] for name in labels}
    served: dict[str, int] = dict.fromkeys(labels, 0)
    failures: dict[str, int] = dict.fromkeys(labels, 0)
    with tempfile.TemporaryDirectory(prefix="dockerflow-load-") as workdir:

        def start(name: str, python: str, kind: str) -> Server:
            return Server(name, python, kind, workdir, args.workers, args.handler)

        servers = {
            "bare": start("bare", sys.executable, "bare"),
            "log-line": start("log-line", sys.executable, "log-line"),
            "ours": start("ours", sys.executable, "dockerflow"),
            "upstream": start("upstream", upstream, "dockerflow"),
        }
        if args.with_quiet:
            for name, python in (("ours-quiet", sys.executable), ("upstream-quiet", upstream)):
                servers[name] = start(name, python, "dockerflow-quiet")
        try:
            for server in servers.values():
                server.wait_ready()
            for name, server in servers.items():  # warm-up, not counted
                _, warm, _ = load(server.port, 2, args.connections)
                served[name] += warm + 1  # + the readiness request
            for round_number in range(args.rounds):
                for name, server in servers.items():
                    cpu_before = server.worker_cpu_seconds()
                    rps, requests, errors = load(server.port, args.seconds, args.connections)
                    cpu_after = server.worker_cpu_seconds()
                    if cpu_before is not None and cpu_after is not None and requests:
                        cpu_per_request[name].append((cpu_after - cpu_before) / requests * 1e6)
                    results[name].append(rps)
                    served[name] += requests
                    failures[name] += errors
                    print(
                        f"round {round_number + 1}: {name} {rps:.0f} rps ({errors} errors)",
                        file=sys.stderr,
                    )
        finally:
            for server in servers.values():
                server.stop()
        logged = {name: servers[name].summary_lines() for name in ("log-line", "ours", "upstream")}

    report(args, client, labels, results, cpu_per_request, served, failures, logged)


def report(
    args: Any,
    client: str,
    labels: dict[str, str],
    results: dict[str, list[float]],
    cpu_per_request: dict[str, list[float]],
    served: dict[str, int],
    failures: dict[str, int],
    logged: dict[str, int],
) -> None:
    bare = statistics.median(results["bare"])
    print(
        f"- gunicorn {args.workers} sync workers on {HOST}, client {client} with "
        f"{args.connections} connections, {args.rounds} rounds x {args.seconds:g} s, "
        f"interleaved; medians; request.summary through "
        + ("each side's MozlogHandler" if args.handler == "mozlog" else "a StreamHandler")
    )
    have_cpu = all(cpu_per_request.values())
    bare_cpu = statistics.median(cpu_per_request["bare"]) if have_cpu else 0.0
    print(
        "\n| server | median rps | runs (rps) | % of bare Flask | errors "
        "| worker CPU us/request | added CPU us/request |"
    )
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, label in labels.items():
        median = statistics.median(results[name])
        runs = ", ".join(f"{value:.0f}" for value in results[name])
        cpu = added = "n/a"
        if have_cpu:
            value = statistics.median(cpu_per_request[name])
            cpu, added = f"{value:.0f}", f"{value - bare_cpu:+.0f}"
        print(
            f"| {label} | {median:.0f} | {runs} | {median / bare:.1%} | {failures[name]} "
            f"| {cpu} | {added} |"
        )
    print()
    if have_cpu:
        ours_cpu = statistics.median(cpu_per_request["ours"])
        print(
            "- worker CPU per request (from /proc, 10 ms ticks) depends much less on what "
            f"else the machine runs; bare / ours = {bare_cpu / ours_cpu:.1%} is the share "
            "of bare Flask's throughput ours would keep when the workers are CPU-bound"
        )
    for name, count in logged.items():
        print(
            f"- {LABELS[name]}: {count} request.summary lines for about {served[name]} "
            "requests served"
        )
    ours = statistics.median(results["ours"]) / bare
    floor = statistics.median(results["log-line"]) / bare
    verdict = "met" if ours >= 0.93 else "MISSED"
    print(
        f"- writing one constant line per request keeps {floor:.1%} of bare Flask; "
        f"ours keeps {ours / floor:.1%} of that floor"
    )
    print(f"- target: ours keeps >= 93% of bare Flask: {ours:.1%}, {verdict}")


if __name__ == "__main__":
    main()
