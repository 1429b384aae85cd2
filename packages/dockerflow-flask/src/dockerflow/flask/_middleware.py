"""A request's life in the extension: its id, its echo header, its ``request.summary`` record.

:class:`RequestMiddleware` wraps the app's ``wsgi_app``. When a request
arrives it takes the request id (the one an outer Dockerflow app put in the
environ, else the client's header when it is safe, else a new one) and its
trace (a valid ``traceparent`` or ``X-Cloud-Trace-Context`` header), sets
them in ``request_id_context`` and ``trace_context`` of a context of the
request's own (``contextvars.copy_context()``), where the app and its body
then run, and notes what the summary reports of the request as it arrived
(:class:`RequestScope`): inner middleware such as ProxyFix or
DispatcherMiddleware rewrites the environ later. The ``start_response`` it
hands on notes the status and adds the echo header.

Inside Flask, a ``before_request`` function sets ``g.request_id``, and a
``teardown_request`` function calls the extension's ``summary_extra()``: the
response has gone through ``start_response`` by then, and an override still
sees ``flask.request`` and ``g``. Once the app has answered, the middleware
hands the summary record to ``Logger.handle``. The body the server iterates
afterwards is iterated and closed in the request's context, so it keeps the
id and trace (``stream_with_context`` runs view code and teardown functions
then); the server's own context never sees them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

from dockerflow.logging import (
    TraceContext,
    is_safe_request_id,
    new_request_id,
    parse_trace_headers,
    request_id_context,
    trace_context,
)
from flask import g, has_request_context, request

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flask import Flask

__all__ = [
    "HEALTH_PATHS",
    "REQUEST_ID_ENVIRON_KEY",
    "RequestMiddleware",
    "RequestScope",
    "current_request_scope",
    "environ_key",
    "flask_login_user_id",
    "request_id_of",
]

#: The WSGI environ key holding the request's id, for code outside Flask and
#: for a Dockerflow app dispatched inside another one, which reuses it.
REQUEST_ID_ENVIRON_KEY = "dockerflow.request_id"
#: What ``DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS = False`` leaves out of the
#: summary, whatever the method.
HEALTH_PATHS = frozenset({"/__version__", "/__heartbeat__", "/__lbheartbeat__"})

# Names a LogRecord's own attributes take: ``extra=`` may not use them.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# The two headers CGI (and so WSGI) keeps without the HTTP_ prefix.
_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})

logger = logging.getLogger("dockerflow.flask")

# The scope of the request the middleware of the running app is handling; a
# Dockerflow app dispatched inside another sets its own in its own context.
_current_scope: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "dockerflow_request", default=None
)


class RequestScope:
    """One request as the summary reports it, each fact taken where it is true.

    ``environ`` is a copy of the WSGI environ as the request reached the
    middleware: inner middleware such as ProxyFix or DispatcherMiddleware
    rewrites the app's environ in place. The summary's text is derived from
    the copy only when a summary is written. ``code`` is the status sent; the
    time comes from a monotonic clock.
    """

    __slots__ = (
        "code",
        "environ",
        "exception",
        "fields",
        "log_querystring",
        "request_id",
        "started",
        "summarised",
        "trace_context",
        "written",
    )

    def __init__(
        self,
        environ: WSGIEnvironment,
        request_id: str,
        *,
        log_querystring: bool,
        trace: TraceContext | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.environ = environ.copy()
        self.request_id = request_id
        self.log_querystring = log_querystring
        self.trace_context = trace
        """The trace of the ``traceparent`` (else ``X-Cloud-Trace-Context``) header, if valid."""
        self.code: int | None = None
        """The status sent: from Flask's response or ``start_response``; None before."""
        self.exception: BaseException | None = None
        """The exception the request ended with, if any: the record is an ERROR."""
        self.fields: dict[str, Any] | None = None
        """What ``summary_extra()`` returned, when Flask handled the request."""
        self.summarised = True
        """False for a health endpoint left out of the summary (an error is still logged)."""
        self.written = False

    @property
    def path(self) -> str:
        """The path as ``flask.request.path`` gives it, as the request arrived."""
        return _path(self.environ)

    @property
    def level(self) -> int | None:
        """The summary record's level: ERROR after an exception, else INFO; None: no record."""
        if self.exception is not None:
            return logging.ERROR
        return logging.INFO if self.summarised else None

    def summary_fields(self, uid: str = "") -> dict[str, Any]:
        """The ``request.summary`` fields of this request as of now."""
        environ = self.environ
        code = self.code or 0
        fields: dict[str, Any] = {
            "errno": code if code >= 400 else 0,
            "agent": environ.get("HTTP_USER_AGENT", ""),
            "lang": environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            "method": str(environ.get("REQUEST_METHOD", "GET")).upper(),
            "path": _path(environ),
            "code": code,
            "remoteAddressChain": _address_chain(environ),
            "rid": self.request_id,
            "t": int((time.perf_counter() - self.started) * 1000),
            "uid": uid,
        }
        if self.log_querystring:
            fields["querystring"] = _decoded_query(environ)
        if self.trace_context is not None:
            fields["trace_id"] = self.trace_context.trace_id
            fields["span_id"] = self.trace_context.span_id
        return fields


def current_request_scope() -> RequestScope:
    """The scope of the request being handled.

    Outside the middleware (a test that dispatches inside
    ``app.test_request_context()``), a scope made from ``flask.request`` now.
    """
    scope = _current_scope.get()
    if scope is not None:
        return scope
    if not has_request_context():
        raise RuntimeError("there is no request: summary_extra() needs a request context")
    request_id = g.get("request_id") or request_id_context.get() or new_request_id()
    return RequestScope(request.environ, str(request_id), log_querystring=False)


class RequestMiddleware:
    """Wraps a Flask app's ``wsgi_app`` with the request id and the summary.

    :param summary_extra: returns the summary fields of the current request;
        called inside Flask's request context.
    """

    def __init__(
        self,
        app: Flask,
        *,
        header_name: str,
        summary_logger: logging.Logger,
        summary_extra: Callable[[], Any],
        log_querystring: bool,
        summarise_health_endpoints: bool,
        read_trace_context: bool,
    ) -> None:
        self.wsgi_app: WSGIApplication = app.wsgi_app
        self.header_name = header_name
        self.header_key = environ_key(header_name)
        self.summary_logger = summary_logger
        self.summary_extra = summary_extra
        self.log_querystring = log_querystring
        self.summarise_health_endpoints = summarise_health_endpoints
        self.read_trace_context = read_trace_context
        app.before_request(_set_g_request_id(self.header_key))
        app.teardown_request(self._take_summary_fields)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = request_id_of(environ, self.header_key)
        environ[REQUEST_ID_ENVIRON_KEY] = request_id
        trace = None
        if self.read_trace_context:
            trace = parse_trace_headers(
                environ.get("HTTP_TRACEPARENT"), environ.get("HTTP_X_CLOUD_TRACE_CONTEXT")
            )
        scope = RequestScope(environ, request_id, log_querystring=self.log_querystring, trace=trace)
        if not self.summarise_health_endpoints and scope.path in HEALTH_PATHS:
            scope.summarised = False

        def start_response_with_id(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: tuple[type[BaseException], BaseException, TracebackType]
            | tuple[None, None, None]
            | None = None,
        ) -> Callable[[bytes], object]:
            scope.code = _status_code(status)
            headers = _with_echo_header(headers, self.header_name, request_id)
            return start_response(status, headers, exc_info)

        # The request runs in a context of its own, entered again for each
        # call on its body: its variables are set once and never reset, and
        # a variable the app sets in one call may be reset in a later one
        # (Flask 2.3's stream_with_context).
        context = contextvars.copy_context()
        context.run(_enter_request, scope)
        try:
            body = context.run(self.wsgi_app, environ, start_response_with_id)
        except BaseException as exc:
            # Flask let it through (PROPAGATE_EXCEPTIONS, or not an
            # Exception), or the app is not Flask: the server answers 500.
            scope.exception = exc
            scope.code = scope.code or 500
            self.write_summary(scope)
            raise
        if scope.code is None:  # start_response comes with the first chunk
            return _BodyInContext(body, context, lambda: self.write_summary(scope))
        self.write_summary(scope)
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            return body  # the server may send it with sendfile(); it runs no app code
        return _BodyInContext(body, context)

    def write_summary(self, scope: RequestScope) -> None:
        """Hand the summary record of ``scope``'s request to the ``request.summary`` logger.

        Once per request; a handler or filter that raises is reported on
        stderr and never breaks the request.
        """
        if scope.written:
            return
        scope.written = True
        level = scope.level
        summary_logger = self.summary_logger
        if level is None or not summary_logger.isEnabledFor(level):
            return
        exc = scope.exception
        message = "" if exc is None else _text_of(exc)
        exc_info = None if exc is None else (type(exc), exc, exc.__traceback__)
        try:
            fields = scope.summary_fields() if scope.fields is None else scope.fields
            record = summary_logger.makeRecord(
                summary_logger.name, level, __file__, 0, message, (), exc_info, "write_summary"
            )
            # What makeRecord's extra= does, after its per-key check of the
            # record's own names: _as_record_extra has renamed those already.
            vars(record).update(_as_record_extra(fields))
            summary_logger.handle(record)
        except Exception:
            _report_logging_failure()

    def _take_summary_fields(self, exc: BaseException | None) -> None:
        """Call ``summary_extra()`` while the request context is still there.

        Teardown functions run after the response went through
        ``start_response`` (its status is the one the client gets) and with
        the exception that ended the view, if any, even when an error handler
        answered for it.
        """
        scope = _current_scope.get()
        if scope is None or scope.fields is not None:  # not ours, or done (stream_with_context)
            return
        if exc is not None:
            scope.exception = exc
            if scope.code is None:  # Flask re-raises it (PROPAGATE_EXCEPTIONS)
                scope.code = 500
        level = scope.level
        if scope.code is None or level is None or not self.summary_logger.isEnabledFor(level):
            return  # a start_response that comes with the body: the default fields then
        try:
            fields = self.summary_extra()
            if not isinstance(fields, dict):
                raise TypeError(f"summary_extra() returned a {type(fields).__name__}, not a dict")
        except Exception:
            logger.exception("summary_extra() failed: the summary has the default fields")
            return
        scope.fields = fields


def _enter_request(scope: RequestScope) -> None:
    """Set the request's variables, in the request's own context."""
    request_id_context.set(scope.request_id)
    if scope.trace_context is not None:
        trace_context.set(scope.trace_context)
    _current_scope.set(scope)


class _BodyInContext:
    """The response body, iterated and closed in the request's context."""

    def __init__(
        self,
        body: Iterable[bytes],
        context: contextvars.Context,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.body = body
        self.chunks = context.run(iter, body)  # an __iter__ may run app code too
        self.context = context
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return self.context.run(next, self.chunks)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                self.context.run(close)
        finally:
            if self.on_close is not None:
                self.on_close()  # the summary of a deferred start_response


def request_id_of(environ: WSGIEnvironment, header_key: str) -> str:
    """The id an outer Dockerflow app gave the request, else the safe client id, else a new one."""
    outer = environ.get(REQUEST_ID_ENVIRON_KEY)
    if isinstance(outer, str):
        return outer
    sent = environ.get(header_key)
    if isinstance(sent, str) and is_safe_request_id(sent):
        return sent
    return new_request_id()


def _set_g_request_id(header_key: str) -> Callable[[], None]:
    def set_g_request_id() -> None:
        """``g.request_id`` and python-dockerflow's ``g._request_id``: this request's id.

        A ``g.request_id`` the app set in an earlier ``before_request``
        function is kept; one left by an earlier request in an app context
        that both share (a test pushing ``app.app_context()`` around the
        client) is replaced.
        """
        request_id = request_id_context.get()
        if request_id is None:  # dispatched without the middleware
            request_id = request_id_of(request.environ, header_key)
        namespace = g._get_current_object()  # one proxy lookup, not four
        current = namespace.get("request_id")
        if current is None or current == namespace.get("_request_id"):
            namespace.request_id = request_id
        namespace._request_id = request_id

    return set_g_request_id


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


def environ_key(header_name: str) -> str:
    """The WSGI environ key of a header: ``HTTP_X_REQUEST_ID`` for ``X-Request-ID``."""
    key = header_name.upper().replace("-", "_")
    return key if key in _UNPREFIXED else f"HTTP_{key}"


def _with_echo_header(
    headers: list[tuple[str, str]], name: str, request_id: str
) -> list[tuple[str, str]]:
    """``headers`` with ``name: request_id``, replacing a header of that name in any case."""
    lowered = name.lower()
    for key, _value in headers:
        if key.lower() == lowered:
            headers = [item for item in headers if item[0].lower() != lowered]
            break
    return [*headers, (name, request_id)]


def _status_code(status: str) -> int:
    try:
        return int(status[:3])
    except ValueError:
        return 0


def _path(environ: WSGIEnvironment) -> str:
    """The path as ``flask.request.path`` gives it, read from the WSGI environ."""
    path = environ.get("PATH_INFO") or ""
    if not path.isascii():
        # WSGI hands the path over as latin-1 text of the raw bytes.
        with contextlib.suppress(UnicodeEncodeError):  # not from a real server
            path = path.encode("latin-1").decode("utf-8", "replace")
    return "/" + path.lstrip("/")


def _address_chain(environ: WSGIEnvironment) -> list[str]:
    """The X-Forwarded-For addresses, then the peer's.

    Behind an outer ProxyFix, ``REMOTE_ADDR`` holds the client already: the
    peer is the one ProxyFix recorded as the original.
    """
    chain = []
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        chain = [address for address in (part.strip() for part in forwarded.split(",")) if address]
    original = environ.get("werkzeug.proxy_fix.orig")
    peer = original.get("REMOTE_ADDR") if isinstance(original, dict) else environ.get("REMOTE_ADDR")
    if peer:
        chain.append(peer)
    return chain


def _decoded_query(environ: WSGIEnvironment) -> str:
    # WSGI hands the query string over as latin-1 text of the raw bytes.
    raw = environ.get("QUERY_STRING", "")
    return unquote(raw.encode("latin-1", "replace").decode("utf-8", "replace"), errors="replace")


def _as_record_extra(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` for ``extra=``: a name a LogRecord uses itself gets a trailing ``_``."""
    if _RECORD_ATTRS.isdisjoint(fields):
        return fields
    return {f"{name}_" if name in _RECORD_ATTRS else name: value for name, value in fields.items()}


def _text_of(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # an exception whose __str__ raises
        return f"<{type(exc).__qualname__} whose str() failed>"


def _report_logging_failure() -> None:
    """Tell stderr that writing a summary failed, as ``Handler.handleError`` does.

    A handler or filter that raises instead of calling ``handleError`` must not
    turn the request it describes into a 500.
    """
    if logging.raiseExceptions and sys.stderr:
        sys.stderr.write("--- dockerflow: writing a request.summary record failed ---\n")
        traceback.print_exc(file=sys.stderr)
