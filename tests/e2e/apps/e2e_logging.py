"""Logging as the e2e apps' users set it up: mozlog JSON on stdout through ``dictConfig``."""

from __future__ import annotations

from logging.config import dictConfig


def configure_logging(logger_name: str = "e2e-service", log_summaries: bool = True) -> None:
    """Every record as one mozlog line on stdout; ``request.summary`` too if ``log_summaries``."""
    dictConfig(
        {
            "version": 1,
            # gunicorn's own loggers exist before this runs: keep them working.
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
            "formatters": {
                "mozlog": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": logger_name}
            },
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "mozlog",
                    "filters": ["request_id"],
                }
            },
            "loggers": {
                "request.summary": {
                    "handlers": ["stdout"] if log_summaries else [],
                    "level": "INFO",
                    "propagate": False,
                }
            },
            "root": {"handlers": ["stdout"], "level": "INFO"},
        }
    )
