"""Shared by tests/hardening and tests/stress (loaded by path from both conftests).

Hypothesis profiles, an in-process WSGI driver, process gauges (RSS, threads),
long-run drivers and the example service under gunicorn with faults. The fault
injectors themselves (``redis-server``, TCP proxy) come from the root's
``testing_support/servers.py``. Nothing here
imports Flask at module level.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from hypothesis import HealthCheck, settings

from testing_support.servers import (
    RedisServer,
    TcpProxy,
    find_free_port,
    wait_until,
)

#: ``hatch test`` keeps the fuzzing modest; ``hatch run stress:run`` sets
#: HYPOTHESIS_PROFILE=stress for ten times the cases.
settings.register_profile(
    "dockerflow-hardening",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dockerflow-stress",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
STRESS = os.environ.get("HYPOTHESIS_PROFILE", "") == "stress"
FUZZ = settings.get_profile("dockerflow-stress" if STRESS else "dockerflow-hardening")


# -- in-process WSGI ----------------------------------------------------------


def wsgi_environ(
    path: str = "/", method: str = "GET", headers: dict[str, str] | None = None, query: str = ""
) -> dict[str, Any]:
    """A minimal WSGI environ, cheaper to build than werkzeug's test client.

    Text beyond latin-1 is sent as its UTF-8 bytes, as a server would.
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": as_wsgi_text(path),
        "QUERY_STRING": as_wsgi_text(query),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = as_wsgi_text(value)
    return environ


def as_wsgi_text(text: str) -> str:
    """``text`` as a WSGI server hands it over: raw bytes decoded as latin-1."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("latin-1")
    return text


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Call a WSGI app once: status code, headers, body."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"] = int(status.split(" ", 1)[0])
        answer["headers"] = dict(headers)
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], body


# -- process gauges --------------------------------------------------------------


def rss_bytes() -> int:
    """This process's resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def live_threads() -> int:
    return threading.active_count()


class CollectingHandler(logging.Handler):
    """Keeps every formatted line (thread-safe through Handler's lock)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class NullStream:
    """A text stream that drops everything: logging's cost without the output."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


# -- long runs ------------------------------------------------------------------------


class Sample:
    """One point of a long run's curves."""

    __slots__ = ("done", "objects", "rss", "threads")

    def __init__(self, done: int) -> None:
        import gc

        gc.collect()
        self.done = done
        self.rss = rss_bytes()
        self.threads = live_threads()
        self.objects = len(gc.get_objects())

    def __repr__(self) -> str:
        return (
            f"<{self.done} done: rss {self.rss / 2**20:.1f} MiB, "
            f"{self.threads} threads, {self.objects} objects>"
        )


def logged_app(name: str, **config: Any) -> Any:
    """A Flask app with Dockerflow, a plain ``/hello`` route and an ok check.

    ``request.summary`` goes through the mozlog formatter to a stream that
    drops it (call :func:`detach_summary_logging` afterwards).
    """
    from flask import Flask

    from dockerflow.flask import Dockerflow
    from dockerflow.logging import JsonLogFormatter, RequestIdLogFilter

    app = Flask(name)
    app.config.update(config)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def always_ok() -> list[Any]:
        return []

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    handler = logging.StreamHandler(NullStream())  # type: ignore[arg-type]
    handler.setFormatter(JsonLogFormatter(logger_name=name))
    handler.addFilter(RequestIdLogFilter())
    for name in LOGGED:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # pytest's log capture on the root logger would keep every record.
        logger.propagate = False
    app.extensions["hardening.handler"] = handler
    return app


#: The loggers the extension writes to: their records go to the null stream.
LOGGED = ("request.summary", "dockerflow.checks", "dockerflow.flask")


def detach_summary_logging(app: Any) -> None:
    for name in LOGGED:
        logger = logging.getLogger(name)
        logger.removeHandler(app.extensions["hardening.handler"])
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


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
    dockerflow = app.extensions["dockerflow"].extension

    @dockerflow.check
    def hangs() -> list[Any]:
        release.wait(60)
        return []

    @dockerflow.check
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


# -- the example service under gunicorn, with faults ---------------------------------

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
