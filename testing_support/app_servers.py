"""An app served by a real server process (gunicorn, ``flask run``) on a loopback port.

:func:`serve` starts a command, waits until ``/__lbheartbeat__`` answers 200,
and stops the server when the block ends (SIGTERM, a bounded wait, then kill).
The :class:`AppServer` it yields sends requests, records each exchange with
how long it took, and reads stdout back as JSON lines.
:func:`gunicorn_command` and :func:`flask_run_command` build the commands.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0  # seconds until the first 200 from /__lbheartbeat__
STOP_TIMEOUT = 30.0  # seconds for a graceful stop before kill
REQUEST_TIMEOUT = 10.0
MOZLOG_KEYS = {"Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"}


@dataclass
class Exchange:
    """One HTTP request made to the server, what came back and how long it took."""

    method: str
    path: str
    sent_headers: dict[str, str]
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def request_id(self) -> str | None:
        """The request id the server answered with."""
        return self.headers.get("X-Request-ID")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class AppServer:
    """A running server process and the exchanges made with it.

    ``stderr_path`` is None when stderr goes to the stdout file.
    """

    port: int
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path | None
    exchanges: list[Exchange] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Exchange:
        """Send one request on a new connection and record the exchange."""
        sent = dict(headers or {})
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = response.read()
        finally:
            connection.close()
        seconds = time.monotonic() - started
        exchange = Exchange(method, path, sent, response.status, response.msg, answer, seconds)
        self.exchanges.append(exchange)
        return exchange

    def get(
        self, path: str, headers: dict[str, str] | None = None, timeout: float = REQUEST_TIMEOUT
    ) -> Exchange:
        return self.request("GET", path, headers, timeout=timeout)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll ``/__lbheartbeat__`` until it answers 200; stop the server and fail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError):
                if self.get("/__lbheartbeat__").status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the server did not answer on port {self.port}:\n{self.stderr()[-4000:]}")

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
        """What the server wrote to stderr (with stdout, when they share the file)."""
        return (self.stderr_path or self.stdout_path).read_text(errors="replace")

    def stdout_records(self) -> list[dict[str, Any]]:
        """Every line of stdout so far, parsed: a line that is not JSON fails the test."""
        records = []
        for number, line in enumerate(self.stdout_path.read_text().splitlines(), 1):
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"stdout line {number} is not JSON: {line!r}")
        return records

    def log_records(self, logger: str) -> list[dict[str, Any]]:
        """Stop the server and read stdout: every line a mozlog record of ``logger``."""
        self.stop()
        records = self.stdout_records()
        for record in records:
            assert_mozlog_envelope(record, logger)
        return records


def assert_mozlog_envelope(record: Any, logger: str) -> None:
    """The mozlog 2.0 envelope fields, with their types, naming ``logger``."""
    assert isinstance(record, dict), record
    assert set(record) == MOZLOG_KEYS, record
    assert type(record["Timestamp"]) is int, record
    # Nanoseconds since the epoch: within a day of now.
    assert abs(record["Timestamp"] - time.time_ns()) < 86_400 * 10**9, record
    assert isinstance(record["Type"], str), record
    assert record["Type"], record
    assert record["Logger"] == logger, record
    assert isinstance(record["Hostname"], str), record
    assert record["Hostname"], record
    assert record["EnvVersion"] == "2.0", record
    assert type(record["Severity"]) is int, record
    assert 0 <= record["Severity"] <= 7, record
    assert type(record["Pid"]) is int, record
    assert record["Pid"] > 0, record
    assert isinstance(record["Fields"], dict), record


@contextlib.contextmanager
def serve(
    command: list[str],
    port: int,
    *,
    stdout_path: Path,
    stderr_path: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    start_timeout: float = START_TIMEOUT,
) -> Iterator[AppServer]:
    """Run ``command`` (serving on ``port``) until the block ends, once it answers.

    ``env`` is the whole environment (this process's when None); without
    ``stderr_path``, stderr goes to the stdout file.
    """
    with contextlib.ExitStack() as files:
        stdout = files.enter_context(open(stdout_path, "wb"))
        stderr: Any = subprocess.STDOUT
        if stderr_path is not None:
            stderr = files.enter_context(open(stderr_path, "wb"))
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd, env=env)
        server = AppServer(port, process, stdout_path, stderr_path)
        try:
            server.wait_ready(start_timeout)
            yield server
        finally:
            server.stop()


def gunicorn_command(
    app: str,
    port: int,
    *,
    chdir: Path,
    workers: int = 1,
    worker_class: str = "sync",
    threads: int | None = None,
    preload: bool = False,
) -> list[str]:
    """``python -m gunicorn`` (this interpreter's packages) serving ``app`` from ``chdir``."""
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--bind", f"{HOST}:{port}",
        "--chdir", str(chdir),
        "--graceful-timeout", "5",
        "--timeout", "30",
        *_control_socket_options(),
    ]  # fmt: skip
    if threads is not None:
        command += ["--threads", str(threads)]
    if preload:
        command.append("--preload")
    return [*command, app]


def flask_run_command(app_file: Path, port: int) -> list[str]:
    """Flask's development server (threaded, no reloader, no debugger) serving ``app_file``."""
    return [
        sys.executable, "-m", "flask", "--app", str(app_file),
        "run", "--host", HOST, "--port", str(port), "--no-reload", "--no-debugger",
    ]  # fmt: skip


def _control_socket_options() -> list[str]:
    # gunicorn 27 opens a control socket at a fixed path by default; several
    # servers at once (parallel tests, benchmarks) must not share it.
    from gunicorn.config import Config

    return ["--no-control-socket"] if "control_socket_disable" in Config().settings else []
