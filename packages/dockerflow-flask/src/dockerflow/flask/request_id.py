"""The request id: read or made at the start of a request, reset at its end."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import Token

from dockerflow.logging import get_or_generate_request_id, request_id_context
from flask import g

__all__ = ["end_request_id", "start_request_id"]


def start_request_id(headers: Mapping[str, str], header_name: str) -> tuple[str, Token[str | None]]:
    """Take the request id from ``headers`` (or make one) and publish it.

    It goes into :data:`dockerflow.logging.request_id_context`, where
    :class:`~dockerflow.logging.RequestIdLogFilter` finds it, and into
    ``flask.g.request_id`` unless the app already put one there. The returned
    token undoes the context change (:func:`end_request_id`).
    """
    request_id = get_or_generate_request_id(headers, header_name)
    token = request_id_context.set(request_id)
    if "request_id" not in g:
        g.request_id = request_id
    return request_id, token


def end_request_id(token: Token[str | None]) -> None:
    """Restore the request id context to what it was before the request."""
    try:
        request_id_context.reset(token)
    except ValueError:
        # The token came from another context (a server that switches
        # contexts between hooks): clear the id rather than leak it.
        request_id_context.set(None)
