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
_VARIANT_DIGIT = bytes.maketrans(b"0123456789abcdef", b"89ab" * 4)
_UUID_TEXT_LENGTH = 36


def _text_position(digit: int) -> int:
    """Where hex digit ``digit`` (0-31) of an id goes in its text, past the hyphens."""
    return digit + (digit >= 8) + (digit >= 12) + (digit >= 16) + (digit >= 20)


# Digit 12 becomes the version (4, already in the template); digit 16 becomes
# the variant digit made from it with _VARIANT_DIGIT; the others are copied.
_COPIED_DIGITS = [(digit, _text_position(digit)) for digit in range(32) if digit not in (12, 16)]
_VARIANT_POSITION = _text_position(16)


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
    # The ids are laid out one after another in one buffer, filled one digit
    # position at a time: each slice assignment copies that digit of every
    # id at once, in C, instead of formatting each id in Python.
    digits = os.urandom(16 * count).hex().encode("ascii")
    text = bytearray(b"00000000-0000-4000-8000-000000000000" * count)
    for digit, position in _COPIED_DIGITS:
        text[position::_UUID_TEXT_LENGTH] = digits[digit::32]
    text[_VARIANT_POSITION::_UUID_TEXT_LENGTH] = digits[16::32].translate(_VARIANT_DIGIT)
    ids = text.decode("ascii")
    return [
        ids[start : start + _UUID_TEXT_LENGTH]
        for start in range(0, _UUID_TEXT_LENGTH * count, _UUID_TEXT_LENGTH)
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
