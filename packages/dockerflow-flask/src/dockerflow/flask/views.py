"""The Dockerflow endpoints, in one blueprint named ``dockerflow`` per app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockerflow.version import VersionFileError
from flask import Blueprint, Response, jsonify

from .signals import heartbeat_failed, heartbeat_passed

if TYPE_CHECKING:
    from .state import DockerflowState

__all__ = ["HEALTH_ENDPOINTS", "ErrorEndpointCalled", "make_blueprint"]

BLUEPRINT_NAME = "dockerflow"
HEALTH_ENDPOINTS = frozenset(
    f"{BLUEPRINT_NAME}.{name}" for name in ("version", "heartbeat", "lbheartbeat")
)

logger = logging.getLogger("dockerflow.flask")


class ErrorEndpointCalled(Exception):
    """Raised by ``/__error__`` to test the app's error reporting."""


def make_blueprint(state: DockerflowState) -> Blueprint:
    """The blueprint serving ``state``'s app; ``/__error__`` only when enabled."""
    blueprint = Blueprint(BLUEPRINT_NAME, __name__)
    response_class = state.app.response_class

    def version() -> Response:
        """The build's ``version.json``; 404 without one, 500 when it is broken."""
        try:
            payload = state.load_version()
        except VersionFileError as exc:
            logger.error("Cannot serve /__version__: %s", exc)
            response = jsonify(error="version.json could not be read")
            response.status_code = 500
        else:
            if payload is None:
                response = response_class("version.json not found", 404, mimetype="text/plain")
            else:
                response = jsonify(payload)
        response.headers["Cache-Control"] = "no-store"
        return response

    def heartbeat() -> Response:
        """Run the checks; 200 below the fail level, the failed status code above."""
        result = state.run_heartbeat()
        signal = heartbeat_passed if result.passed else heartbeat_failed
        signal.send(state.app, level=result.level)
        response = jsonify(result.payload)
        response.status_code = result.status_code
        response.headers["Cache-Control"] = "no-store"
        return response

    def lbheartbeat() -> Response:
        """Answer 200 without touching any backing service."""
        return response_class("", 200, {"Cache-Control": "no-store"})

    def error() -> Response:
        """Log an error and raise, to check that errors reach the logs and trackers."""
        logger.error("The /__error__ endpoint was called")
        raise ErrorEndpointCalled("This is a test exception from the /__error__ endpoint.")

    blueprint.add_url_rule("/__version__", "version", version)
    blueprint.add_url_rule("/__heartbeat__", "heartbeat", heartbeat)
    blueprint.add_url_rule("/__lbheartbeat__", "lbheartbeat", lbheartbeat)
    if state.config.enable_error_endpoint:
        blueprint.add_url_rule("/__error__", "error", error)
    return blueprint
