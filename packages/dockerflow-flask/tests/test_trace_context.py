"""Trace context: a request's traceparent or X-Cloud-Trace-Context on its summary and records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from flask import Flask, Response, stream_with_context
from werkzeug.test import EnvironBuilder

from dockerflow.flask import Dockerflow, DockerflowConfigError
from dockerflow.logging import trace_context
from testing_support.wsgi import call_wsgi_for_status_line

Records = Callable[[], "list[logging.LogRecord]"]

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"
CLOUD_TRACE_ID = "105445aa7843bc8bf206b12000100000"


def logging_app(app: Flask) -> Flask:
    @app.get("/work")
    def work() -> str:
        logging.getLogger("app").info("working")
        return "done"

    Dockerflow(app)
    return app


def trace_of(record: logging.LogRecord) -> tuple[Any, Any]:
    return getattr(record, "trace_id", None), getattr(record, "span_id", None)


def test_traceparent_puts_trace_and_parent_span_on_summary_and_records(
    app: Flask, summary_records: Records, app_records: list[logging.LogRecord]
) -> None:
    client = logging_app(app).test_client()

    response = client.get("/work", headers={"traceparent": TRACEPARENT, "X-Request-ID": "r-1"})

    assert response.status_code == 200
    (summary,) = summary_records()
    (record,) = app_records
    assert trace_of(summary) == trace_of(record) == (TRACE_ID, SPAN_ID)
    assert summary.rid == record.rid == "r-1"  # type: ignore[attr-defined]
    assert trace_context.get() is None


def test_cloud_trace_context_is_read_without_traceparent(
    app: Flask, summary_records: Records, app_records: list[logging.LogRecord]
) -> None:
    client = logging_app(app).test_client()

    client.get("/work", headers={"X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/255;o=1"})

    (summary,) = summary_records()
    (record,) = app_records
    assert trace_of(summary) == trace_of(record) == (CLOUD_TRACE_ID, "00000000000000ff")


def test_traceparent_wins_over_cloud_trace_context(app: Flask, summary_records: Records) -> None:
    client = logging_app(app).test_client()

    client.get(
        "/work",
        headers={"traceparent": TRACEPARENT, "X-Cloud-Trace-Context": f"{CLOUD_TRACE_ID}/1"},
    )

    (summary,) = summary_records()
    assert trace_of(summary) == (TRACE_ID, SPAN_ID)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"traceparent": f"00-{'0' * 32}-{SPAN_ID}-01"},
        {"traceparent": "00-not-a-trace-01"},
        {"X-Cloud-Trace-Context": f"{'0' * 32}/1;o=1"},
    ],
    ids=["absent", "all-zero", "malformed", "cloud-all-zero"],
)
def test_without_a_valid_header_no_trace_fields_are_logged(
    app: Flask,
    summary_records: Records,
    app_records: list[logging.LogRecord],
    headers: dict[str, str],
) -> None:
    client = logging_app(app).test_client()

    assert client.get("/work", headers=headers).status_code == 200

    (summary,) = summary_records()
    (record,) = app_records
    assert trace_of(summary) == trace_of(record) == (None, None)
    assert "trace_id" not in summary.__dict__
    assert "span_id" not in summary.__dict__


@pytest.mark.parametrize("value", [False, "false", "0"])
def test_the_setting_turns_trace_context_off(
    make_app: Any,
    summary_records: Records,
    app_records: list[logging.LogRecord],
    value: Any,
) -> None:
    client = logging_app(make_app(DOCKERFLOW_TRACE_CONTEXT=value)).test_client()

    client.get("/work", headers={"traceparent": TRACEPARENT})

    (summary,) = summary_records()
    (record,) = app_records
    assert trace_of(summary) == trace_of(record) == (None, None)


def test_a_bad_setting_is_an_init_app_error(make_app: Any) -> None:
    with pytest.raises(DockerflowConfigError, match="DOCKERFLOW_TRACE_CONTEXT"):
        Dockerflow(make_app(DOCKERFLOW_TRACE_CONTEXT="sometimes"))


@pytest.mark.parametrize("with_context", [False, True], ids=["generator", "stream_with_context"])
def test_records_logged_while_the_body_streams_keep_the_trace(
    app: Flask, app_records: list[logging.LogRecord], with_context: bool
) -> None:
    log = logging.getLogger("app")

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            for number in range(2):
                log.info("chunk %d", number)
                yield f"{number}\n"

        return Response(stream_with_context(chunks()) if with_context else chunks())

    Dockerflow(app)
    environ = EnvironBuilder(path="/stream", headers={"traceparent": TRACEPARENT}).get_environ()
    status, _, body = call_wsgi_for_status_line(app, environ)

    assert (status, body) == ("200 OK", b"0\n1\n")
    assert [trace_of(record) for record in app_records] == [(TRACE_ID, SPAN_ID)] * 2
    assert trace_context.get() is None


def test_an_app_dispatched_inside_another_logs_the_same_trace(
    make_app: Any, summary_records: Records
) -> None:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    inner = logging_app(make_app())
    outer = make_app()
    outer.wsgi_app = DispatcherMiddleware(outer.wsgi_app, {"/inner": inner})  # type: ignore[method-assign]
    Dockerflow(outer)

    environ = EnvironBuilder(path="/inner/work", headers={"traceparent": TRACEPARENT})
    status, _, _ = call_wsgi_for_status_line(outer, environ.get_environ())

    assert status == "200 OK"
    summaries = summary_records()
    assert len(summaries) == 2
    assert {trace_of(record) for record in summaries} == {(TRACE_ID, SPAN_ID)}
    assert len({record.rid for record in summaries}) == 1  # type: ignore[attr-defined]
