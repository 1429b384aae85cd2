"""``flask.g.request_id``, set by the app's ``g`` class instead of a request hook.

Flask makes a new ``g`` for each app context, which a request pushes after
the extension's WSGI wrapper has set ``request_id_context``: a ``g`` class
that copies the id at creation costs far less than a ``before_request`` hook,
which Flask dispatches on every request. An id the app sets later replaces
it, as any attribute of ``g``. When ``g`` was made before the request (an app
context pushed around a test client, or a request dispatched without the
wrapper), reading ``g.request_id`` gives the current request's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from dockerflow.logging import request_id_context
from flask import has_request_context, request

from ._request_id import REQUEST_ID_ENVIRON_KEY, request_id_from_environ

if TYPE_CHECKING:
    from flask import Flask
    from flask.ctx import _AppCtxGlobals

__all__ = ["RequestIdGlobals", "globals_class_with_request_id"]


class RequestIdGlobals:
    """Mixed into an app's ``app_ctx_globals_class`` to give ``g`` its ``request_id``."""

    #: The WSGI environ key of the app's request id header.
    request_id_environ_key = "HTTP_X_REQUEST_ID"

    def __init__(self) -> None:
        super().__init__()
        request_id = request_id_context.get()
        if request_id is not None:
            self.request_id = request_id

    def __getattr__(self, name: str) -> Any:
        # Only called for names ``g`` does not hold.
        if name == "request_id":
            request_id = self._current_request_id()
            if request_id is not None:
                return request_id
        fallback = getattr(super(), "__getattr__", None)
        if fallback is None:
            raise AttributeError(name)
        return fallback(name)

    def get(self, name: str, default: Any = None) -> Any:
        """``g.get`` that also sees the request id read through ``__getattr__``."""
        if name == "request_id" and name not in self.__dict__:
            request_id = self._current_request_id()
            return default if request_id is None else request_id
        return super().get(name, default)  # type: ignore[misc]

    def __contains__(self, name: str) -> bool:
        if name == "request_id" and name not in self.__dict__:
            return self._current_request_id() is not None
        return bool(super().__contains__(name))  # type: ignore[misc]

    def _current_request_id(self) -> str | None:
        request_id = request_id_context.get()
        if request_id is not None or not has_request_context():
            return request_id
        # Dispatched without the WSGI wrapper (full_dispatch_request): read
        # or make the id once, and keep it where the next read finds it.
        environ = request.environ
        request_id = environ.get(REQUEST_ID_ENVIRON_KEY)
        if not isinstance(request_id, str):
            request_id = request_id_from_environ(environ, self.request_id_environ_key)
            environ[REQUEST_ID_ENVIRON_KEY] = request_id
        return request_id


def globals_class_with_request_id(app: Flask, environ_key: str) -> type[_AppCtxGlobals]:
    """``app.app_ctx_globals_class`` with :class:`RequestIdGlobals` mixed in."""
    base = app.app_ctx_globals_class
    installed_key = getattr(base, "request_id_environ_key", None)
    if issubclass(base, RequestIdGlobals) and installed_key == environ_key:
        return base
    # A class that has the mixin already (for another header) is subclassed as it is.
    bases = (base,) if issubclass(base, RequestIdGlobals) else (RequestIdGlobals, base)
    namespace = {"request_id_environ_key": environ_key, "__module__": __name__}
    return cast("type[_AppCtxGlobals]", type(f"{base.__name__}WithRequestId", bases, namespace))
