"""CloudLoggingFormatter against google-cloud-logging's own StructuredLogHandler.

Both format the same record, logged inside the same Flask request (Google's
handler reads the trace headers and the request from Flask). The keys they
share must hold the same values. google-cloud-logging is not in the test
matrix (it pulls grpcio and protobuf, and does not resolve quickly on Python
3.9): ``hatch run cloud-logging:compare`` runs this file; elsewhere it skips.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from dockerflow.logging import CloudLoggingFormatter, trace_context, trace_context_from_headers

PROJECT = "moz-fx-test"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
HEADERS: list[dict[str, str]] = [
    {"traceparent": TRACEPARENT},
    {"traceparent": TRACEPARENT[:-2] + "00"},
    {"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1"},
    {"X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/18446744073709551615"},
]
TRACE_KEYS = [
    "logging.googleapis.com/trace",
    "logging.googleapis.com/spanId",
    "logging.googleapis.com/trace_sampled",
]


def both_lines(record_args: dict[str, Any], headers: dict[str, str]) -> tuple[dict, dict]:
    """(ours, Google's) for one record made inside a Flask request with ``headers``."""
    flask = pytest.importorskip("flask")
    handlers = pytest.importorskip("google.cloud.logging_v2.handlers")
    google = handlers.StructuredLogHandler(project_id=PROJECT)
    ours = CloudLoggingFormatter(project_id=PROJECT)
    app = flask.Flask(__name__)
    headers = {"User-Agent": "curl/8.5.0", **headers}
    with app.test_request_context("/notes/7", query_string="q=1", headers=headers):
        token = trace_context.set(trace_context_from_headers(flask.request.headers))
        try:
            record = logging.getLogger(record_args["name"]).makeRecord(**record_args)
            google.filter(record)  # Google's handler adds its data in a filter
            google_line = google.format(record)
            our_line = ours.format(record)
        finally:
            trace_context.reset(token)
    return json.loads(our_line), json.loads(google_line)


def record_args(level: int = logging.INFO, msg: str = "note %s saved", **kwargs: Any) -> dict:
    return {
        "name": kwargs.pop("name", "app"), "level": level, "fn": __file__, "lno": 1, "msg": msg,
        "args": kwargs.pop("args", (7,)), "exc_info": kwargs.pop("exc_info", None), **kwargs,
    }  # fmt: skip


@pytest.mark.parametrize(
    "level", [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
)
def test_severity_and_message_are_googles(level):
    ours, google = both_lines(record_args(level), {})
    assert (ours["severity"], ours["message"]) == (google["severity"], google["message"])


def test_the_message_of_an_exception_is_googles():
    """The message, then the standard library's traceback: what Error Reporting reads."""
    try:
        raise KeyError("note 7")
    except KeyError:
        args = record_args(logging.ERROR, "saving failed", args=(), exc_info=sys.exc_info())
    ours, google = both_lines(args, {})
    assert ours["message"] == google["message"]
    assert "Traceback (most recent call last):" in ours["message"]


@pytest.mark.parametrize("headers", HEADERS, ids=["traceparent", "unsampled", "xctc", "xctc-max"])
def test_trace_keys_are_googles(headers):
    ours, google = both_lines(record_args(), headers)
    assert {key: ours[key] for key in TRACE_KEYS} == {key: google[key] for key in TRACE_KEYS}


def test_without_a_trace_we_leave_out_what_google_writes_empty():
    ours, google = both_lines(record_args(), {})
    assert [key for key in TRACE_KEYS if key in ours] == []
    assert (google[TRACE_KEYS[0]], google[TRACE_KEYS[1]], google[TRACE_KEYS[2]]) == ("", "", False)


def test_http_request_of_a_summary_agrees_with_googles():
    """Same method and agent; our requestUrl is the path and query of Google's absolute URL.

    Google's handler adds httpRequest to every line from Flask's request; ours
    adds it to request.summary lines from the summary's fields, with status,
    latency and remoteIp, which Google's handler does not know.
    """
    summary = {"method": "GET", "path": "/notes/7", "querystring": "q=1", "code": 200,
               "agent": "curl/8.5.0", "remoteAddressChain": ["127.0.0.1"], "t": 3}  # fmt: skip
    ours, google = both_lines(record_args(name="request.summary", extra=summary), {})
    for key in ("requestMethod", "userAgent"):
        assert ours["httpRequest"][key] == google["httpRequest"][key]
    url = ours["httpRequest"]["requestUrl"]
    assert google["httpRequest"]["requestUrl"] == f"http://localhost{url}"
