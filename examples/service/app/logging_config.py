"""Logging: one mozlog JSON object per line on stdout, with request ids."""

from __future__ import annotations

import logging.config
from typing import Any

#: ``Logger`` field of every line; ``Type`` is the logger's name.
LOGGER_NAME = "example-service"

#: The formatter of each ``LOG_FORMAT``: mozlog, or mozlog plus the keys Google
#: Cloud Logging reads (severity, message, trace, httpRequest).
FORMATTERS = {
    "mozlog": "dockerflow.logging.JsonLogFormatter",
    "cloud-logging": "dockerflow.logging.CloudLoggingFormatter",
}


def logging_config(level: str = "INFO", log_format: str = "mozlog") -> dict[str, Any]:
    """The ``dictConfig`` of the app: the root logger writes mozlog to stdout."""
    if log_format not in FORMATTERS:
        raise ValueError(f"LOG_FORMAT must be one of {sorted(FORMATTERS)}, not {log_format!r}")
    return {
        "version": 1,
        # keep gunicorn's loggers, set up before the app is imported
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
        "formatters": {
            "mozlog": {
                "()": FORMATTERS[log_format],
                "logger_name": LOGGER_NAME,
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "mozlog",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stdout"]},
        "loggers": {
            # request.summary is the access log: one line per request, at INFO
            "request.summary": {"level": "INFO"},
            # Alembic says at INFO which plugins it set up, each time it is imported
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(level: str = "INFO", log_format: str = "mozlog") -> None:
    """Apply :func:`logging_config`; call it before the app handles requests."""
    logging.config.dictConfig(logging_config(level, log_format))
