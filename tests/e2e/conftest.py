"""A real gunicorn serving ``tests/e2e/apps/service`` on a free loopback port.

``gunicorn_service`` starts it (``sys.executable -m gunicorn``, so the test
environment's packages), waits until it answers, records every HTTP exchange
made through it, and stops it at teardown. Its stdout goes to a file that the
tests read back as mozlog JSON once the server is stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

APPS_DIR = Path(__file__).parent / "apps"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0  # seconds until the first answer
STOP_TIMEOUT = 10.0  # seconds for a graceful stop before kill
REQUEST_TIMEOUT = 10.0
MOZLOG_KEYS = {"Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"}


@dataclass
class Exchange:
    """One HTTP request made to the server and what came back."""

    method: str
    path: str
    sent_headers: dict[str, str]
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def request_id(self) -> str | None:
        """The request id the server answered with."""
        return self.headers.get("X-Request-ID")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GunicornService:
    """A running gunicorn and the exchanges made with it."""

    port: int
    stdout_path: Path
    stderr_path: Path
    process: subprocess.Popen[bytes]
    exchanges: list[Exchange] = field(default_factory=list)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Exchange:
        """Send one request on a new connection and record the exchange."""
        sent = dict(headers or {})
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, headers=sent)
            response = connection.getresponse()
            exchange = Exchange(method, path, sent, response.status, response.msg, response.read())
        finally:
            connection.close()
        self.exchanges.append(exchange)
        return exchange

    def get(self, path: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.request("GET", path, headers)

    def wait_ready(self) -> None:
        """Poll ``/__lbheartbeat__`` until it answers 200, within START_TIMEOUT."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if self.get("/__lbheartbeat__").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"gunicorn did not answer on port {self.port}:\n{self.stderr()[-4000:]}")

    def stop(self) -> None:
        """SIGTERM, wait (bounded), then kill."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """Stop the server and parse its stdout: every line must be mozlog JSON."""
        self.stop()
        records = []
        for number, line in enumerate(self.stdout_path.read_text().splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"stdout line {number} is not JSON: {line!r}")
            assert_mozlog_envelope(record, line)
            records.append(record)
        return records


def assert_mozlog_envelope(record: Any, line: str) -> None:
    """The mozlog 2.0 envelope fields, with their types."""
    assert isinstance(record, dict), line
    assert set(record) == MOZLOG_KEYS, line
    assert type(record["Timestamp"]) is int, line
    # Nanoseconds since the epoch: within a day of now.
    assert abs(record["Timestamp"] - time.time_ns()) < 86_400 * 10**9, line
    assert isinstance(record["Type"], str), line
    assert record["Type"], line
    assert record["Logger"] == "e2e-service", line
    assert isinstance(record["Hostname"], str), line
    assert record["Hostname"], line
    assert record["EnvVersion"] == "2.0", line
    assert type(record["Severity"]) is int, line
    assert 0 <= record["Severity"] <= 7, line
    assert type(record["Pid"]) is int, line
    assert record["Pid"] > 0, line
    assert isinstance(record["Fields"], dict), line


def _control_socket_options() -> list[str]:
    # gunicorn 27 opens a control socket at a fixed path by default; several
    # servers at once (parallel tests, benchmarks) must not share it.
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []


@pytest.fixture
def gunicorn_service(free_port: int, tmp_path: Path) -> Iterator[Callable[..., GunicornService]]:
    """Start an e2e app: ``gunicorn_service(workers=1, env={}, preload=False, app=...)``.

    ``app`` is the gunicorn target in ``apps/``, ``"service:app"`` by default.
    """
    started: list[GunicornService] = []
    files: list[Any] = []

    def start(
        workers: int = 1,
        env: dict[str, str] | None = None,
        preload: bool = False,
        app: str = "service:app",
    ) -> GunicornService:
        assert not started, "one server per test: free_port gives one port"
        stdout_path = tmp_path / "gunicorn.stdout"
        stderr_path = tmp_path / "gunicorn.stderr"
        stdout = open(stdout_path, "wb")  # noqa: SIM115 - closed at teardown
        stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed at teardown
        files.extend([stdout, stderr])
        process_env = dict(os.environ)
        process_env.update(env or {})
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(workers),
            "--worker-class", "sync",
            "--bind", f"{HOST}:{free_port}",
            "--chdir", str(APPS_DIR),
            "--graceful-timeout", "5",
            "--timeout", "30",
            *_control_socket_options(),
            *(["--preload"] if preload else []),
            app,
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=process_env)
        service = GunicornService(free_port, stdout_path, stderr_path, process)
        started.append(service)
        service.wait_ready()
        return service

    yield start
    for service in started:
        service.stop()
    for file in files:
        file.close()
