"""Request ids: reading them from headers and putting them on log records."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Protocol

#: The request id of the request being handled, or None outside a request.
#: Web framework integrations set it for each request and reset it afterwards.
request_id_context: ContextVar[str | None] = ContextVar("request_id", default=None)

DEFAULT_REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128

# Printable ASCII without space and quotes (" ' `): safe to log and to echo
# back in a response header.
_SAFE_REQUEST_ID = re.compile(rf"[!#-&(-_a-~]{{1,{MAX_REQUEST_ID_LENGTH}}}")


def new_request_id() -> str:
    """A new random request id: ``str(uuid.uuid4())``."""
    return str(uuid.uuid4())


def is_safe_request_id(value: str) -> bool:
    """Tell whether ``value`` may be used as a request id as it is.

    It must be 1 to 128 characters of printable ASCII without whitespace,
    control characters or quotes.
    """
    return _SAFE_REQUEST_ID.fullmatch(value) is not None


class Headers(Protocol):
    """What :func:`get_or_generate_request_id` reads: a ``get`` by header name.

    A ``dict``, werkzeug's ``Headers`` and ``EnvironHeaders``, Django's
    ``request.headers``, Starlette's ``Headers``.
    """

    def get(self, key: str, /) -> Any: ...


def get_or_generate_request_id(headers: Headers, header_name: str | None = None) -> str:
    """Return the request id sent in ``headers``, or a new UUID4 string.

    ``header_name`` defaults to ``X-Request-ID``. The name is looked up
    case-insensitively, so a plain ``dict`` works as well as a case-insensitive
    header object (werkzeug ``Headers``, ``EnvironHeaders``): a ``dict`` (or
    a read-only view of one) is searched in any case, other mappings are
    trusted to ignore case in their own lookup. A value that is missing,
    longer than 128 characters, or holds whitespace, control characters,
    quotes or non-ASCII characters is replaced by a new UUID4 text
    (:func:`new_request_id`). ``bytes`` values are read as ASCII.
    """
    value = _find_header(headers, header_name or DEFAULT_REQUEST_ID_HEADER)
    if isinstance(value, (bytes, bytearray)):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            value = None
    if isinstance(value, str) and is_safe_request_id(value):
        return str.__str__(value)
    return new_request_id()


def _find_header(headers: Headers, name: str) -> Any:
    try:
        value = headers.get(name)
    except Exception:  # a mapping that rejects the key type, say
        value = None
    if value is not None or not isinstance(headers, (dict, MappingProxyType)):
        return value
    # A dict is case-sensitive: fall back to a case-insensitive scan. Header
    # objects (werkzeug's walks the whole WSGI environ) are not scanned.
    wanted = name.lower()
    try:
        for key, item in headers.items():
            if isinstance(key, str) and key.lower() == wanted:
                return item
    except Exception:
        return None
    return None


class RequestIdLogFilter(logging.Filter):
    """Put the current request id on every record as ``rid``.

    The id comes from :data:`request_id_context`. A record that already carries
    a non-empty ``rid`` (passed with ``extra=``, say) keeps it. The filter
    never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "rid", None):
            record.rid = request_id_context.get()
        return True
