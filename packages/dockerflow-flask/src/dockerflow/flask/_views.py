"""The Dockerflow endpoints, in one blueprint named ``dockerflow`` per app."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dockerflow.version import VersionFileError
from flask import Blueprint, Response, jsonify, request

from .signals import heartbeat_failed, heartbeat_passed

if TYPE_CHECKING:
    import logging

    from ._state import DockerflowState

__all__ = ["ErrorEndpointCalled", "make_blueprint"]

BLUEPRINT_NAME = "dockerflow"

# What a Server-Timing metric name may not hold: anything outside an HTTP token.
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9!#$%&'*+.^_`|~-]+")


class ErrorEndpointCalled(Exception):
    """Raised by ``/__error__`` to test the app's error reporting."""


def make_blueprint(state: DockerflowState, logger: logging.Logger) -> Blueprint:
    """The blueprint serving ``state``'s app; ``/__error__`` only when enabled.

    The views log on ``logger``, the extension's ``dockerflow.flask`` logger.
    """
    blueprint = Blueprint(BLUEPRINT_NAME, __name__)
    response_class = state.app.response_class
    # What response_class("") would say, worked out once.
    empty_content_type = response_class().content_type

    def version() -> Response:
        """The build's ``version.json``; 404 without one, 500 when it is broken."""
        try:
            payload = state.load_version()
        except VersionFileError as exc:
            logger.error("Cannot serve /__version__: %s", exc)
            response = version_error()
        except Exception:
            # A version_callback's own bug: its traceback goes to the log only.
            logger.exception("Cannot serve /__version__: the version callback raised")
            response = version_error()
        else:
            if payload is None:
                response = response_class("version.json not found", 404, mimetype="text/plain")
            else:
                try:
                    response = version_response(payload)
                except (TypeError, ValueError, RecursionError) as exc:
                    logger.error("Cannot serve /__version__: not encodable as JSON (%s)", exc)
                    response = version_error()
        response.headers["Cache-Control"] = "no-store"
        return response

    def version_error() -> Response:
        response = jsonify(error="version.json could not be read")
        response.status_code = 500
        return response

    # The last /__version__ body as jsonify encoded it, with what it was
    # encoded from: comparing the payload is cheaper than encoding it again.
    encoded_version: list[tuple[dict[str, Any], tuple[Any, bool], bytes, str]] = []

    def version_response(payload: dict[str, Any]) -> Response:
        app = state.app
        encoding = (app.json, app.debug)  # jsonify indents in debug mode
        if not encoded_version or encoded_version[0][:2] != (payload, encoding):
            model = jsonify(payload)
            encoded_version[:] = [(payload, encoding, model.get_data(), model.content_type)]
        body, content_type = encoded_version[0][2:]
        return response_class(body, content_type=content_type)

    def heartbeat() -> Response:
        """Run the checks; 200 below the fail level, the failed status code above."""
        access = state.config.heartbeat_details_access
        details = access.allows(request.headers, request.remote_addr)
        result = state.run_heartbeat(details=details)
        signal = heartbeat_passed if result.passed else heartbeat_failed
        try:
            signal.send(state.app, level=result.level)
        except Exception:  # a metrics client whose backend is down, say
            logger.exception("A %s receiver raised; the heartbeat answers anyway", signal.name)
        response = jsonify(result.payload)
        response.status_code = result.status_code
        response.headers["Cache-Control"] = "no-store"
        if details and result.durations_ms:  # timings are details too
            response.headers["Server-Timing"] = ", ".join(
                f"{_NOT_TOKEN.sub('_', name) or '_'};dur={ms}"
                for name, ms in result.durations_ms.items()
            )
        return response

    def lbheartbeat() -> Response:
        """Answer 200 without touching any backing service."""
        response = response_class(b"", content_type=empty_content_type)
        response.headers["Cache-Control"] = "no-store"
        return response

    def error() -> Response:
        """Log an error and raise, to check that errors reach the logs and trackers."""
        logger.error("The __error__ endpoint was called")
        raise ErrorEndpointCalled("This is a test exception from the /__error__ endpoint.")

    blueprint.add_url_rule("/__version__", "version", version)
    blueprint.add_url_rule("/__heartbeat__", "heartbeat", heartbeat)
    blueprint.add_url_rule("/__lbheartbeat__", "lbheartbeat", lbheartbeat)
    if state.config.enable_error_endpoint:
        blueprint.add_url_rule("/__error__", "error", error)
    return blueprint
