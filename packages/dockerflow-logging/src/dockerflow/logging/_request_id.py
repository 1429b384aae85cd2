"""Request ids: reading them from headers and putting them on log records."""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar

from ._headers import Headers, header_text
from ._trace_context import trace_context

#: The request id of the request being handled, or None outside a request.
#: Web framework integrations set it for each request and reset it afterwards.
request_id_context: ContextVar[str | None] = ContextVar("request_id", default=None)

#: The header a request id is read from and echoed in unless a framework says otherwise.
DEFAULT_REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128

# Printable ASCII without space and quotes (" ' `): safe to log and to echo
# back in a response header.
_SAFE_REQUEST_ID = re.compile(rf"[!#-&(-_a-~]{{1,{MAX_REQUEST_ID_LENGTH}}}")


def new_request_id() -> str:
    """A new random request id: 32 lowercase hex digits from ``os.urandom(16)``.

    The format of nginx's ``$request_id`` and of a W3C trace id.
    """
    return os.urandom(16).hex()


def is_safe_request_id(value: str) -> bool:
    """Tell whether ``value`` may be used as a request id as it is.

    It must be 1 to 128 characters of printable ASCII without whitespace,
    control characters or quotes.
    """
    return _SAFE_REQUEST_ID.fullmatch(value) is not None


def request_id_from(value: object) -> str:
    """``value`` when it is a safe request id (:func:`is_safe_request_id`), else a new one.

    For a framework that looks the header up itself (a WSGI environ key, say).
    """
    if isinstance(value, str) and is_safe_request_id(value):
        return str.__str__(value)
    return new_request_id()


def get_or_generate_request_id(headers: Headers, header_name: str | None = None) -> str:
    """Return the request id sent in ``headers``, or a new one (:func:`new_request_id`).

    ``header_name`` defaults to ``X-Request-ID``. The name is looked up
    case-insensitively, so a plain ``dict`` works as well as a case-insensitive
    header object (werkzeug ``Headers``, ``EnvironHeaders``): a ``dict`` (or
    a read-only view of one) is searched in any case, other mappings are
    trusted to ignore case in their own lookup. A value that is missing,
    longer than 128 characters, or holds whitespace, control characters,
    quotes or non-ASCII characters is replaced by a new id. ``bytes`` values are read as ASCII.
    """
    return request_id_from(header_text(headers, header_name or DEFAULT_REQUEST_ID_HEADER))


class RequestIdLogFilter(logging.Filter):
    """Put the current request id on every record as ``rid``, and its trace context.

    The id comes from :data:`request_id_context`. When :data:`trace_context`
    holds the request's trace, the record also gets ``trace_id`` and
    ``span_id``; without one it gets neither. A record that already carries a
    non-empty ``rid`` or ``trace_id`` (passed with ``extra=``, say) keeps it.
    The filter never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "rid", None):
            record.rid = request_id_context.get()
        trace = trace_context.get()
        if trace is not None and not getattr(record, "trace_id", None):
            record.trace_id = trace.trace_id
            record.span_id = trace.span_id
        return True
