"""Per-request work: request id, timing, ``request.summary``, echo header.

Most of it happens in :class:`RequestMiddleware`, which wraps the app's
``wsgi_app``: it reads or makes the request id and sets it in
``request_id_context`` before Flask sees the request, adds the id to the
response headers in ``start_response``, writes the summary once Flask has
answered, and resets the context last. So every log record of the request,
``teardown_request`` hooks included, can carry the id. A WSGI wrapper costs a
fraction of what Flask's hook lists cost per request, so the extension adds
no ``before_request`` or ``after_request`` hook: ``flask.g.request_id`` comes
from the app's ``g`` class (:mod:`.app_globals`), Flask-Login's user id from
the ``request_finished`` signal (only in apps with a login manager) and
unhandled exceptions from the ``got_request_exception`` signal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, cast

from dockerflow.logging import request_id_context
from flask import got_request_exception, request, request_finished

from ._app_globals import globals_class_with_request_id
from ._request_id import (
    REQUEST_ID_ENVIRON_KEY,
    environ_key,
    request_id_from_environ,
)
from ._summary import RequestSummary, flask_login_user_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from flask import Flask, Request, Response

    from ._state import DockerflowState

__all__ = [
    "REQUEST_ID_ENVIRON_KEY",
    "RequestMiddleware",
    "install_request_hooks",
    "leave_out_of_summary",
]

_SCOPE_ENVIRON_KEY = "dockerflow.request_scope"
_STATUS_CACHE_SIZE = 64


class _RequestScope:
    """One request's state, handed between the middleware, views and receivers.

    Its :meth:`start_response` is what the app behind the middleware calls:
    it notes the status and sends the headers on with the echo header.
    """

    __slots__ = (
        "header_name",
        "logged",
        "request_id",
        "server_start_response",
        "started",
        "status",
        "summarise",
        "user_id",
    )

    def __init__(
        self, started: float, request_id: str, header_name: str, start_response: StartResponse
    ) -> None:
        self.started = started
        self.request_id = request_id
        self.header_name = header_name
        self.server_start_response = start_response
        self.status: str | None = None
        self.summarise = True  # False: no INFO record (an error is still logged)
        self.logged = False
        self.user_id = ""

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: tuple[type[BaseException], BaseException, TracebackType]
        | tuple[None, None, None]
        | None = None,
    ) -> Callable[[bytes], object]:
        """Send ``headers`` with the echo header (replacing one of that name, in any case)."""
        self.status = status
        name = self.header_name
        lowered = name.lower()
        for key, _ in headers:
            if key.lower() == lowered:
                headers = [item for item in headers if item[0].lower() != lowered]
                break
        else:
            if type(headers) is not list:
                headers = list(headers)
        headers.append((name, self.request_id))
        return self.server_start_response(status, headers, exc_info)


def leave_out_of_summary(environ: WSGIEnvironment) -> None:
    """Write no ``request.summary`` record for the request of ``environ``."""
    scope = environ.get(_SCOPE_ENVIRON_KEY)
    if scope is not None:
        scope.summarise = False


class RequestMiddleware:
    """Wraps a Flask app's ``wsgi_app`` with the request id and the summary.

    It also keeps the app's ``g`` class the one that sets ``g.request_id``
    (when the app replaces it, the new class gets the same addition) and, once
    the app has a Flask-Login login manager, records the user id of each request.
    """

    def __init__(self, app: Flask, header_name: str, summary: RequestSummary) -> None:
        self.app = app
        self.wsgi_app: WSGIApplication = app.wsgi_app
        self.header_name = header_name
        self.header_key = environ_key(header_name)
        self.summary = summary
        # "200 OK" -> 200: looking the status line up costs less than parsing it.
        self.status_codes: dict[str, int] = {}
        self.globals_class = self._install_globals_class()
        # Flask-Login can be set up after the extension: watched for until then.
        self.app_attributes = vars(app)
        self.awaiting_login_manager = True
        if getattr(app, "login_manager", None) is not None:
            self._record_user_ids()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        if self.app.app_ctx_globals_class is not self.globals_class:
            self.globals_class = self._install_globals_class()
        if self.awaiting_login_manager and "login_manager" in self.app_attributes:
            self._record_user_ids()
        request_id = request_id_from_environ(environ, self.header_key)
        scope = _RequestScope(started, request_id, self.header_name, start_response)
        environ[REQUEST_ID_ENVIRON_KEY] = request_id
        environ[_SCOPE_ENVIRON_KEY] = scope
        token = request_id_context.set(request_id)
        try:
            body = self.wsgi_app(environ, scope.start_response)
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
                return _SummaryOnClose(body, self, environ, scope)
            self.write_summary(environ, scope)
            return body
        finally:
            try:
                request_id_context.reset(token)
            except ValueError:
                # The token came from another context (a server that
                # switches contexts): clear the id rather than leak it.
                request_id_context.set(None)

    def write_summary(self, environ: WSGIEnvironment, scope: _RequestScope) -> None:
        """Write the INFO record of ``scope``'s request, unless left out or logged already."""
        if scope.summarise and not scope.logged:
            scope.logged = True
            status = scope.status
            if status is None:  # the app never called start_response
                code = 0
            else:
                known = self.status_codes.get(status)
                code = self._parse_status(status) if known is None else known
            self.summary.log_response(environ, code, scope.started, scope.request_id, scope.user_id)

    def _parse_status(self, status: str) -> int:
        try:
            code = int(status[:3])
        except ValueError:
            code = 0
        if len(self.status_codes) < _STATUS_CACHE_SIZE:
            self.status_codes[status] = code
        return code

    def _install_globals_class(self) -> type[Any]:
        app = self.app
        app.app_ctx_globals_class = globals_class_with_request_id(app, self.header_key)
        return app.app_ctx_globals_class

    def _record_user_ids(self) -> None:
        self.awaiting_login_manager = False
        # blinker holds the bound method weakly; it lives as long as this wrapper.
        request_finished.connect(self._record_user_id, sender=self.app)

    def _record_user_id(self, sender: Flask, response: Response, **extra: Any) -> None:
        scope = request.environ.get(_SCOPE_ENVIRON_KEY)
        if scope is not None:
            scope.user_id = flask_login_user_id()


class _SummaryOnClose:
    """A response body that writes the summary when the server closes it."""

    def __init__(
        self,
        body: Iterable[bytes],
        middleware: RequestMiddleware,
        environ: WSGIEnvironment,
        scope: _RequestScope,
    ) -> None:
        self.body = body
        self.middleware = middleware
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
            self.middleware.write_summary(self.environ, self.scope)


def install_request_hooks(app: Flask, state: DockerflowState) -> None:
    """Wrap ``app.wsgi_app`` and connect the signal receivers of ``state`` to ``app``."""
    config = state.config
    summary = RequestSummary(app, log_querystring=config.summary_log_querystring)
    # The proxy's own accessor: one context lookup instead of one per attribute.
    current_request: Callable[[], Request] = cast(Any, request)._get_current_object

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
        app, config.request_id_header_name, summary
    )
    # blinker keeps a weak reference only: the state (owned by the app) keeps
    # the closure alive, and the signal never keeps the app alive.
    state.signal_receivers.append(on_exception)
    got_request_exception.connect(on_exception, sender=app)
