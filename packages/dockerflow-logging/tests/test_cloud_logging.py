"""CloudLoggingFormatter: the mozlog line plus the keys Google Cloud Logging reads.

The shapes asserted are those of Cloud Logging's structured-logging rules
(cloud.google.com/logging/docs/structured-logging) and of the LogEntry and
HttpRequest types of its API (LogSeverity names, ``projects/P/traces/T``,
a 16-hex-digit span id, a boolean ``trace_sampled``, a Duration such as
``"3.5s"`` for ``latency``). No network.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerflow.logging import (
    CloudLoggingFormatter,
    MozlogFormatter,
    TraceContext,
    trace_context,
)

MOZLOG_KEYS = {"Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"}
LOG_SEVERITIES = {
    "DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY",
}  # fmt: skip
TRACE = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", sampled=True)
SUMMARY = {
    "errno": 0,
    "agent": "curl/8.5.0",
    "lang": "en-US",
    "method": "GET",
    "path": "/notes/caf\u00e9 50%",
    "querystring": "q=a b&x=1",
    "code": 200,
    "remoteAddressChain": ["203.0.113.9", "10.0.0.2", "127.0.0.1"],
    "rid": "5f2c5d0b0c1f4c0e9d1b7a3e2f4a6b8c",
    "t": 12,
    "uid": "",
}


@pytest.fixture(autouse=True)
def no_project_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)


@pytest.fixture
def in_trace():
    token = trace_context.set(TRACE)
    yield TRACE
    trace_context.reset(token)


def line_of(formatter, make_record, *args, **kwargs):
    line = formatter.format(make_record(*args, **kwargs))
    assert "\n" not in line
    return json.loads(line)


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.CRITICAL, "CRITICAL"),
        (logging.ERROR, "ERROR"),
        (logging.WARNING, "WARNING"),
        (logging.INFO, "INFO"),
        (logging.DEBUG, "DEBUG"),
        (5, "DEBUG"),
        (25, "INFO"),
        (45, "ERROR"),
        (60, "CRITICAL"),
    ],
)
def test_severity_is_the_log_severity_name_of_the_level(encoder, make_record, level, severity):
    """severity is a LogSeverity name; custom levels take the standard level below them."""
    line = line_of(CloudLoggingFormatter(encoder=encoder), make_record, level=level)
    assert line["severity"] == severity
    assert line["severity"] in LOG_SEVERITIES


def test_the_whole_mozlog_envelope_is_kept(encoder, make_record):
    """Every mozlog key and value is as MozlogFormatter writes it; Cloud keys are added beside."""
    record = make_record("invoice %s sent", (1234,), extra={"customer": 42})
    mozlog = json.loads(MozlogFormatter(logger_name="svc", encoder=encoder).format(record))
    cloud = json.loads(CloudLoggingFormatter(logger_name="svc", encoder=encoder).format(record))
    assert {key: cloud[key] for key in MOZLOG_KEYS} == mozlog
    assert set(cloud) == MOZLOG_KEYS | {"severity", "message"}
    assert cloud["message"] == "invoice 1234 sent"


def test_the_message_carries_the_traceback_of_an_exception(encoder, make_record):
    """As the standard formatter writes it, so Error Reporting finds the stack trace."""
    try:
        raise ValueError("bad note")
    except ValueError:
        record = make_record("saving failed", level=logging.ERROR, exc_info=sys.exc_info())
    line = json.loads(CloudLoggingFormatter(encoder=encoder).format(record))
    assert line["message"].startswith("saving failed\nTraceback (most recent call last):\n")
    assert line["message"].endswith("ValueError: bad note")
    assert line["Fields"]["error"] == "ValueError('bad note')"


def test_an_empty_message_writes_no_message_key(encoder, make_record):
    assert "message" not in line_of(CloudLoggingFormatter(encoder=encoder), make_record, "")


def test_trace_keys_name_the_project_and_the_trace(encoder, make_record, in_trace):
    """trace is projects/PROJECT_ID/traces/TRACE_ID, spanId 16 hex digits, trace_sampled a bool."""
    line = line_of(CloudLoggingFormatter(encoder=encoder, project_id="moz-prod"), make_record)
    assert line["logging.googleapis.com/trace"] == (
        "projects/moz-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert re.fullmatch(r"[0-9a-f]{16}", line["logging.googleapis.com/spanId"])
    assert line["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert line["logging.googleapis.com/trace_sampled"] is True


def test_an_unsampled_trace_says_so(encoder, make_record):
    token = trace_context.set(TRACE._replace(sampled=False))
    try:
        line = line_of(CloudLoggingFormatter(encoder=encoder, project_id="p"), make_record)
    finally:
        trace_context.reset(token)
    assert line["logging.googleapis.com/trace_sampled"] is False


def test_outside_the_trace_the_records_trace_fields_are_used(encoder, make_record):
    """A record formatted after its request (a queue handler) carries trace_id and span_id."""
    record = make_record(extra={"trace_id": TRACE.trace_id, "span_id": TRACE.span_id})
    line = json.loads(CloudLoggingFormatter(encoder=encoder, project_id="p").format(record))
    assert line["logging.googleapis.com/trace"] == f"projects/p/traces/{TRACE.trace_id}"
    assert line["logging.googleapis.com/spanId"] == TRACE.span_id
    assert "logging.googleapis.com/trace_sampled" not in line  # not known from the fields


def test_the_project_id_defaults_to_google_cloud_project(
    encoder, make_record, in_trace, monkeypatch
):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    line = line_of(CloudLoggingFormatter(encoder=encoder), make_record)
    assert line["logging.googleapis.com/trace"].startswith("projects/from-env/traces/")


def test_without_a_project_id_the_trace_keys_are_left_out(encoder, make_record, in_trace):
    line = line_of(CloudLoggingFormatter(encoder=encoder), make_record)
    assert not [key for key in line if key.startswith("logging.googleapis.com/")]


def test_without_a_trace_the_trace_keys_are_left_out(encoder, make_record):
    line = line_of(CloudLoggingFormatter(encoder=encoder, project_id="p"), make_record)
    assert not [key for key in line if key.startswith("logging.googleapis.com/")]


def test_a_request_summary_line_has_http_request(encoder, make_record):
    """httpRequest from the summary's fields, in HttpRequest's names and types."""
    line = line_of(
        CloudLoggingFormatter(encoder=encoder), make_record, "", name="request.summary",
        extra=SUMMARY,
    )  # fmt: skip
    assert line["httpRequest"] == {
        "requestMethod": "GET",
        "requestUrl": "/notes/caf%C3%A9%2050%25?q=a%20b&x=1",
        "status": 200,
        "userAgent": "curl/8.5.0",
        "remoteIp": "203.0.113.9",
        "latency": "0.012s",
    }
    assert re.fullmatch(r"[0-9]+(\.[0-9]{1,9})?s", line["httpRequest"]["latency"])
    assert line["Fields"]["t"] == 12  # the mozlog field is unchanged
    assert "message" not in line


def test_a_summary_without_optional_fields_gives_what_it_has(encoder, make_record):
    """No query string, no agent, no peer: those keys are left out."""
    summary = {**SUMMARY, "agent": "", "remoteAddressChain": [], "t": 1500}
    del summary["querystring"]
    line = line_of(
        CloudLoggingFormatter(encoder=encoder), make_record, "", name="request.summary",
        extra=summary,
    )  # fmt: skip
    assert line["httpRequest"] == {
        "requestMethod": "GET",
        "requestUrl": "/notes/caf%C3%A9%2050%25",
        "status": 200,
        "latency": "1.500s",
    }


def test_only_request_summary_lines_have_http_request(encoder, make_record):
    line = line_of(CloudLoggingFormatter(encoder=encoder), make_record, name="app", extra=SUMMARY)
    assert "httpRequest" not in line


def test_a_summary_with_a_bad_field_still_gives_one_line_with_every_field(make_record):
    """A summary_extra override that breaks a field type loses nothing: the mozlog fallback."""
    record = make_record("", name="request.summary", extra={**SUMMARY, "t": "slow"})
    line = json.loads(CloudLoggingFormatter().format(record))
    assert line["Fields"]["t"] == "slow"
    assert line["Fields"]["rid"] == SUMMARY["rid"]


def test_it_is_usable_from_dict_config(in_trace):
    """'()' with project_id and logger_name, as a service's LOGGING setting names it."""
    stream = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"rid": {"()": "dockerflow.logging.RequestIdLogFilter"}},
            "formatters": {
                "cloud": {
                    "()": "dockerflow.logging.CloudLoggingFormatter",
                    "logger_name": "svc",
                    "project_id": "moz-prod",
                }
            },
            "handlers": {
                "h": {"class": "logging.StreamHandler", "stream": stream, "formatter": "cloud",
                      "filters": ["rid"]},
            },
            "loggers": {"test.cloud.dictconfig": {"handlers": ["h"], "level": "INFO",
                                                  "propagate": False}},
        }
    )  # fmt: skip
    logger = logging.getLogger("test.cloud.dictconfig")
    try:
        logger.warning("disk %d%% full", 91)
    finally:
        for handler in logger.handlers:
            logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["Logger"] == "svc"
    assert (line["severity"], line["message"]) == ("WARNING", "disk 91% full")
    assert line["logging.googleapis.com/trace"] == f"projects/moz-prod/traces/{TRACE.trace_id}"
    assert line["Fields"]["trace_id"] == TRACE.trace_id


summary_values = st.one_of(
    st.text(max_size=20), st.integers(), st.floats(), st.none(), st.booleans(),
    st.lists(st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=3),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["request.summary", "app"]),
    extra=st.dictionaries(st.sampled_from(sorted(SUMMARY)), summary_values),
    level=st.integers(min_value=0, max_value=100),
    project_id=st.sampled_from([None, "p"]),
)
def test_any_summary_gives_one_json_line_that_keeps_every_field(name, extra, level, project_id):
    """Whatever types a summary_extra override puts in the fields: one line, nothing lost."""
    record = logging.LogRecord(name, level, __file__, 1, "m", (), None)
    record.__dict__.update(extra, trace_id=TRACE.trace_id, span_id=TRACE.span_id)
    line = CloudLoggingFormatter(project_id=project_id).format(record)
    assert len(line.splitlines()) == 1
    parsed = json.loads(line)
    assert set(parsed) >= MOZLOG_KEYS
    assert set(extra) <= set(parsed["Fields"])
