"""Per-request work: request id, timing, ``request.summary``, echo header.

Most of it happens in :class:`RequestMiddleware`, which wraps the app's
``wsgi_app``: it reads or makes the request id and sets it in
``request_id_context`` before Flask sees the request, adds the id to the
response headers in ``start_response``, writes the summary once Flask has
answered, and resets the context last. So every log record of the request,
``teardown_request`` hooks included, can carry the id. A WSGI wrapper costs a
fraction of what Flask's hook lists cost per request; Flask hooks are used
only for what needs the request context: ``flask.g.request_id`` (a
``before_request`` hook, put first so later hooks see it), Flask-Login's user
id (only in apps with a login manager) and unhandled exceptions (the
``got_request_exception`` signal).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, cast

from dockerflow.logging import request_id_context
from flask import after_this_request, g, got_request_exception, request

from .request_id import end_request_id, environ_key, request_id_from_environ
from .summary import RequestSummary, flask_login_user_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flask import Flask, Request, Response
    from flask.ctx import _AppCtxGlobals

    from .state import DockerflowState

__all__ = [
    "REQUEST_ID_ENVIRON_KEY",
    "RequestMiddleware",
    "install_request_hooks",
    "leave_out_of_summary",
]

#: The WSGI environ key holding the request's id, for code outside Flask.
REQUEST_ID_ENVIRON_KEY = "dockerflow.request_id"
_SCOPE_ENVIRON_KEY = "dockerflow.request_scope"


class _RequestScope:
    """What the middleware and the hooks of one request hand to each other."""

    __slots__ = ("logged", "request_id", "started", "status", "summarise", "user_id")

    def __init__(self, started: float, request_id: str) -> None:
        self.started = started
        self.request_id = request_id
        self.status: str | None = None
        self.summarise = True  # False: no INFO record (an error is still logged)
        self.logged = False
        self.user_id = ""


def leave_out_of_summary(environ: WSGIEnvironment) -> None:
    """Write no ``request.summary`` record for the request of ``environ``."""
    scope = environ.get(_SCOPE_ENVIRON_KEY)
    if scope is not None:
        scope.summarise = False


class RequestMiddleware:
    """Wraps a Flask app's ``wsgi_app`` with the request id and the summary."""

    def __init__(
        self, wsgi_app: WSGIApplication, header_name: str, summary: RequestSummary
    ) -> None:
        self.wsgi_app = wsgi_app
        self.header_name = header_name
        self.header_key = environ_key(header_name)
        self.summary = summary

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_from_environ(environ, self.header_key)
        scope = _RequestScope(started, request_id)
        environ[REQUEST_ID_ENVIRON_KEY] = request_id
        environ[_SCOPE_ENVIRON_KEY] = scope
        token = request_id_context.set(request_id)
        header_name = self.header_name

        def start_response_with_id(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: tuple[type[BaseException], BaseException, TracebackType]
            | tuple[None, None, None]
            | None = None,
        ) -> Callable[[bytes], object]:
            scope.status = status
            headers = _without_header(headers, header_name)
            headers.append((header_name, request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.wsgi_app(environ, start_response_with_id)
        except Exception as exc:
            # Flask let it through (PROPAGATE_EXCEPTIONS): the signal receiver
            # logged it already, unless it came from outside a request context.
            if not scope.logged:
                scope.logged = True
                self.summary.log_exception(environ, exc, started, request_id, scope.user_id)
            raise
        else:
            if scope.status is None:
                # Something inside defers start_response to the first chunk.
                return _SummaryOnClose(body, self.summary, environ, scope)
            _write_summary(self.summary, environ, scope)
            return body
        finally:
            end_request_id(token)


class _SummaryOnClose:
    """A response body that writes the summary when the server closes it."""

    def __init__(
        self,
        body: Iterable[bytes],
        summary: RequestSummary,
        environ: WSGIEnvironment,
        scope: _RequestScope,
    ) -> None:
        self.body = body
        self.summary = summary
        self.environ = environ
        self.scope = scope

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            _write_summary(self.summary, self.environ, self.scope)


def _write_summary(summary: RequestSummary, environ: WSGIEnvironment, scope: _RequestScope) -> None:
    """Write the INFO record of ``scope``'s request, unless left out or logged already."""
    if scope.summarise and not scope.logged:
        scope.logged = True
        status = 0 if scope.status is None else _status_code(scope.status)
        summary.log_response(environ, status, scope.started, scope.request_id, scope.user_id)


def install_request_hooks(app: Flask, state: DockerflowState) -> None:
    """Wrap ``app.wsgi_app`` and attach the request hooks of ``state`` to ``app``."""
    config = state.config
    header_key = environ_key(config.request_id_header_name)
    summary = RequestSummary(app, log_querystring=config.summary_log_querystring)
    # The proxies' own accessors: one context lookup each instead of one per
    # attribute read through the proxy.
    current_request: Callable[[], Request] = cast(Any, request)._get_current_object
    current_g: Callable[[], _AppCtxGlobals] = cast(Any, g)._get_current_object

    def record_user(response: Response) -> Response:
        scope = current_request().environ.get(_SCOPE_ENVIRON_KEY)
        if scope is not None:
            scope.user_id = flask_login_user_id()
        return response

    def before_request() -> None:
        environ = current_request().environ
        scope = environ.get(_SCOPE_ENVIRON_KEY)
        if scope is None:  # dispatched without the middleware (full_dispatch_request)
            request_id = request_id_from_environ(environ, header_key)
        else:
            request_id = scope.request_id
            if getattr(app, "login_manager", None) is not None:
                after_this_request(record_user)
        globals_ = current_g()
        if "request_id" not in globals_:
            globals_.request_id = request_id

    def on_exception(sender: Flask, exception: BaseException, **extra: Any) -> None:
        environ = current_request().environ
        scope = environ.get(_SCOPE_ENVIRON_KEY)
        if scope is None or scope.logged:
            return
        scope.logged = True
        summary.log_exception(
            environ, exception, scope.started, scope.request_id, summary.user_id()
        )

    app.wsgi_app = RequestMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, config.request_id_header_name, summary
    )
    app.before_request_funcs.setdefault(None, []).insert(0, before_request)
    # blinker keeps a weak reference only: the state (owned by the app) keeps
    # the closure alive, and the signal never keeps the app alive.
    state.signal_receivers.append(on_exception)
    got_request_exception.connect(on_exception, sender=app)


def _without_header(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """``headers`` as a list without ``name`` (any case); the same list when it has none."""
    lowered = name.lower()
    for key, _ in headers:
        if key.lower() == lowered:
            return [item for item in headers if item[0].lower() != lowered]
    return headers if type(headers) is list else list(headers)


def _status_code(status: str) -> int:
    try:
        return int(status[:3])
    except ValueError:
        return 0
