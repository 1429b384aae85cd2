"""One request's path through the extension: its id, its echo header, its ``request.summary``.

:class:`RequestPath` wraps the app's ``wsgi_app`` and adds three Flask hooks:

- On arrival it takes the request id (one an outer layer put in the environ
  under :data:`REQUEST_ID_ENVIRON_KEY`, else the client's header when it is
  safe, else a new one) and the trace of a valid ``traceparent`` or
  ``X-Cloud-Trace-Context`` header. It sets both in a context of the
  request's own (``contextvars.copy_context()``), where the app and its body
  run, and copies the environ as it arrived: inner middleware such as
  ProxyFix or DispatcherMiddleware rewrites it later.
- ``before_request`` sets ``g.request_id``, ``g._request_id`` and
  ``g._start_timestamp``; ``got_request_exception`` notes an unhandled
  exception.
- The ``start_response`` it hands on adds the echo header, and once the
  server has taken the status, writes the summary. Flask calls it inside the
  request context, after every ``after_request`` function and before any
  teardown function: log filters, OpenTelemetry's span and Sentry's scope
  still see the request, and ``code`` is the status the client gets.
- An exception Flask re-raises (``PROPAGATE_EXCEPTIONS``, testing or debug
  mode) gets its summary from ``got_request_exception`` already, since no
  response will start; a ``BaseException`` (``KeyboardInterrupt``, a
  cancelled task), which Flask does not signal, from the wrapper as it
  passes through, with the default fields.
- A request dispatched without the wrapper (python-dockerflow's tests push
  ``test_request_context()`` and call ``process_response()``) is summarised
  by ``after_request``, or by ``got_request_exception`` for an exception.

A request no Flask view of this app answers (a WSGI app mounted inside ours)
is summarised with the default fields when its ``start_response`` comes, when
it raises, or at the latest when its body is closed.
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
    JsonLogFormatter,
    TraceContext,
    get_or_generate_request_id,
    parse_trace_headers,
    request_id_context,
    request_id_from,
    trace_context,
)
from flask import Response, current_app, g, got_request_exception, has_request_context, request

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from flask import Flask

    from ._config import DockerflowConfig
    from ._extension import Dockerflow

__all__ = [
    "REQUEST_ID_ENVIRON_KEY",
    "RequestPath",
    "current_request_id",
    "current_request_scope",
    "flask_login_user_id",
]

#: The WSGI environ key of the request's id: an outer layer (another
#: Dockerflow app, a middleware) that sets it has its id reused.
REQUEST_ID_ENVIRON_KEY = "dockerflow.request_id"
# Marks a request summarised without the wrapper, so that it is summarised once.
_SUMMARISED_WITHOUT_WRAPPER = "dockerflow.summarised_without_wrapper"
#: What ``DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS = False`` leaves out of the
#: summary, whatever the method.
HEALTH_PATHS = frozenset({"/__version__", "/__heartbeat__", "/__lbheartbeat__"})

# A LogRecord's own attributes: ``extra=`` may not use their names, and the
# formatter leaves them out of ``Fields``.
_RECORD_ATTRS = JsonLogFormatter.EXCLUDED_LOGRECORD_ATTRS

# The request the innermost Dockerflow app is handling, in its own context.
_current_scope: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "dockerflow_request", default=None
)


class RequestScope:
    """One request as the summary reports it, each fact taken where it is true."""

    __slots__ = (
        "code",
        "environ",
        "exception",
        "log_querystring",
        "request_id",
        "started",
        "summarised",
        "trace",
        "written",
    )

    def __init__(
        self,
        environ: WSGIEnvironment,
        request_id: str,
        *,
        log_querystring: bool = False,
        trace: TraceContext | None = None,
        summarised: bool = True,
    ) -> None:
        self.started = time.perf_counter()
        self.environ = environ.copy()
        """The environ as the request arrived."""
        self.request_id = request_id
        self.log_querystring = log_querystring
        self.trace = trace
        self.code: int | None = None
        """The status sent; None before ``start_response``."""
        self.exception: BaseException | None = None
        """The unhandled exception the request ended with, if any: the record is an ERROR."""
        self.summarised = summarised
        """False for a health endpoint left out of the summary (an error is still logged)."""
        self.written = False

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
        if self.trace is not None:
            fields["trace_id"] = self.trace.trace_id
            fields["span_id"] = self.trace.span_id
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
    return RequestScope(request.environ, current_request_id())


class RequestPath:
    """The request id and ``request.summary`` of every request to ``app``.

    ``extension`` gives the summary's fields (``summary_extra()``) and the
    loggers, looked up for each request as python-dockerflow did.
    """

    def __init__(self, app: Flask, config: DockerflowConfig, extension: Dockerflow) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.header_name = config.request_id_header_name
        self.header_key = _environ_key(self.header_name)
        self.log_querystring = config.summary_log_querystring
        self.summarise_health_endpoints = config.summary_log_health_endpoints
        self.read_trace_context = config.trace_context
        self.extension = extension
        app.wsgi_app = self  # type: ignore[method-assign]
        app.before_request(self._before_request)
        app.after_request(self._after_request)
        got_request_exception.connect(self._note_exception, app)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = environ.get(REQUEST_ID_ENVIRON_KEY)
        if not isinstance(request_id, str):
            request_id = request_id_from(environ.get(self.header_key))
            environ[REQUEST_ID_ENVIRON_KEY] = request_id
        trace = None
        if self.read_trace_context:
            trace = parse_trace_headers(
                environ.get("HTTP_TRACEPARENT"), environ.get("HTTP_X_CLOUD_TRACE_CONTEXT")
            )
        scope = RequestScope(
            environ,
            request_id,
            log_querystring=self.log_querystring,
            trace=trace,
            summarised=self.summarise_health_endpoints or _path(environ) not in HEALTH_PATHS,
        )

        def start_response_with_id(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: tuple[type[BaseException], BaseException, TracebackType]
            | tuple[None, None, None]
            | None = None,
        ) -> Callable[[bytes], object]:
            scope.code = _status_code(status)
            headers = _with_echo_header(headers, self.header_name, request_id)
            try:
                write = start_response(status, headers, exc_info)
            except BaseException as exc:  # the server refused it and answers 500
                scope.exception, scope.code = exc, 500
                self.write_summary(scope)
                raise
            self.write_summary(scope)
            return write

        # The app and each call on its body run in this context: its
        # variables are set once, and never leak into the server's.
        context = contextvars.copy_context()
        context.run(_enter_request, scope)
        try:
            body = context.run(self.wsgi_app, environ, start_response_with_id)
        except BaseException as exc:
            if not scope.written:  # a BaseException, or an app mounted inside raised
                scope.exception = exc
                scope.code = scope.code or 500
                context.run(self.write_summary, scope)
            raise
        if scope.written and _is_server_file(body, environ):
            return body  # the server may send it with sendfile(); it runs no app code
        return _BodyInContext(body, context, lambda: self.write_summary(scope))

    def write_summary(self, scope: RequestScope) -> None:
        """Hand ``scope``'s summary record to the ``request.summary`` logger, once.

        A handler or filter that raises is reported on stderr and never
        breaks the request.
        """
        if scope.written:
            return
        scope.written = True
        exc = scope.exception
        level = logging.INFO if exc is None else logging.ERROR
        summary_logger = self.extension.summary_logger
        if (exc is None and not scope.summarised) or not summary_logger.isEnabledFor(level):
            return
        try:
            record = summary_logger.makeRecord(
                summary_logger.name,
                level,
                __file__,
                0,
                "" if exc is None else _text_of(exc),
                (),
                None,  # Flask has logged the traceback already
                "write_summary",
            )
            # What makeRecord's extra= does, after its per-key check of the
            # record's own names: _as_record_extra renames those.
            vars(record).update(_as_record_extra(self._summary_fields(scope)))
            summary_logger.handle(record)
        except Exception:
            _report_logging_failure()

    def _summary_fields(self, scope: RequestScope) -> dict[str, Any]:
        """``summary_extra()`` inside this app's request context, else the default fields."""
        if not has_request_context() or _current_flask_app() is not self.app:
            return scope.summary_fields()
        try:
            fields = self.extension.summary_extra()
            if not isinstance(fields, dict):
                raise TypeError(f"summary_extra() returned a {type(fields).__name__}, not a dict")
        except Exception:
            self.extension.logger.exception(
                "summary_extra() failed: the summary has the default fields"
            )
            return scope.summary_fields()
        return fields

    def _before_request(self) -> None:
        current_request_id(self.header_name)
        g._start_timestamp = time.time()

    def _after_request(self, response: Response) -> Response:
        if _current_scope.get() is None and _SUMMARISED_WITHOUT_WRAPPER not in request.environ:
            self._summarise_without_wrapper(response.status_code)
        return response

    def _note_exception(self, sender: Flask, exception: BaseException, **extra: Any) -> None:
        scope = _own_scope()
        if scope is None:
            if _current_scope.get() is None:
                self._summarise_without_wrapper(500, exception)
            return
        scope.exception = exception
        if _propagates(sender):  # Flask re-raises it: no response will start
            scope.code = 500
            self.write_summary(scope)

    def _summarise_without_wrapper(self, code: int, exception: BaseException | None = None) -> None:
        """The summary of a request dispatched inside ``test_request_context()``, once."""
        request.environ[_SUMMARISED_WITHOUT_WRAPPER] = True
        scope = RequestScope(
            request.environ,
            current_request_id(self.header_name),
            log_querystring=self.log_querystring,
            summarised=self.summarise_health_endpoints or request.path not in HEALTH_PATHS,
        )
        scope.code, scope.exception = code, exception
        token = _current_scope.set(scope)  # what summary_extra() reports
        try:
            self.write_summary(scope)
        finally:
            _current_scope.reset(token)


def current_request_id(header_name: str | None = None) -> str:
    """This request's id, also put in ``g.request_id`` and python-dockerflow's ``g._request_id``.

    The id set on arrival, else (dispatched without the WSGI wrapper) the safe
    ``header_name`` header or a new id, kept in the environ for the request's
    later calls. A ``g.request_id`` the app set earlier is kept; one left by
    an earlier request in an app context both share (a test pushing
    ``app.app_context()`` around its client) is replaced.
    """
    scope = _current_scope.get()
    request_id = request.environ.get(REQUEST_ID_ENVIRON_KEY) if scope is None else scope.request_id
    if not isinstance(request_id, str):
        request_id = get_or_generate_request_id(request.headers, header_name)
        request.environ[REQUEST_ID_ENVIRON_KEY] = request_id
    namespace = g._get_current_object()  # one proxy lookup, not four
    current = namespace.get("request_id")
    if current is None or current == namespace.get("_request_id"):
        namespace.request_id = request_id
    namespace._request_id = request_id
    return request_id


def flask_login_user_id(logger: logging.Logger) -> str:
    """The id of Flask-Login's current user, or "" (never imports Flask-Login).

    A user that fails to load (a broken database session after an error) is
    logged at DEBUG on ``logger`` and gives "": the summary is still written.
    """
    flask_login = sys.modules.get("flask_login")
    if flask_login is None or not has_request_context():
        return ""
    # Not current_app.login_manager: a missing attribute on the proxy raises
    # and catches an AttributeError, as costly as all the summary fields.
    if getattr(_current_flask_app(), "login_manager", None) is None:
        return ""
    try:
        user = flask_login.current_user
        if not user.is_authenticated:
            return ""
        user_id = user.get_id()
    except Exception:
        logger.debug("Could not read the current user id", exc_info=True)
        return ""
    return "" if user_id is None else str(user_id)


def _own_scope() -> RequestScope | None:
    """The wrapper's scope when the request context is the request it wraps.

    Not for a ``test_request_context()`` a view pushes for other work (to
    render an e-mail, say): its environ is not the request's.
    """
    scope = _current_scope.get()
    if scope is None or request.environ.get(REQUEST_ID_ENVIRON_KEY) != scope.request_id:
        return None
    return scope


def _propagates(app: Flask) -> bool:
    """Whether Flask re-raises an unhandled exception instead of answering 500 (its own rule)."""
    propagate = app.config.get("PROPAGATE_EXCEPTIONS")
    return bool(app.testing or app.debug) if propagate is None else bool(propagate)


def _current_flask_app() -> Flask:
    """The app behind ``flask.current_app`` (the proxy is typed as the app itself)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def _enter_request(scope: RequestScope) -> None:
    """Set the request's variables, in the request's own context."""
    request_id_context.set(scope.request_id)
    if scope.trace is not None:
        trace_context.set(scope.trace)
    _current_scope.set(scope)


class _BodyInContext:
    """The response body, iterated and closed in the request's context."""

    def __init__(
        self, body: Iterable[bytes], context: contextvars.Context, on_close: Callable[[], None]
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
            self.context.run(self.on_close)  # an app that never called start_response


def _is_server_file(body: Iterable[bytes], environ: WSGIEnvironment) -> bool:
    """Whether ``body`` is what the server's ``wsgi.file_wrapper`` made of a file.

    gunicorn's wrapper is a class; uWSGI's is a function returning the file,
    which it then sends with sendfile() when the app returns it unwrapped.
    """
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is None:
        return False
    if isinstance(wrapper, type):
        return isinstance(body, wrapper)
    return hasattr(body, "fileno")


def _environ_key(header_name: str) -> str:
    """The WSGI environ key of a header: ``HTTP_X_REQUEST_ID`` for ``X-Request-ID``."""
    key = header_name.upper().replace("-", "_")
    return key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"


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
