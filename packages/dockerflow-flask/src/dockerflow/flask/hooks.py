"""The per-request hooks: request id, timing, ``request.summary``, echo header.

Everything that can be decided once is decided in :func:`install_request_hooks`;
the hooks themselves do only per-request work. They are put first in the app's
``before_request`` list (so every later hook logs with the request id) and
first in its ``after_request`` list, which Flask runs last (so the summary
sees the final status).
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Callable, cast

from dockerflow.logging import request_id_context
from flask import g, got_request_exception, request

from .request_id import end_request_id, environ_key, request_id_from_environ
from .summary import RequestSummary
from .views import HEALTH_ENDPOINTS

if TYPE_CHECKING:
    from flask import Flask, Request, Response
    from flask.ctx import _AppCtxGlobals

    from .state import DockerflowState

__all__ = ["install_request_hooks"]


class _RequestScope:
    """What the hooks of one request hand to each other."""

    __slots__ = ("logged", "request_id", "started", "token")

    def __init__(self, started: float, request_id: str, token: Token[str | None]) -> None:
        self.started = started
        self.request_id = request_id
        self.token = token
        self.logged = False


def install_request_hooks(app: Flask, state: DockerflowState) -> None:
    """Attach the request hooks of ``state`` to ``app``."""
    config = state.config
    header_name = config.request_id_header_name
    header_key = environ_key(header_name)
    summary = RequestSummary(app, log_querystring=config.summary_log_querystring)
    log_health_endpoints = config.summary_log_health_endpoints
    # Per app, so two apps serving in one thread never see each other's scope.
    current_scope: ContextVar[_RequestScope | None] = ContextVar(
        "dockerflow_request_scope", default=None
    )
    get_scope = current_scope.get
    set_scope = current_scope.set
    set_request_id = request_id_context.set
    perf_counter = time.perf_counter
    # The proxies' own accessors: one context lookup each instead of one per
    # attribute read through the proxy.
    current_request: Callable[[], Request] = cast(Any, request)._get_current_object
    current_g: Callable[[], _AppCtxGlobals] = cast(Any, g)._get_current_object

    def before_request() -> None:
        started = perf_counter()
        request_id = request_id_from_environ(current_request().environ, header_key)
        token = set_request_id(request_id)
        globals_ = current_g()
        if "request_id" not in globals_:
            globals_.request_id = request_id
        set_scope(_RequestScope(started, request_id, token))

    def after_request(response: Response) -> Response:
        scope = get_scope()
        if scope is None:  # a url_value_preprocessor failed before our hook
            return response
        response.headers[header_name] = scope.request_id
        if not scope.logged:
            request_ = current_request()
            if log_health_endpoints or request_.endpoint not in HEALTH_ENDPOINTS:
                scope.logged = True
                summary.log_response(
                    request_, response.status_code, scope.started, scope.request_id
                )
        return response

    def on_exception(sender: Flask, exception: BaseException, **extra: Any) -> None:
        scope = get_scope()
        if scope is None or scope.logged:
            return
        scope.logged = True
        summary.log_exception(current_request(), exception, scope.started, scope.request_id)

    def teardown_request(exc: BaseException | None) -> None:
        scope = get_scope()
        if scope is not None:
            set_scope(None)
            end_request_id(scope.token)

    app.before_request_funcs.setdefault(None, []).insert(0, before_request)
    app.after_request_funcs.setdefault(None, []).insert(0, after_request)
    app.teardown_request(teardown_request)
    # blinker keeps a weak reference only: the state (owned by the app) keeps
    # the closure alive, and the signal never keeps the app alive.
    state.signal_receivers.append(on_exception)
    got_request_exception.connect(on_exception, sender=app)
