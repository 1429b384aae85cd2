"""Every request gets exactly one request.summary line, even with broken log handlers."""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from typing import Any

import pytest
from hardening_support.logged_apps import detach_summary_logging, logged_app
from hardening_support.long_runs import concurrent_logged_requests
from hardening_support.sizes import scaled

from dockerflow.logging import JsonLogFormatter
from testing_support.wsgi import call_wsgi, wsgi_environ

THREADS = scaled(8, 16)
PER_THREAD = scaled(150, 2_000)


def test_concurrent_requests_each_log_one_parseable_line(figures: dict[str, Any]) -> None:
    """8 threads x 150 requests (16 x 2,000 at full size): one parseable line per request id."""
    app = logged_app("concurrent")
    try:
        echoed, lines = concurrent_logged_requests(app, threads=THREADS, per_thread=PER_THREAD)
    finally:
        detach_summary_logging(app)

    rids = Counter(json.loads(line)["Fields"]["rid"] for line in lines)
    figures.update(
        requests=len(echoed), lines=len(lines), duplicate_rids=sum(n - 1 for n in rids.values())
    )
    assert len(echoed) == THREADS * PER_THREAD
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
