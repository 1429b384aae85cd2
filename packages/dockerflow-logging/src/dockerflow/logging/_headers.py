"""Reading one header from whatever a framework gives: a dict, werkzeug's, Django's, Starlette's."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Protocol

__all__ = ["Headers", "find_header", "header_text"]


class Headers(Protocol):
    """What the header helpers read: a ``get`` by header name.

    A ``dict``, werkzeug's ``Headers`` and ``EnvironHeaders``, Django's
    ``request.headers``, Starlette's ``Headers``.
    """

    def get(self, key: str, /) -> Any: ...


def find_header(headers: Headers, name: str) -> Any:
    """The value of header ``name`` (any case), or None; never raises."""
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


def header_text(headers: Headers, name: str) -> str | None:
    """The value of header ``name`` as text (``bytes`` read as ASCII), or None."""
    value = find_header(headers, name)
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None
