"""Every request gets exactly one request.summary line, even with broken log handlers."""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from typing import Any

import pytest
from dockerflow_hardening_support import (
    call_wsgi,
    concurrent_logged_requests,
    detach_summary_logging,
    logged_app,
    wsgi_environ,
)

from dockerflow.logging import JsonLogFormatter


def test_concurrent_requests_each_log_one_parseable_line() -> None:
    """8 threads x 150 requests: 1,200 lines, each parseable, each with its own request id."""
    app = logged_app("concurrent_fast")
    try:
        echoed, lines = concurrent_logged_requests(app, threads=8, per_thread=150)
    finally:
        detach_summary_logging(app)

    assert len(echoed) == 8 * 150
    records = [json.loads(line) for line in lines]
    rids = Counter(record["Fields"]["rid"] for record in records)
    assert len(lines) == len(echoed)
    assert rids == Counter(echoed)
    assert max(rids.values()) == 1


class FailingStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("disk full")


class CountingStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that counts its handleError calls and stays quiet."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.errors = 0

    def handleError(self, record: logging.LogRecord) -> None:
        self.errors += 1


class RaisingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        raise ValueError("formatter broke")


@pytest.mark.parametrize("failure", ["stream", "formatter"])
def test_failing_handler_does_not_break_the_request(failure: str) -> None:
    """A handler whose stream or formatter raises goes through handleError; the response is 200."""
    app = logged_app("failing_handler")
    if failure == "stream":
        broken = CountingStreamHandler(FailingStream())
        broken.setFormatter(JsonLogFormatter())
    else:
        broken = CountingStreamHandler(io.StringIO())
        broken.setFormatter(RaisingFormatter())
    good = CountingStreamHandler(io.StringIO())
    good.setFormatter(JsonLogFormatter())
    summary = logging.getLogger("request.summary")
    summary.addHandler(broken)
    summary.addHandler(good)
    try:
        statuses = [call_wsgi(app, wsgi_environ(path))[0] for path in ("/hello", "/__heartbeat__")]
    finally:
        summary.removeHandler(broken)
        summary.removeHandler(good)
        detach_summary_logging(app)

    assert statuses == [200, 200]
    assert broken.errors == 2
    lines = good.stream.getvalue().splitlines()
    assert [json.loads(line)["Fields"]["path"] for line in lines] == ["/hello", "/__heartbeat__"]
