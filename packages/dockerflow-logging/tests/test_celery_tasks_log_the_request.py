"""dockerflow.logging.celery with a real Celery worker, the local Redis as its broker.

The worker runs in a subprocess with the solo pool and writes mozlog JSON to
stdout; the tests assert on those lines. Each test has its own queue and a
Redis key prefix of its own, so parallel test processes never share a message.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockerflow.logging import TraceContext, request_id_context, trace_context
from testing_support.servers import wait_until

pytest.importorskip("celery")
redis = pytest.importorskip("redis")

from dockerflow.logging import celery as dockerflow_celery  # noqa: E402  (needs celery)

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

TRACE = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", sampled=True)
WORKER_START_TIMEOUT = 120  # seconds: a loaded 2-core machine starts a worker slowly

WORKER_APP = """
import json
import logging
import logging.config
from pathlib import Path

from celery import Celery, signals
from kombu import Exchange, Queue

from dockerflow.logging import celery as dockerflow_celery

CONFIG = json.loads((Path(__file__).parent / "worker_config.json").read_text())
QUEUE = CONFIG["queue"]

app = Celery("worker_app", broker=CONFIG["broker"])
app.conf.update(
    task_default_queue=QUEUE,
    task_queues=[Queue(QUEUE, Exchange(QUEUE), routing_key=QUEUE)],
    broker_transport_options={"global_keyprefix": QUEUE + ":"},
    broker_connection_retry_on_startup=True,
    worker_enable_remote_control=False,
)
dockerflow_celery.connect()


@signals.setup_logging.connect
def mozlog_on_stdout(**kwargs):
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"rid": {"()": "dockerflow.logging.RequestIdLogFilter"}},
        "formatters": {"mozlog": {"()": "dockerflow.logging.MozlogFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                                "formatter": "mozlog", "filters": ["rid"]}},
        "root": {"level": "INFO", "handlers": ["stdout"]},
    })


@app.task(name="worker_app.note")
def note(label):
    logging.getLogger("worker_app").info("note %s", label)


@app.task(name="worker_app.fan_out")
def fan_out(label):
    logging.getLogger("worker_app").info("fan out %s", label)
    note.delay(label + "-child")
"""


class Worker:
    """The worker's app module (imported here too, to send tasks) and its output."""

    def __init__(self, app_module: Any, output: Path) -> None:
        self.app = app_module
        self.output = output

    def lines(self) -> list[dict[str, Any]]:
        text = self.output.read_text(encoding="utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def task_lines(self) -> dict[str, dict[str, Any]]:
        """The lines the tasks logged, by their message."""
        lines = self.lines()
        return {line["Fields"]["msg"]: line for line in lines if line["Type"] == "worker_app"}

    def wait_for(self, *messages: str) -> dict[str, dict[str, Any]]:
        found = wait_until(lambda: set(messages) <= set(self.task_lines()), timeout=60)
        assert found, f"the worker logged no {messages}; its output:\n{self.output.read_text()}"
        return self.task_lines()


@pytest.fixture
def worker(tmp_path: Path, redis_url: str) -> Iterator[Worker]:
    """A real Celery worker on a queue of its own; stopped by its pid at the end."""
    queue = f"dockerflow-test-{uuid.uuid4().hex}"
    app_file = tmp_path / "worker_app.py"
    app_file.write_text(textwrap.dedent(WORKER_APP))
    (tmp_path / "worker_config.json").write_text(json.dumps({"queue": queue, "broker": redis_url}))
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    output = tmp_path / "worker.out"
    command = [
        sys.executable, "-m", "celery", "--quiet", "-A", "worker_app", "worker", "--pool=solo",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--loglevel=INFO", "-Q", queue, "-n", f"{queue}@localhost",
    ]  # fmt: skip
    spec = importlib.util.spec_from_file_location(f"worker_app_{queue[-8:]}", app_file)
    assert spec is not None
    assert spec.loader is not None
    app_module = importlib.util.module_from_spec(spec)
    with output.open("w") as out:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=environ, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        spec.loader.exec_module(app_module)
        started = wait_until(
            lambda: "ready" in output.read_text() or process.poll() is not None,
            timeout=WORKER_START_TIMEOUT,
        )
        assert started, output.read_text()
        assert process.poll() is None, output.read_text()
        yield Worker(app_module, output)
    finally:
        dockerflow_celery.disconnect()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        with contextlib.closing(redis.Redis.from_url(redis_url)) as client:
            for key in client.scan_iter(match=f"*{queue}*", count=1000):
                client.delete(key)


@contextlib.contextmanager
def in_request(request_id: str, trace: TraceContext | None) -> Iterator[None]:
    """The id and trace set as a web integration sets them while it handles a request."""
    id_token, trace_token = request_id_context.set(request_id), trace_context.set(trace)
    try:
        yield
    finally:
        trace_context.reset(trace_token)
        request_id_context.reset(id_token)


def test_a_task_sent_during_a_request_logs_that_requests_id_and_trace(worker: Worker):
    with in_request("req-celery-1", TRACE):
        worker.app.note.delay("in-request")
    line = worker.wait_for("note in-request")["note in-request"]
    assert line["Fields"]["rid"] == "req-celery-1"
    assert (line["Fields"]["trace_id"], line["Fields"]["span_id"]) == TRACE[:2]


def test_a_task_sent_outside_a_request_gets_an_id_of_its_own(worker: Worker):
    worker.app.note.delay("first")
    worker.app.note.delay("second")
    lines = worker.wait_for("note first", "note second")
    ids = {lines[f"note {label}"]["Fields"]["rid"] for label in ("first", "second")}
    assert len(ids) == 2
    assert all(isinstance(rid, str) and rid for rid in ids)
    assert "trace_id" not in lines["note first"]["Fields"]


def test_every_line_of_a_task_and_of_the_tasks_it_sends_carries_the_id(worker: Worker):
    """Celery's own "succeeded" line and a task sent from the task share the request's id."""
    with in_request("req-celery-2", None):
        result = worker.app.fan_out.delay("chain")
    lines = worker.wait_for("fan out chain", "note chain-child")
    assert lines["fan out chain"]["Fields"]["rid"] == "req-celery-2"
    assert lines["note chain-child"]["Fields"]["rid"] == "req-celery-2"
    succeeded = wait_until(
        lambda: any(
            result.id in line["Fields"].get("msg", "") and "succeeded" in line["Fields"]["msg"]
            for line in worker.lines()
        ),
        timeout=30,
    )
    assert succeeded, worker.output.read_text()
    [celery_line] = [
        line for line in worker.lines()
        if result.id in line["Fields"].get("msg", "") and "succeeded" in line["Fields"]["msg"]
    ]  # fmt: skip
    assert celery_line["Fields"]["rid"] == "req-celery-2"


def test_the_worker_sets_no_id_between_tasks(worker: Worker):
    """A task's id and trace end with it: the next task has its own."""
    with in_request("req-celery-3", TRACE):
        worker.app.note.delay("leak-check")
    worker.app.note.delay("after")
    lines = worker.wait_for("note leak-check", "note after")
    assert lines["note after"]["Fields"]["rid"] not in (None, "req-celery-3")
    assert "trace_id" not in lines["note after"]["Fields"]


def test_an_id_the_sender_puts_in_the_headers_is_kept(worker: Worker):
    with in_request("req-celery-4", None):
        worker.app.note.apply_async(
            ("own-id",), headers={dockerflow_celery.REQUEST_ID_HEADER: "chosen-by-sender"}
        )
    line = worker.wait_for("note own-id")["note own-id"]
    assert line["Fields"]["rid"] == "chosen-by-sender"


def test_a_task_run_eagerly_keeps_the_callers_id_and_trace():
    """task.apply() runs in the caller's context: the receivers leave it as it is."""
    from celery import Celery

    app = Celery("eager", broker="redis://127.0.0.1:1/0")  # apply() never sends a message
    seen = []

    @app.task
    def look() -> None:
        seen.append((request_id_context.get(), trace_context.get()))

    dockerflow_celery.connect()
    try:
        with in_request("req-eager", TRACE):
            look.apply()
            after = request_id_context.get()
    finally:
        dockerflow_celery.disconnect()
    assert seen == [("req-eager", TRACE)]
    assert after == "req-eager"
