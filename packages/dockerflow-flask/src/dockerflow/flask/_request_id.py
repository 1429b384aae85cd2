"""The request id: read from the WSGI environ or made at the start of a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockerflow.logging._request_id import is_safe_request_id, new_request_id

__all__ = ["REQUEST_ID_ENVIRON_KEY", "environ_key", "request_id_from_environ"]

#: The WSGI environ key holding the request's id, for code outside Flask.
REQUEST_ID_ENVIRON_KEY = "dockerflow.request_id"

# The two headers CGI (and so WSGI) keeps without the HTTP_ prefix.
_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def environ_key(header_name: str) -> str:
    """The WSGI environ key holding the header ``header_name``.

    The same key werkzeug's ``request.headers`` reads: ``X-Request-ID`` is
    ``HTTP_X_REQUEST_ID``.
    """
    key = header_name.upper().replace("-", "_")
    return key if key in _UNPREFIXED else f"HTTP_{key}"


def request_id_from_environ(environ: Mapping[str, Any], key: str) -> str:
    """The request id sent under ``key`` (see :func:`environ_key`), or a new one.

    Read straight from the environ, without scanning the headers; the value
    is kept only when :func:`~dockerflow.logging._request_id.is_safe_request_id`
    accepts it, as in :func:`~dockerflow.logging.get_or_generate_request_id`.
    """
    value = environ.get(key)
    if isinstance(value, str) and is_safe_request_id(value):
        return str.__str__(value)
    return new_request_id()
