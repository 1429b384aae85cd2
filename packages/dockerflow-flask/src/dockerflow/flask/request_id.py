"""The request id: read or made at the start of a request, reset at its end."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import Token
from typing import Any

from dockerflow.logging import request_id_context
from dockerflow.logging.request_id import is_safe_request_id, new_request_id

__all__ = ["REQUEST_ID_ENVIRON_KEY", "end_request_id", "environ_key", "request_id_from_environ"]

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
    is kept only when :func:`~dockerflow.logging.request_id.is_safe_request_id`
    accepts it, as in :func:`~dockerflow.logging.get_or_generate_request_id`.
    """
    value = environ.get(key)
    if isinstance(value, str) and is_safe_request_id(value):
        return str.__str__(value)
    return new_request_id()


def end_request_id(token: Token[str | None]) -> None:
    """Restore the request id context to what it was before the request."""
    try:
        request_id_context.reset(token)
    except ValueError:
        # The token came from another context (a server that switches
        # contexts between hooks): clear the id rather than leak it.
        request_id_context.set(None)
