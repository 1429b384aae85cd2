"""python-dockerflow's module of the Flask extension: ``dockerflow.flask.app``.

Every public name python-dockerflow's module had imports from here. New code
imports from :mod:`dockerflow.flask`, :mod:`dockerflow.flask.checks` and
:mod:`dockerflow.flask.signals`.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import InternalServerError

import flask
from dockerflow.logging import get_or_generate_request_id, request_id_context

from ._extension import EXTENSION_NAME, Dockerflow
from ._request import current_request_id
from .checks import check_database_connected, check_migrations_applied, check_redis_connected
from .signals import heartbeat_failed, heartbeat_passed

__all__ = [
    "Dockerflow",
    "HeartbeatFailure",
    "check_database_connected",
    "check_migrations_applied",
    "check_redis_connected",
    "extract_request_id",
    "get_or_generate_request_id",
    "heartbeat_failed",
    "heartbeat_passed",
    "request_id_context",
]


class HeartbeatFailure(InternalServerError):
    """Kept so that imports of it keep working; the extension never raises it.

    python-dockerflow's heartbeat raised it to answer a failed heartbeat, so
    an ``app.errorhandler(HeartbeatFailure)`` could rewrite that answer. Here
    a failed heartbeat is an ordinary response with the status code
    ``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE``, and such an error handler is
    never called: connect to :data:`~dockerflow.flask.signals.heartbeat_failed`
    to act on a failure, or use an ``after_request`` hook to change the answer.
    """


def extract_request_id(request: Any = None) -> str:
    """Put the current request's id in ``request_id_context`` and ``flask.g``.

    The extension does this for every request before any view or hook runs,
    so in such a request it returns that id. Without the extension
    (or in a ``test_request_context()``, which it does not see) it reads the
    id from the ``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` header (``X-Request-ID``)
    or makes one, as python-dockerflow did, and the id stays in
    ``request_id_context`` until something resets it. ``g.request_id`` keeps
    a value the app set; ``g._request_id`` is set too, as python-dockerflow's
    function did. Call it inside a request context; ``request`` is accepted
    for compatibility and not used.
    """
    state = flask.current_app.extensions.get(EXTENSION_NAME)
    if state is None:
        header_name = flask.current_app.config.get("DOCKERFLOW_REQUEST_ID_HEADER_NAME")
    else:
        header_name = state.config.request_id_header_name
    request_id = current_request_id(header_name)
    if request_id_context.get() != request_id:
        request_id_context.set(request_id)
    return request_id
