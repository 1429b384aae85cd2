"""Request ids: reading them from headers and putting them on log records."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

#: The request id of the request being handled, or None outside a request.
#: Web framework integrations set it for each request and reset it afterwards.
request_id_context: ContextVar[str | None] = ContextVar("request_id", default=None)

DEFAULT_REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128

# Printable ASCII without space and quotes (" ' `): safe to log and to echo
# back in a response header.
_SAFE_REQUEST_ID = re.compile(rf"[!#-&(-_a-~]{{1,{MAX_REQUEST_ID_LENGTH}}}")

# A random hex digit -> the RFC 4122 variant digit (binary 10xx) with the same
# two low bits: 8, 9, a or b, each as likely as before.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


# Ids made ahead, a batch at a time: one os.urandom call per batch instead of
# one per request. Process-wide (ids are unique whatever asks for them);
# list.pop and list.extend are atomic, so threads never get the same id, and
# a forked child drops what it inherited, so it never repeats its parent's.
_ID_BATCH_SIZE = 64
_spare_ids: list[str] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_spare_ids.clear)


def new_request_id() -> str:
    """Return a new random request id: the text of a version 4 UUID.

    The same form and randomness as ``str(uuid.uuid4())`` (16 bytes from
    :func:`os.urandom`, version and variant bits set), without building a
    :class:`uuid.UUID`.
    """
    try:
        return _spare_ids.pop()
    except IndexError:
        pass
    batch = _make_request_ids(_ID_BATCH_SIZE)
    request_id = batch.pop()
    _spare_ids.extend(batch)
    return request_id


def _make_request_ids(count: int) -> list[str]:
    hex_digits = os.urandom(16 * count).hex()
    # Digit 12 of each id becomes the version (4), digit 16 the variant (10xx).
    return [
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
        f"{_VARIANT_DIGIT[digits[16]]}{digits[17:20]}-{digits[20:]}"
        for digits in (hex_digits[start : start + 32] for start in range(0, 32 * count, 32))
    ]


def is_safe_request_id(value: str) -> bool:
    """Tell whether ``value`` may be used as a request id as it is.

    It must be 1 to 128 characters of printable ASCII without whitespace,
    control characters or quotes.
    """
    return _SAFE_REQUEST_ID.fullmatch(value) is not None


def get_or_generate_request_id(headers: Mapping[str, Any], header_name: str | None = None) -> str:
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


def _find_header(headers: Mapping[str, Any], name: str) -> Any:
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
