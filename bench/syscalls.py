"""What one system call costs a gunicorn worker.

    hatch run bench:syscalls [--repetitions 5] [--seconds 8]

Both extensions make three system calls per request that bare Flask does
not: the handler's ``write``, ``getpid`` (in ``LogRecord``) and
``getrandom`` (``uuid.uuid4()``). strace counts 15 system calls in a bare
request's worker, 17 with one constant log line, 18 with either extension.
Instruction counts leave the kernel out; if those three calls cost much,
they would fall on both sides alike and pull the ratio of the sides' added
worker CPU towards 1. This page asks whether they cost enough to see: the
bare Flask server of ``bench/load.py``, and the same route making 3 or 10
more ``os.getpid()`` or ``os.urandom(16)`` calls per request
(``bench/apps/request_apps.py``, app ``syscalls``), loaded by ``wrk`` as
``bench/load.py`` does, each measurement on a server of its own; medians of
the workers' CPU time per request over interleaved repetitions. Two servers
of one app differ by tens of microseconds per request, so an "added" figure
smaller than that is noise, negative ones included. The last column times
the same call in a loop in one process, where it is hot.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import timeit

import _runner
import load  # its gunicorn server and wrk

#: ``BENCH_SYSCALLS`` of each server after the bare one: the call and how many per request.
EXTRA_CALLS = ("getpid:3", "getpid:10", "urandom:3", "urandom:10")
IN_A_LOOP = {"getpid": "os.getpid()", "urandom": "os.urandom(16)"}


def main() -> None:
    args = _runner.arguments(__doc__, repetitions=5, seconds=8)
    if shutil.which("wrk") is None:
        raise SystemExit("bench/syscalls.py needs wrk: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="dockerflow-syscalls-") as workdir:

        def measure(calls: str) -> float:
            os.environ["BENCH_SYSCALLS"] = calls or "getpid:0"  # the server inherits it
            app = "syscalls" if calls else "bare"
            server = load.Server(sys.executable, app, os.path.join(workdir, "stdout"))
            try:
                load.wrk(server.port, 2)  # warm-up
                cpu = server.worker_cpu_seconds()
                _, requests, _ = load.wrk(server.port, args.seconds)
                cpu = server.worker_cpu_seconds() - cpu
            finally:
                server.stop()
            return cpu / requests * 1e6

        variants = ("", *EXTRA_CALLS)
        measurements = {calls: lambda calls=calls: measure(calls) for calls in variants}
        cpu = _runner.medians(_runner.interleave(measurements, args.repetitions))
    bare = cpu[""]
    rows = [["bare Flask", f"{bare:.0f}", "", "", ""]]
    bars = []
    for calls in EXTRA_CALLS:
        name, _, count = calls.partition(":")
        each = (cpu[calls] - bare) / int(count)
        loop = min(timeit.repeat(IN_A_LOOP[name], "import os", number=100_000, repeat=5)) / 1e5
        label = f"+{count} {IN_A_LOOP[name]}"
        rows.append([label, f"{cpu[calls]:.0f}", f"{cpu[calls] - bare:+.0f}", f"{each:.1f}",
                     f"{loop * 1e6:.2f}"])  # fmt: skip
        bars.append((label, each, _runner.FLOOR))
    header = ["server", "worker CPU µs/request", "added", "µs per call", "µs per call in a loop"]
    _runner.write_page(
        "syscalls", __doc__, args, {"bench": _runner.versions()}, _runner.table(header, rows),
        bars, "worker CPU µs per extra call",
    )  # fmt: skip


if __name__ == "__main__":
    main()
