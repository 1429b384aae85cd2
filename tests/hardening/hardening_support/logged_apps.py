"""A Flask app with Dockerflow whose log records go nowhere, and a handler that keeps lines.

Flask is imported inside :func:`logged_app`, never at module level.
"""

from __future__ import annotations

import logging
from typing import Any

#: The loggers the extension writes to: their records go to a null stream.
LOGGED = ("request.summary", "dockerflow.checks", "dockerflow.flask", "dockerflow.heartbeat")


class CollectingHandler(logging.Handler):
    """Keeps every formatted line (thread-safe through Handler's lock)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class NullStream:
    """A text stream that drops everything: logging's cost without the output."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def logged_app(name: str, **config: Any) -> Any:
    """A Flask app with Dockerflow, a plain ``/hello`` route and an ok check.

    The records of :data:`LOGGED` go through the mozlog formatter to a stream
    that drops them; call :func:`detach_summary_logging` afterwards.
    """
    from flask import Flask

    from dockerflow.flask import Dockerflow
    from dockerflow.logging import JsonLogFormatter, RequestIdLogFilter

    app = Flask(name)
    app.config.update(config)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def always_ok() -> list[Any]:
        return []

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    handler = logging.StreamHandler(NullStream())  # type: ignore[arg-type]
    handler.setFormatter(JsonLogFormatter(logger_name=name))
    handler.addFilter(RequestIdLogFilter())
    for logger_name in LOGGED:
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # pytest's log capture on the root logger would keep every record.
        logger.propagate = False
    app.extensions["hardening.handler"] = handler
    return app


def detach_summary_logging(app: Any) -> None:
    """Undo what :func:`logged_app` did to the loggers."""
    for name in LOGGED:
        logger = logging.getLogger(name)
        logger.removeHandler(app.extensions["hardening.handler"])
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
