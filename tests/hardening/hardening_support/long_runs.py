"""Drivers of the long runs and the gauges they sample: RSS, live threads, live objects."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from typing import Any

from hardening_support.logged_apps import CollectingHandler, detach_summary_logging, logged_app
from testing_support.wsgi import call_wsgi, wsgi_environ


def rss_bytes() -> int:
    """This process's resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sample:
    """One point of a long run's curves, taken after a full garbage collection."""

    __slots__ = ("done", "objects", "rss", "threads")

    def __init__(self, done: int) -> None:
        gc.collect()
        self.done = done
        self.rss = rss_bytes()
        self.threads = threading.active_count()
        self.objects = len(gc.get_objects())

    def __repr__(self) -> str:
        return (
            f"<{self.done} done: rss {self.rss / 2**20:.1f} MiB, "
            f"{self.threads} threads, {self.objects} objects>"
        )


def drive_requests(app: Any, total: int, samples: int = 10) -> list[Sample]:
    """Send ``total`` mixed requests through the WSGI app; sample the gauges ``samples`` times."""
    paths = ["/hello", "/__lbheartbeat__", "/__heartbeat__", "/__version__", "/missing"]
    every = max(total // samples, 1)
    curve = [Sample(0)]
    for index in range(1, total + 1):
        headers = {"X-Request-ID": f"long-run-{index}"} if index % 2 else {}
        status, _, _ = call_wsgi(app, wsgi_environ(paths[index % len(paths)], headers=headers))
        assert status in (200, 404), status
        if index % every == 0:
            curve.append(Sample(index))
    return curve


def drive_timing_out_heartbeats(
    total: int, timeout: float = 0.01, samples: int = 10
) -> tuple[list[Sample], dict[int, int]]:
    """``total`` heartbeats of an app whose checks always time out; gauges and statuses.

    One check hangs until the run ends, one sleeps five times the timeout on
    every run: each heartbeat waits for it or reports it still running.
    """
    release = threading.Event()
    app = logged_app("timing_out", DOCKERFLOW_CHECK_TIMEOUT=timeout)
    registry = app.extensions["dockerflow"].registry  # the app's Dockerflow checks

    @registry.register
    def hangs() -> list[Any]:
        release.wait(60)
        return []

    @registry.register
    def slow() -> list[Any]:
        time.sleep(timeout * 5)
        return []

    every = max(total // samples, 1)
    curve = [Sample(0)]
    statuses: dict[int, int] = {}
    try:
        for index in range(1, total + 1):
            status, _, _ = call_wsgi(app, wsgi_environ("/__heartbeat__"))
            statuses[status] = statuses.get(status, 0) + 1
            if index % every == 0:
                curve.append(Sample(index))
    finally:
        release.set()
        detach_summary_logging(app)
    return curve, statuses


def concurrent_logged_requests(
    app: Any, threads: int, per_thread: int
) -> tuple[list[str], list[str]]:
    """Requests from several threads at once: the echoed request ids and the summary lines."""
    from dockerflow.logging import JsonLogFormatter

    handler = CollectingHandler()
    handler.setFormatter(JsonLogFormatter())
    summary = logging.getLogger("request.summary")
    summary.addHandler(handler)
    summary.setLevel(logging.INFO)
    echoed: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(number: int) -> None:
        start.wait(timeout=30)
        for index in range(per_thread):
            sent = {"X-Request-ID": f"t{number}-r{index}"} if index % 2 else {}
            path = ("/hello", "/__lbheartbeat__", "/__heartbeat__")[index % 3]
            status, headers, _ = call_wsgi(app, wsgi_environ(path, headers=sent))
            assert status == 200
            with lock:
                echoed.append(headers["X-Request-ID"])

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=120)
    finally:
        summary.removeHandler(handler)
    return echoed, handler.lines
