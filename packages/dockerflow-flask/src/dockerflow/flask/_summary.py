"""``request.summary`` records: one per request, in the mozlog field names."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from dockerflow.logging._direct import fields_line_writer

from ._record_maker import record_maker

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from flask import Flask

__all__ = [
    "SUMMARY_FIELDS",
    "SUMMARY_LOGGER_NAME",
    "RequestSummary",
    "flask_login_user_id",
    "request_path",
]

SUMMARY_LOGGER_NAME = "request.summary"
#: The fields of every record; ``querystring`` follows them when it is logged.
SUMMARY_FIELDS = (
    "errno",
    "agent",
    "lang",
    "method",
    "path",
    "code",
    "remoteAddressChain",
    "rid",
    "t",
    "uid",
)

logger = logging.getLogger("dockerflow.flask")


class RequestSummary:
    """Builds and writes the ``request.summary`` record of one app's requests."""

    def __init__(self, app: Flask, *, log_querystring: bool) -> None:
        self.app = app
        self.logger = logging.getLogger(SUMMARY_LOGGER_NAME)
        self.log_querystring = log_querystring
        self.make_info_record = record_maker(self.logger, logging.INFO, __file__, "log_response")
        names = (*SUMMARY_FIELDS, "querystring") if log_querystring else SUMMARY_FIELDS
        self.write_info_line = fields_line_writer(self.logger, logging.INFO, names)

    def log_response(
        self, environ: WSGIEnvironment, status: int, started: float, rid: str, uid: str
    ) -> None:
        """Write the INFO record of a request that produced a response."""
        logger = self.logger
        if logger.isEnabledFor(logging.INFO):
            try:
                fields = self.fields(environ, status, started, rid, uid)
                # Where the record could only become one line on one plain
                # handler, that line is written without the record.
                if not self.write_info_line(fields):
                    # The logging call without its stack walk (findCaller),
                    # which would only ever name this function; the record
                    # carries the fields dict, which MozlogFormatter then
                    # encodes without copying it.
                    logger.handle(self.make_info_record(fields))
            except Exception:
                report_logging_failure()

    def log_exception(
        self, environ: WSGIEnvironment, exc: BaseException, started: float, rid: str, uid: str
    ) -> None:
        """Write the ERROR record of a request that raised ``exc``."""
        if self.logger.isEnabledFor(logging.ERROR):
            try:
                fields = self.fields(environ, 500, started, rid, uid)
                self.logger.error(str(exc), extra=fields, exc_info=exc)
            except Exception:
                report_logging_failure()

    def fields(
        self, environ: WSGIEnvironment, status: int, started: float, rid: str, uid: str
    ) -> dict[str, Any]:
        """The record's fields; ``started`` is a :func:`time.perf_counter` value."""
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        get = environ.get
        # The common cases inline: a plain ASCII path, no X-Forwarded-For.
        path = get("PATH_INFO") or ""
        if not (path.isascii() and path[:1] == "/" and path[1:2] != "/"):
            path = request_path(environ)
        peer = get("REMOTE_ADDR")
        forwarded = get("HTTP_X_FORWARDED_FOR")
        chain = _address_chain(forwarded, peer) if forwarded else [peer] if peer else []
        fields: dict[str, Any] = {
            "errno": status if status >= 400 else 0,
            "agent": get("HTTP_USER_AGENT", ""),
            "lang": get("HTTP_ACCEPT_LANGUAGE", ""),
            "method": get("REQUEST_METHOD", "GET").upper(),
            "path": path,
            "code": status,
            "remoteAddressChain": chain,
            "rid": rid,
            "t": elapsed_ms,
            "uid": uid,
        }
        if self.log_querystring:
            fields["querystring"] = _decoded_query(environ.get("QUERY_STRING", ""))
        return fields

    def user_id(self) -> str:
        """Flask-Login's authenticated user id, or "" when the app has no login manager."""
        if getattr(self.app, "login_manager", None) is None:
            return ""
        return flask_login_user_id()


def flask_login_user_id() -> str:
    """The id of Flask-Login's current user, or "" (never imports Flask-Login)."""
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


def report_logging_failure() -> None:
    """Tell stderr that writing a summary failed, as ``Handler.handleError`` does.

    A handler or filter that raises instead of calling ``handleError`` must not
    turn the request it describes into a 500.
    """
    if logging.raiseExceptions and sys.stderr:
        sys.stderr.write("--- dockerflow: writing a request.summary record failed ---\n")
        traceback.print_exc(file=sys.stderr)


def request_path(environ: WSGIEnvironment) -> str:
    """The path as ``flask.request.path`` gives it, read from the WSGI environ."""
    path = environ.get("PATH_INFO") or ""
    if not path.isascii():
        # WSGI hands the path over as latin-1 text of the raw bytes.
        with contextlib.suppress(UnicodeEncodeError):  # not from a real server
            path = path.encode("latin-1").decode("utf-8", "replace")
    return "/" + path.lstrip("/")


def _address_chain(forwarded: str, peer: str | None) -> list[str]:
    """The X-Forwarded-For addresses, then the peer's."""
    chain = [address for address in (part.strip() for part in forwarded.split(",")) if address]
    if peer:
        chain.append(peer)
    return chain


def _decoded_query(raw: str) -> str:
    # WSGI hands the query string over as latin-1 text of the raw bytes.
    return unquote(raw.encode("latin-1").decode("utf-8", "replace"), errors="replace")
