"""Trace context: the W3C ``traceparent`` and Google's ``X-Cloud-Trace-Context`` headers.

A request that carries one of them gets its trace id and parent span id on
its log records (``trace_id``, ``span_id``), so that logs can be joined with
the traces of the load balancer or of the calling service. The request id is
unrelated and unchanged: it is the service's own id of the request.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import NamedTuple

from ._headers import Headers, header_text

__all__ = [
    "TraceContext",
    "parse_cloud_trace_context",
    "parse_trace_headers",
    "parse_traceparent",
    "trace_context",
    "trace_context_from_headers",
]


class TraceContext(NamedTuple):
    """The trace a request belongs to, as its headers gave it."""

    trace_id: str
    """32 lowercase hex digits, never all zeros."""
    span_id: str
    """The caller's span: 16 lowercase hex digits, never all zeros."""
    sampled: bool
    """Whether the caller records this trace (``traceparent``'s flag, ``o=1``)."""


#: The trace context of the request being handled, or None: outside a
#: request, or when the request carried no valid trace header.
trace_context: ContextVar[TraceContext | None] = ContextVar("trace_context", default=None)

# version "-" trace-id "-" parent-id "-" flags, lowercase hex only. Versions
# after 00 may append fields, each after a "-".
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
# TRACE_ID/SPAN_ID;o=OPTIONS, the span id in decimal, ";o=..." optional.
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})/([0-9]{1,20})(?:;o=([0-9]+))?")
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16
_MAX_HEADER_LENGTH = 512


def parse_traceparent(value: str) -> TraceContext | None:
    """The trace context of a W3C ``traceparent`` value, or None if it is not valid.

    As the W3C Trace Context spec requires, a value is ignored when it is not
    lowercase hex in the ``00-<trace-id>-<parent-id>-<flags>`` shape, when its
    version is ``ff``, when the trace id or parent id is all zeros, or, for
    version 00, when anything follows the flags. A later version is read for
    the four fields it shares with version 00.
    """
    if not isinstance(value, str) or len(value) > _MAX_HEADER_LENGTH:
        return None
    match = _TRACEPARENT.fullmatch(value.strip(" \t"))
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE_ID or span_id == _ZERO_SPAN_ID:
        return None
    return TraceContext(trace_id, span_id, sampled=bool(int(flags, 16) & 1))


def parse_cloud_trace_context(value: str) -> TraceContext | None:
    """The trace context of an ``X-Cloud-Trace-Context`` value, or None if it is not valid.

    The value is ``TRACE_ID/SPAN_ID;o=OPTIONS``: a 32-digit hex trace id and
    a decimal span id, which is given here in hex like ``traceparent``'s
    (``span_id`` is 16 hex digits); ``;o=1`` marks the trace as sampled. An
    all-zero trace id or a span id of 0 or above 2**64 - 1 is ignored.
    """
    if not isinstance(value, str) or len(value) > _MAX_HEADER_LENGTH:
        return None
    match = _CLOUD_TRACE.fullmatch(value.strip(" \t"))
    if match is None:
        return None
    trace_id, decimal_span_id, options = match.groups()
    span_number = int(decimal_span_id)
    if trace_id == _ZERO_TRACE_ID or not 0 < span_number < 2**64:
        return None
    return TraceContext(trace_id.lower(), f"{span_number:016x}", sampled=options == "1")


def parse_trace_headers(
    traceparent: str | None, x_cloud_trace_context: str | None = None
) -> TraceContext | None:
    """The trace context of a request's two trace headers' values (None: header absent).

    A valid ``traceparent`` wins; without one (absent or not valid), a valid
    ``X-Cloud-Trace-Context``; else None.
    """
    if traceparent is not None:
        parsed = parse_traceparent(traceparent)
        if parsed is not None:
            return parsed
    if x_cloud_trace_context is not None:
        return parse_cloud_trace_context(x_cloud_trace_context)
    return None


def trace_context_from_headers(headers: Headers) -> TraceContext | None:
    """The trace context of a request's headers (any object with ``get``), or None.

    For a service that is not Flask: set :data:`trace_context` to it for the
    request, and :class:`~dockerflow.logging.RequestIdLogFilter` puts
    ``trace_id`` and ``span_id`` on the records logged meanwhile::

        token = trace_context.set(trace_context_from_headers(request.headers))
        try:
            ...  # handle the request
        finally:
            trace_context.reset(token)
    """
    return parse_trace_headers(
        header_text(headers, "traceparent"), header_text(headers, "X-Cloud-Trace-Context")
    )
