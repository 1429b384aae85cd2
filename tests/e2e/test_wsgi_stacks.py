"""The request path under a real gunicorn, in the stack of ``apps/stacks``.

Streaming with ``stream_with_context``, a ``DispatcherMiddleware`` mounting a
plain WSGI app and a second Dockerflow app, and ``ProxyFix``: each request's
summary and records must say what happened, read back from gunicorn's stdout.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOGGER = "e2e-service"  # the mozlog Logger of every stdout line
APP = "stacks:app"


def fields_of(records: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [record["Fields"] for record in records if record["Type"] == type_]


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def test_a_streamed_body_is_logged_with_its_request_id_and_trace(gunicorn_service: Any) -> None:
    service = gunicorn_service(app=APP)
    exchange = service.get(
        "/stream", headers={"X-Request-ID": "e2e-stream", "traceparent": TRACEPARENT}
    )
    records = service.log_records(LOGGER)

    assert (exchange.status, exchange.body) == (200, b"0\n1\n2\n")
    assert exchange.request_id == "e2e-stream"
    logged = [(f["msg"], f["rid"], f.get("trace_id")) for f in fields_of(records, "e2e.stacks")]
    chunks = [entry for entry in logged if entry[0].startswith("chunk")]
    assert chunks == [(f"chunk {number}", "e2e-stream", TRACE_ID) for number in range(3)]
    # The readiness polls tear down too, each with its own id and no trace.
    assert ("teardown", "e2e-stream", TRACE_ID) in logged
    assert all(trace is None for _, rid, trace in logged if rid != "e2e-stream")
    (summary,) = [f for f in fields_of(records, "request.summary") if f["path"] == "/stream"]
    assert (summary["rid"], summary["code"], summary["trace_id"]) == ("e2e-stream", 200, TRACE_ID)


def test_a_dispatched_wsgi_app_is_logged_with_its_full_path(gunicorn_service: Any) -> None:
    service = gunicorn_service(app=APP)
    exchange = service.get("/metrics/extra", headers={"X-Request-ID": "e2e-metrics"})
    records = service.log_records(LOGGER)

    assert (exchange.status, exchange.body) == (200, b"metrics at /metrics/extra")
    assert exchange.request_id == "e2e-metrics"
    summaries = [f for f in fields_of(records, "request.summary") if f["rid"] == "e2e-metrics"]
    assert [(f["path"], f["code"]) for f in summaries] == [("/metrics/extra", 200)]


def test_a_dispatched_dockerflow_app_shares_the_request_id(gunicorn_service: Any) -> None:
    service = gunicorn_service(app=APP)
    exchange = service.get("/inner/where")
    records = service.log_records(LOGGER)

    request_id = exchange.request_id
    assert exchange.status == 200
    assert exchange.json()["request_id"] == request_id
    assert [f["rid"] for f in fields_of(records, "e2e.stacks") if f["msg"] == "inner view"] == [
        request_id
    ]
    summaries = sorted(
        (f["path"], f["rid"]) for f in fields_of(records, "request.summary")
        if f["rid"] == request_id
    )  # fmt: skip
    assert summaries == [("/inner/where", request_id), ("/where", request_id)]


def test_proxy_fix_leaves_the_proxy_in_the_address_chain(gunicorn_service: Any) -> None:
    """The client is what ProxyFix says; the chain is the forwarded client, then the peer."""
    service = gunicorn_service(app=APP)
    exchange = service.get("/who", headers={"X-Forwarded-For": "203.0.113.9"})
    records = service.log_records(LOGGER)

    assert exchange.json() == {"remote_addr": "203.0.113.9"}
    (summary,) = [f for f in fields_of(records, "request.summary") if f["path"] == "/who"]
    assert summary["remoteAddressChain"] == ["203.0.113.9", "127.0.0.1"]
