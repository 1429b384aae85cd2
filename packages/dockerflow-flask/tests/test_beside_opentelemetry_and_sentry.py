"""The request summary beside OpenTelemetry and Sentry, with their real packages."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow

pytest.importorskip("opentelemetry.instrumentation.flask")
pytest.importorskip("sentry_sdk")

from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.sdk.trace import TracerProvider


@pytest.fixture
def traced_records() -> Iterator[tuple[TracerProvider, list[logging.LogRecord]]]:
    """OpenTelemetry's log correlation on, and the records of ``app`` and ``request.summary``."""
    provider = TracerProvider()
    # Trace ids on records: set_logging_format=True asks for them in every
    # release (its logging.basicConfig() does nothing, pytest's handlers being
    # on the root logger); inject_trace_context=True in the newest ones.
    LoggingInstrumentor().instrument(
        tracer_provider=provider,
        set_logging_format=True,
        inject_trace_context=True,
        enable_log_auto_instrumentation=False,  # no handler of its own on the root logger
    )
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    loggers = [logging.getLogger(name) for name in ("app", "request.summary")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield provider, records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
        LoggingInstrumentor().uninstrument()


@pytest.mark.parametrize("first", ["opentelemetry", "dockerflow"])
@pytest.mark.parametrize("path", ["/traced", "/raises"])
def test_the_summary_carries_the_trace_id_of_the_requests_span(
    make_app: Any,
    traced_records: tuple[TracerProvider, list[logging.LogRecord]],
    first: str,
    path: str,
) -> None:
    """FlaskInstrumentor and LoggingInstrumentor, set up before or after Dockerflow."""
    provider, records = traced_records
    app: Flask = make_app()

    @app.get("/traced")
    def traced() -> str:
        logging.getLogger("app").info("in the view")
        return "ok"

    @app.get("/raises")
    def raises() -> str:
        logging.getLogger("app").info("in the view")
        raise RuntimeError("kaboom")

    if first == "opentelemetry":
        FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
        Dockerflow(app)
    else:
        Dockerflow(app)
        FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
    try:
        app.test_client().get(path)
    finally:
        FlaskInstrumentor().uninstrument_app(app)

    view, summary = records
    assert (view.name, summary.name) == ("app", "request.summary")
    assert view.otelTraceID != "0"  # type: ignore[attr-defined]
    assert summary.otelTraceID == view.otelTraceID  # type: ignore[attr-defined]
    assert summary.otelSpanID == view.otelSpanID  # type: ignore[attr-defined]


SENTRY_APP = """
import json, logging
import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport
from dockerflow.flask import Dockerflow

events = []

class Keep(Transport):
    def capture_envelope(self, envelope):
        events.extend(item.payload.json for item in envelope.items if item.type == "event")

sentry_sdk.init(
    dsn="http://public@127.0.0.1:9/1",
    transport=Keep,
    integrations=[
        FlaskIntegration(),
        LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
    ],
)
logging.getLogger("request.summary").setLevel(logging.INFO)
app = Flask("sentried")

@app.get("/raises")
def raises():
    raise RuntimeError("kaboom")

Dockerflow(app)
for path in PATHS:
    app.test_client().get(path)
sentry_sdk.flush()
print(json.dumps([
    {
        "exception": [value["type"] for value in event.get("exception", {}).get("values", [])],
        "logger": event.get("logger"),
        "message": (event.get("logentry") or {}).get("message"),
        "url": event.get("request", {}).get("url"),
    }
    for event in events
]))
"""


def sentry_events(paths: list[str], tmp_path: Any) -> list[dict[str, Any]]:
    """The events sentry-sdk sends for ``paths``, in a process of its own.

    Its integrations patch Flask and logging for the whole process.
    """
    script = f"PATHS = {paths!r}\n" + textwrap.dedent(SENTRY_APP)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    events: list[dict[str, Any]] = json.loads(result.stdout.splitlines()[-1])
    return events


def test_a_view_exception_is_one_exception_event_in_sentry(tmp_path: Any) -> None:
    """Flask's "Exception on ..." record is the one exception event; the summary adds none."""
    events = sentry_events(["/raises"], tmp_path)

    with_exception = [event for event in events if event["exception"]]
    assert [event["exception"] for event in with_exception] == [["RuntimeError"]]
    # python-dockerflow's ERROR summary, the exception's text, is a message event as there.
    summary_events = [event for event in events if event["logger"] == "request.summary"]
    assert [(event["exception"], event["message"]) for event in summary_events] == [([], "kaboom")]
    assert {event["url"] for event in events} == {"http://localhost/raises"}


def test_the_error_endpoint_is_one_exception_event_in_sentry(tmp_path: Any) -> None:
    events = sentry_events(["/__error__", "/__lbheartbeat__"], tmp_path)

    with_exception = [event for event in events if event["exception"]]
    assert [event["exception"] for event in with_exception] == [["ErrorEndpointCalled"]]
