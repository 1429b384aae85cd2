"""``request.summary`` records: one per request, in the mozlog field names."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from dockerflow.logging.records import make_fields_record

if TYPE_CHECKING:
    from flask import Flask, Request

__all__ = ["SUMMARY_LOGGER_NAME", "RequestSummary"]

SUMMARY_LOGGER_NAME = "request.summary"

logger = logging.getLogger("dockerflow.flask")


class RequestSummary:
    """Builds and writes the ``request.summary`` record of one app's requests."""

    def __init__(self, app: Flask, *, log_querystring: bool) -> None:
        self.app = app
        self.logger = logging.getLogger(SUMMARY_LOGGER_NAME)
        self.log_querystring = log_querystring

    def log_response(self, request: Request, status: int, started: float, rid: str) -> None:
        """Write the INFO record of a request that produced a response."""
        logger = self.logger
        if logger.isEnabledFor(logging.INFO):
            fields = self.fields(request, status, started, rid)
            # The logging call without its stack walk (findCaller), which would
            # only ever name this function; the record carries the fields dict
            # too, which MozlogFormatter then encodes without copying it.
            record = make_fields_record(
                logger, logging.INFO, __file__, 0, "", "log_response", fields
            )
            logger.handle(record)

    def log_exception(
        self, request: Request, exc: BaseException, started: float, rid: str
    ) -> None:
        """Write the ERROR record of a request that raised ``exc``."""
        if self.logger.isEnabledFor(logging.ERROR):
            fields = self.fields(request, 500, started, rid)
            self.logger.error(str(exc), extra=fields, exc_info=exc)

    def fields(self, request: Request, status: int, started: float, rid: str) -> dict[str, Any]:
        """The record's fields; ``started`` is a :func:`time.perf_counter` value."""
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        environ = request.environ
        fields: dict[str, Any] = {
            "errno": status if status >= 400 else 0,
            "agent": environ.get("HTTP_USER_AGENT", ""),
            "lang": environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            "method": request.method,
            "path": request.path,
            "code": status,
            "remoteAddressChain": _address_chain(environ),
            "rid": rid,
            "t": elapsed_ms,
            "uid": self.user_id(),
        }
        if self.log_querystring:
            fields["querystring"] = _decoded_query(environ.get("QUERY_STRING", ""))
        return fields

    def user_id(self) -> str:
        """Flask-Login's authenticated user id, or "" (never imports Flask-Login)."""
        if getattr(self.app, "login_manager", None) is None:
            return ""
        flask_login = sys.modules.get("flask_login")
        if flask_login is None:
            return ""
        try:
            user = flask_login.current_user
            if not user.is_authenticated:
                return ""
            user_id = user.get_id()
        except Exception:
            # Loading the user can fail (a broken database session after an
            # error); the summary must still be written.
            logger.debug("Could not read the current user id", exc_info=True)
            return ""
        return "" if user_id is None else str(user_id)


def _address_chain(environ: dict[str, Any]) -> list[str]:
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    chain = [part.strip() for part in forwarded.split(",")] if forwarded else []
    chain = [address for address in chain if address]
    peer = environ.get("REMOTE_ADDR")
    if peer:
        chain.append(peer)
    return chain


def _decoded_query(raw: str) -> str:
    # WSGI hands the query string over as latin-1 text of the raw bytes.
    return unquote(raw.encode("latin-1").decode("utf-8", "replace"), errors="replace")
