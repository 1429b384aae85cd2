"""Trace context: parsing traceparent and X-Cloud-Trace-Context, and the ids on records."""

from __future__ import annotations

import contextvars
import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockerflow.logging import (
    JsonLogFormatter,
    RequestIdLogFilter,
    TraceContext,
    parse_trace_headers,
    request_id_context,
    trace_context,
    trace_context_from_headers,
)
from dockerflow.logging._trace_context import parse_cloud_trace_context, parse_traceparent

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def test_a_valid_traceparent_gives_its_trace_and_parent_span() -> None:
    assert parse_traceparent(TRACEPARENT) == TraceContext(TRACE_ID, SPAN_ID, sampled=True)


def test_the_sampled_flag_is_the_lowest_bit_of_the_flags() -> None:
    assert parse_traceparent(f"00-{TRACE_ID}-{SPAN_ID}-00") == TraceContext(
        TRACE_ID, SPAN_ID, sampled=False
    )
    assert parse_traceparent(f"00-{TRACE_ID}-{SPAN_ID}-03") == TraceContext(
        TRACE_ID, SPAN_ID, sampled=True
    )


def test_surrounding_blanks_are_optional_whitespace() -> None:
    assert parse_traceparent(f" \t{TRACEPARENT} ") is not None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "00",
        f"00-{'0' * 32}-{SPAN_ID}-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE_ID}-{SPAN_ID}-01",  # the forbidden version
        f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",  # hex must be lowercase
        f"00-{TRACE_ID}-{SPAN_ID}-01-extra",  # version 00 ends at the flags
        f"01-{TRACE_ID}-{SPAN_ID}-01extra",  # a later version's extra field needs a "-"
        f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",  # short trace id
        f"00-{TRACE_ID}-{SPAN_ID}0-01",  # long parent id
        f"00-{TRACE_ID}-{SPAN_ID}-1",  # one-digit flags
        f"00_{TRACE_ID}_{SPAN_ID}_01",
        f"0g-{TRACE_ID}-{SPAN_ID}-01",
        f"{TRACEPARENT},{TRACEPARENT}",  # two headers folded into one
        f"01-{TRACE_ID}-{SPAN_ID}-01-{'x' * 600}",  # absurdly long
    ],
)
def test_a_malformed_traceparent_is_ignored(value: str) -> None:
    assert parse_traceparent(value) is None


def test_a_later_version_is_read_for_the_fields_it_shares_with_version_00() -> None:
    assert parse_traceparent(f"cc-{TRACE_ID}-{SPAN_ID}-01-what-comes-next") == TraceContext(
        TRACE_ID, SPAN_ID, sampled=True
    )


def test_cloud_trace_context_gives_the_span_id_in_hex() -> None:
    value = "105445aa7843bc8bf206b12000100000/12345678901234567890;o=1"
    assert parse_cloud_trace_context(value) == TraceContext(
        "105445aa7843bc8bf206b12000100000", f"{12345678901234567890:016x}", sampled=True
    )


def test_cloud_trace_context_options_are_optional_and_o1_means_sampled() -> None:
    base = "105445AA7843BC8BF206B12000100000/1"
    assert parse_cloud_trace_context(base) == TraceContext(
        "105445aa7843bc8bf206b12000100000", "0000000000000001", sampled=False
    )
    assert parse_cloud_trace_context(base + ";o=0") == TraceContext(
        "105445aa7843bc8bf206b12000100000", "0000000000000001", sampled=False
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "105445aa7843bc8bf206b12000100000",  # no span id
        f"{'0' * 32}/1;o=1",  # all-zero trace id
        "105445aa7843bc8bf206b12000100000/0;o=1",  # span id 0
        f"105445aa7843bc8bf206b12000100000/{2**64};o=1",  # over 64 bits
        "105445aa7843bc8bf206b1200010000/1;o=1",  # 31 digits
        "105445aa7843bc8bf206b12000100000/abc;o=1",  # span id not decimal
        "105445aa7843bc8bf206b12000100000/1;o=",
        "105445aa7843bc8bf206b12000100000/1;x=1",
    ],
)
def test_a_malformed_cloud_trace_context_is_ignored(value: str) -> None:
    assert parse_cloud_trace_context(value) is None


CLOUD = "105445aa7843bc8bf206b12000100000/1;o=1"


def test_a_valid_traceparent_wins_over_cloud_trace_context() -> None:
    assert parse_trace_headers(TRACEPARENT, CLOUD) == parse_traceparent(TRACEPARENT)


def test_cloud_trace_context_is_read_without_a_valid_traceparent() -> None:
    assert parse_trace_headers(None, CLOUD) == parse_cloud_trace_context(CLOUD)
    assert parse_trace_headers("00-garbage", CLOUD) == parse_cloud_trace_context(CLOUD)
    assert parse_trace_headers(None, None) is None
    assert parse_trace_headers("00-garbage", None) is None


def test_headers_are_found_in_any_case_in_a_dict_and_as_bytes() -> None:
    assert trace_context_from_headers({"TraceParent": TRACEPARENT}) == parse_traceparent(
        TRACEPARENT
    )
    assert trace_context_from_headers(
        {"x-cloud-trace-context": CLOUD.encode()}
    ) == parse_cloud_trace_context(CLOUD)
    assert trace_context_from_headers({"traceparent": b"\xff"}) is None
    assert trace_context_from_headers({}) is None


def test_werkzeug_headers_work() -> None:
    datastructures = pytest.importorskip("werkzeug.datastructures")
    headers = datastructures.EnvironHeaders({"HTTP_TRACEPARENT": TRACEPARENT})
    assert trace_context_from_headers(headers) == parse_traceparent(TRACEPARENT)


@given(st.text(max_size=120))
def test_parsing_any_text_never_raises_and_gives_canonical_ids(value: str) -> None:
    for parsed in (parse_traceparent(value), parse_cloud_trace_context(value)):
        if parsed is not None:
            assert len(parsed.trace_id) == 32
            assert set(parsed.trace_id) <= set("0123456789abcdef")
            assert len(parsed.span_id) == 16
            assert set(parsed.span_id) <= set("0123456789abcdef")
            assert parsed.trace_id != "0" * 32
            assert parsed.span_id != "0" * 16


def filtered(record: logging.LogRecord) -> logging.LogRecord:
    assert RequestIdLogFilter().filter(record) is True
    return record


def test_the_filter_puts_the_current_trace_on_records() -> None:
    def in_request() -> logging.LogRecord:
        request_id_context.set("rid-1")
        trace_context.set(parse_traceparent(TRACEPARENT))
        return filtered(logging.makeLogRecord({"msg": "hello"}))

    record = contextvars.copy_context().run(in_request)
    assert (record.rid, record.trace_id, record.span_id) == ("rid-1", TRACE_ID, SPAN_ID)


def test_without_a_trace_the_filter_adds_no_trace_fields() -> None:
    record = filtered(logging.makeLogRecord({"msg": "hello"}))
    assert not hasattr(record, "trace_id")
    assert not hasattr(record, "span_id")


def test_a_record_with_its_own_trace_id_keeps_it() -> None:
    def in_request() -> logging.LogRecord:
        trace_context.set(parse_traceparent(TRACEPARENT))
        return filtered(logging.makeLogRecord({"trace_id": "mine", "span_id": "my-span"}))

    record = contextvars.copy_context().run(in_request)
    assert (record.trace_id, record.span_id) == ("mine", "my-span")


def test_a_service_without_flask_gets_trace_ids_in_its_json_lines() -> None:
    """What the request-ids page shows for a service on another framework."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter(logger_name="svc"))
    handler.addFilter(RequestIdLogFilter())
    log = logging.getLogger("test_trace_context.svc")
    log.addHandler(handler)
    log.propagate = False
    try:

        def handle(headers: dict[str, str]) -> None:
            token = trace_context.set(trace_context_from_headers(headers))
            try:
                log.warning("handled")
            finally:
                trace_context.reset(token)

        contextvars.copy_context().run(handle, {"traceparent": TRACEPARENT})
        contextvars.copy_context().run(handle, {})
    finally:
        log.removeHandler(handler)
    with_trace, without = (json.loads(line)["Fields"] for line in stream.getvalue().splitlines())
    assert (with_trace["trace_id"], with_trace["span_id"]) == (TRACE_ID, SPAN_ID)
    assert "trace_id" not in without
    assert "span_id" not in without
    assert trace_context.get() is None
