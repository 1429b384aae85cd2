"""The per-request shortcuts answer exactly what the general paths answer."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from typing import Any

import pytest
from flask import Flask, jsonify
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders

from dockerflow.flask import Dockerflow
from dockerflow.flask import _summary as summary_module
from dockerflow.flask._record_maker import record_maker
from dockerflow.flask._request_id import environ_key, request_id_from_environ
from dockerflow.flask._summary import SUMMARY_LOGGER_NAME
from dockerflow.logging import MozlogHandler, _direct as direct, get_or_generate_request_id
from dockerflow.logging._records import FieldsLogRecord, extra_fields

SUMMARY_FILE = summary_module.__file__

# RFC 9110 token characters: what DOCKERFLOW_REQUEST_ID_HEADER_NAME accepts.
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FIELDS = {"errno": 0, "path": "/x", "code": 200, "remoteAddressChain": ["::1"], "rid": "r"}


@given(st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=40), st.text(max_size=40))
def test_environ_key_reads_what_werkzeug_headers_read(header_name: str, value: str) -> None:
    """The environ key of a header name finds the value werkzeug's headers find."""
    environ = {environ_key(header_name): value}
    assert EnvironHeaders(environ).get(header_name) == value


@given(st.text(max_size=140))
def test_request_id_from_environ_keeps_exactly_what_the_header_lookup_keeps(value: str) -> None:
    """A value is kept from the environ exactly when get_or_generate_request_id keeps it."""
    environ = {"HTTP_X_REQUEST_ID": value}
    from_environ = request_id_from_environ(environ, "HTTP_X_REQUEST_ID")
    from_headers = get_or_generate_request_id(EnvironHeaders(environ), "X-Request-ID")
    assert (from_environ == value) == (from_headers == value)


def test_version_body_is_jsonify_output_and_follows_the_payload(app: Flask) -> None:
    """/__version__ answers jsonify's bytes, re-encoded when the payload or debug mode changes."""
    dockerflow = Dockerflow(app)
    current: dict[str, Any] = {"version": "1", "commit": "abc"}
    dockerflow.version_callback(lambda root: {"version": "1", "commit": "abc"})
    client = app.test_client()

    def expected(payload: dict[str, Any]) -> tuple[bytes, str | None]:
        with app.app_context():
            model = jsonify(payload)
        return model.get_data(), model.content_type

    for _ in range(2):  # the second answer comes from the cache
        response = client.get("/__version__")
        assert (response.get_data(), response.content_type) == expected(current)
        assert response.headers["Cache-Control"] == "no-store"
    current = {"version": "2", "commit": "def"}
    dockerflow.version_callback(lambda root: {"version": "2", "commit": "def"})
    assert client.get("/__version__").get_data() == expected(current)[0]
    app.debug = True
    assert client.get("/__version__").get_data() == expected(current)[0]
    assert b"\n  " in client.get("/__version__").get_data()  # indented in debug mode


def test_lbheartbeat_answer_is_unchanged(app: Flask) -> None:
    """/__lbheartbeat__ is an empty 200 with the app's default content type and no-store."""
    Dockerflow(app)
    response = app.test_client().get("/__lbheartbeat__")
    plain = app.response_class("")
    assert (response.status_code, response.get_data()) == (200, b"")
    assert response.content_type == plain.content_type
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def summary_logger() -> logging.Logger:
    """The request.summary logger (its level and handlers left as they are)."""
    return logging.getLogger(SUMMARY_LOGGER_NAME)


def stdlib_record(logger: logging.Logger, fields: dict[str, Any]) -> logging.LogRecord:
    """What ``logger.makeRecord`` gives for the same call, with ``extra=fields``."""
    return logger.makeRecord(
        logger.name, logging.INFO, SUMMARY_FILE, 0, "", (), None, "log_response", fields
    )


def assert_same_shape(made: logging.LogRecord, reference: logging.LogRecord) -> None:
    assert type(made) is FieldsLogRecord
    assert list(made.__dict__) == list(reference.__dict__)
    for name, value in reference.__dict__.items():
        assert type(made.__dict__[name]) is type(value), name
    timing = {"created", "msecs", "relativeCreated"}
    for name, value in reference.__dict__.items():
        if name not in timing:
            assert made.__dict__[name] == value, name
    assert abs(made.created - reference.created) < 60
    assert 0 <= made.msecs < 1000
    assert made.relativeCreated >= 0
    assert extra_fields(made) == extra_fields(reference) == FIELDS


def test_made_record_has_the_stdlib_attributes_types_and_order(
    summary_logger: logging.Logger,
) -> None:
    """The record has a stdlib record's attribute names, order, types and values."""
    made = record_maker(summary_logger, logging.INFO, SUMMARY_FILE, "log_response")(dict(FIELDS))
    assert_same_shape(made, stdlib_record(summary_logger, dict(FIELDS)))
    assert made.getMessage() == ""
    assert logging.Formatter("%(asctime)s %(msecs)03d %(threadName)s").format(made)


def test_made_record_reads_thread_and_process_per_record(summary_logger: logging.Logger) -> None:
    """Thread and process attributes are those of the logging thread, not of the template."""
    maker = record_maker(summary_logger, logging.INFO, SUMMARY_FILE, "log_response")
    results: list[tuple[logging.LogRecord, logging.LogRecord]] = []

    def log_in_thread() -> None:
        results.append((maker(dict(FIELDS)), stdlib_record(summary_logger, dict(FIELDS))))

    thread = threading.Thread(target=log_in_thread, name="summary-writer")
    thread.start()
    thread.join(timeout=10)
    ((made, reference),) = results
    assert made.threadName == "summary-writer"
    assert_same_shape(made, reference)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="taskName is new in Python 3.12")
def test_made_record_carries_the_asyncio_task_name(summary_logger: logging.Logger) -> None:
    """Inside an asyncio task, taskName is the task's name, as on stdlib records."""
    maker = record_maker(summary_logger, logging.INFO, SUMMARY_FILE, "log_response")

    async def log() -> tuple[logging.LogRecord, logging.LogRecord]:
        return maker(dict(FIELDS)), stdlib_record(summary_logger, dict(FIELDS))

    async def main() -> tuple[logging.LogRecord, logging.LogRecord]:
        return await asyncio.create_task(log(), name="summary-task")

    made, reference = asyncio.run(main())
    assert made.__dict__["taskName"] == "summary-task"
    assert_same_shape(made, reference)


_FORK_SCRIPT = """
import logging, os
from dockerflow.flask._record_maker import record_maker

maker = record_maker(logging.getLogger("fork"), logging.INFO, "fork.py", "f")
maker({})  # the parent's pid is known before the fork
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write_end, f"{maker({}).process} {os.getpid()}".encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end, "rb") as pipe:
    print(pipe.read().decode())
os.waitpid(pid, 0)
print(maker({}).process, os.getpid())
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_made_record_carries_the_pid_of_a_forked_child() -> None:
    """After a fork (gunicorn --preload), records carry the child's pid, not the parent's."""
    # A fresh interpreter with one thread: forking this test process could
    # copy the threads other tests started.
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    (child_record, child_pid), (parent_record, parent_pid) = (line.split() for line in out)
    assert child_record == child_pid
    assert parent_record == parent_pid
    assert child_pid != parent_pid


def test_record_factory_is_honoured(summary_logger: logging.Logger) -> None:
    """With a record factory installed, the factory's record is used."""
    factory = logging.getLogRecordFactory()

    def tagged(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.tagged = True
        return record

    logging.setLogRecordFactory(tagged)
    try:
        maker = record_maker(summary_logger, logging.INFO, SUMMARY_FILE, "log_response")
        made = maker(dict(FIELDS))
    finally:
        logging.setLogRecordFactory(factory)
    assert made.__dict__.get("tagged") is True
    assert (made.rid, made.path) == ("r", "/x")


class CountingFilter(logging.Filter):
    """A handler filter that lets every record through, counting them."""

    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.records += 1
        return True


def test_summary_written_without_a_record_is_the_record_line(
    app: Flask, summary_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one plain handler the summary line is written directly, and is the record's line."""
    stream = io.StringIO()
    handler = MozlogHandler(stream, name="svc")
    counting = CountingFilter()
    written_directly: list[bool] = []

    def fields_line_writer(*args: Any) -> Any:
        write = direct.fields_line_writer(*args)

        def write_line(fields: dict[str, Any]) -> bool:
            written_directly.append(write(fields))
            return written_directly[-1]

        return write_line

    monkeypatch.setattr(summary_module, "fields_line_writer", fields_line_writer)
    Dockerflow(app)
    client = app.test_client()
    # pytest attached its capture handlers when the test started: for the
    # length of the test, the handler is the only one the summary reaches.
    saved = summary_logger.handlers[:], summary_logger.propagate, summary_logger.level
    summary_logger.handlers[:] = [handler]
    summary_logger.propagate = False
    summary_logger.setLevel(logging.INFO)
    try:
        client.get("/__lbheartbeat__?a=1", headers={"X-Request-ID": "same-id"})
        direct_line = stream.getvalue()
        handler.addFilter(counting)  # a filter could see the record: the record path
        client.get("/__lbheartbeat__?a=1", headers={"X-Request-ID": "same-id"})
        record_line = stream.getvalue()[len(direct_line) :]
    finally:
        summary_logger.handlers[:], summary_logger.propagate = saved[:2]
        summary_logger.setLevel(saved[2])
    assert written_directly == [True, False]
    assert counting.records == 1
    assert direct_line.count("\n") == record_line.count("\n") == 1

    def comparable(line: str) -> str:
        # The time stamp and the duration differ from one request to the next.
        line = re.sub(r'^\{"Timestamp":\d+,', "{", line)
        return re.sub(r'"t":\d+,', '"t":0,', line)

    assert comparable(direct_line) == comparable(record_line)
    assert json.loads(direct_line)["Fields"]["rid"] == "same-id"


@pytest.mark.parametrize("log_querystring", [False, True])
def test_summary_fields_are_the_declared_ones(log_querystring: bool) -> None:
    """The fields are SUMMARY_FIELDS (and querystring): the names the line writer checked."""
    summary = summary_module.RequestSummary(Flask(__name__), log_querystring=log_querystring)
    environ = {"PATH_INFO": "/x", "REQUEST_METHOD": "GET", "QUERY_STRING": "a=1"}
    fields = summary.fields(environ, 200, 0.0, "rid", "")
    expected = (*summary_module.SUMMARY_FIELDS, "querystring")
    assert tuple(fields) == (expected if log_querystring else expected[:-1])
