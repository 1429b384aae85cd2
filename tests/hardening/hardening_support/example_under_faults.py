"""The example service under gunicorn while its backends fail, and the load that watches it.

:func:`faulty_backends_service` serves ``examples/service`` (plus a ``/ping``
route that uses no backend) with Redis from our own ``redis-server`` and
PostgreSQL behind a stallable proxy (``testing_support.servers``);
:func:`run_fault_timeline` polls it while each backend fails in turn, and
:func:`classify_heartbeats` sorts the heartbeats by what was down when.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from testing_support.servers import RedisServer, TcpProxy, find_free_port, wait_until

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(REPO_ROOT, "examples", "service")
# The example app plus one route that touches no backend: it must keep
# answering whatever the backends and the heartbeats do.
STRESS_WSGI = """
from wsgi import app


@app.get("/ping")
def ping():
    return {"pong": True}
"""


class ExampleService:
    """The example app under gunicorn (2 sync workers) on a loopback port."""

    def __init__(self, root: str, environ: dict[str, str]) -> None:
        import tempfile

        self.root = tempfile.mkdtemp(prefix="dockerflow-stress-", dir=root)
        self.port = find_free_port()
        self.environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLASK_")},
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_TIMEOUT": "10",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
            **environ,
        }
        self.stdout = os.path.join(self.root, "stdout.log")
        self.stderr = os.path.join(self.root, "stderr.log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        service = os.path.join(self.root, "service")
        shutil.copytree(
            EXAMPLE, service, ignore=shutil.ignore_patterns("instance", "__pycache__", "*.whl")
        )
        with open(os.path.join(service, "stress_wsgi.py"), "w") as module:
            module.write(STRESS_WSGI)
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "stress_wsgi:app"]
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                command, cwd=service, env=self.environ, stdout=out, stderr=err
            )
        if not wait_until(self._answers, timeout=60, interval=0.2):
            self.stop()
            raise RuntimeError(f"gunicorn did not start:\n{self.output()}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.output()}")
        try:
            return self.get("/__lbheartbeat__", timeout=2)[0] == 200
        except OSError:
            return False

    def get(self, path: str, timeout: float = 15.0) -> tuple[int, bytes]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def output(self) -> str:
        texts = []
        for path in (self.stdout, self.stderr):
            with contextlib.suppress(OSError), open(path, errors="replace") as stream:
                texts.append(stream.read())
        return "\n".join(texts)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


class Exchange:
    __slots__ = ("body", "ended", "error", "path", "started", "status")

    def __init__(
        self, path: str, started: float, ended: float, status: int, error: str, body: bytes = b""
    ) -> None:
        self.body = body
        self.path = path
        self.started = started
        self.ended = ended
        self.status = status
        self.error = error

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def __repr__(self) -> str:
        return (
            f"<{self.path} at {self.started:.2f}+{self.seconds:.2f}s: "
            f"{self.status or self.error} {self.body[:300]!r}>"
        )


class LoadGenerator:
    """Threads polling paths of a service until stopped; every exchange recorded.

    Bounded: each thread stops after ``max_requests`` or when :meth:`stop` is
    called, and each request has a client timeout.
    """

    def __init__(
        self,
        service: ExampleService,
        paths: list[str],
        pause: float = 0.02,
        max_requests: int = 20_000,
    ) -> None:
        self.service = service
        self.exchanges: list[Exchange] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._poll, args=(path, pause, max_requests), daemon=True)
            for path in paths
        ]

    def __enter__(self) -> LoadGenerator:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _poll(self, path: str, pause: float, max_requests: int) -> None:
        for _ in range(max_requests):
            if self._stop.is_set():
                return
            started = time.monotonic()
            status, error, body = 0, "", b""
            try:
                status, body = self.service.get(path)
            except Exception as exc:  # a failed request is a finding, not a crash
                error = repr(exc)
            kept = body if status != 200 else b""  # keep the bodies worth reading
            with self._lock:
                self.exchanges.append(
                    Exchange(path, started, time.monotonic(), status, error, kept)
                )
            self._stop.wait(pause)

    def of(self, path: str) -> list[Exchange]:
        with self._lock:
            return [exchange for exchange in self.exchanges if exchange.path == path]


Outage = tuple[float, float, float, float]


def classify_heartbeats(
    heartbeats: list[Exchange], outages: list[Outage], settle: float
) -> dict[str, list[Exchange]]:
    """Sort heartbeats into those made while a backend was down, after it was back, or between.

    ``outages`` are (breaking, down, repairing, repaired) times: the fault
    began, was complete, its repair began, was complete. A heartbeat is "down"
    when it started after the fault was complete and ended before the repair
    began; "up" when, for every outage, it ended before the fault began or
    started ``settle`` seconds after the repair was complete.
    """
    classes: dict[str, list[Exchange]] = {"down": [], "up": [], "transition": []}
    for exchange in heartbeats:
        if any(
            down <= exchange.started and exchange.ended <= repairing
            for _, down, repairing, _ in outages
        ):
            classes["down"].append(exchange)
        elif all(
            exchange.ended <= breaking or exchange.started >= repaired + settle
            for breaking, _, _, repaired in outages
        ):
            classes["up"].append(exchange)
        else:
            classes["transition"].append(exchange)
    return classes


CHECK_TIMEOUT = 1.0


@contextlib.contextmanager
def faulty_backends_service(tmp_path: str, postgres_url: str, **settings: str) -> Any:
    """Redis (our own) and PostgreSQL (through a proxy) behind the example under gunicorn.

    Yields ``(service, redis_server, proxy)``; everything is stopped afterwards.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    redis_server = RedisServer(find_free_port())
    environ = {
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"postgresql://{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
        f"{parts.path or '/test'}",
        "FLASK_DOCKERFLOW_CHECK_TIMEOUT": str(CHECK_TIMEOUT),
        **settings,
    }
    service = ExampleService(tmp_path, environ)
    try:
        proxy.start()
        redis_server.start()
        service.start()
        yield service, redis_server, proxy
    finally:
        service.stop()
        redis_server.stop()
        proxy.stop()


def worker_timeouts(service: ExampleService) -> int:
    return service.output().count("WORKER TIMEOUT")


def run_fault_timeline(
    service: ExampleService, redis_server: RedisServer, proxy: TcpProxy, phase: float
) -> tuple[LoadGenerator, list[Outage]]:
    """Poll heartbeat and /ping while Redis is stopped and PostgreSQL stalled, each ``phase`` s."""

    def outage(break_backend: Callable[[], None], repair_backend: Callable[[], None]) -> Outage:
        """``phase`` s of normal load, then ``phase`` s with the backend broken."""
        time.sleep(phase)
        breaking = time.monotonic()
        break_backend()
        down = time.monotonic()
        time.sleep(phase)
        repairing = time.monotonic()
        repair_backend()
        return breaking, down, repairing, time.monotonic()

    with LoadGenerator(service, ["/__heartbeat__", "/ping"]) as load:
        outages = [outage(redis_server.stop, redis_server.start), outage(proxy.stall, proxy.resume)]
        time.sleep(phase + 2)
    return load, outages


def assert_heartbeats_follow_faults(
    classes: dict[str, list[Exchange]], outages: list[Outage]
) -> None:
    """Every heartbeat made while a backend was down answered 500, every one after 200."""
    assert {exchange.status for exchange in classes["down"]} == {500}, (
        outages,
        [e for e in classes["down"] if e.status != 500],
    )
    assert {exchange.status for exchange in classes["up"]} == {200}, (
        outages,
        [(e.started, e.seconds, e.body[-400:]) for e in classes["up"] if e.status != 200],
    )


def run_cached_flood(
    service: ExampleService, redis_server: RedisServer, seconds: float, threads: int = 6
) -> tuple[int, int, float]:
    """Flood heartbeats from ``threads`` threads: (heartbeats, Redis PINGs, elapsed seconds)."""
    before = redis_server.ping_calls()
    started = time.monotonic()
    with LoadGenerator(service, ["/__heartbeat__"] * threads, pause=0.0) as load:
        time.sleep(seconds)
    elapsed = time.monotonic() - started
    pings = redis_server.ping_calls() - before
    return len(load.exchanges), pings, elapsed
