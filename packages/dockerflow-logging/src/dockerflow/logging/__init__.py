"""Mozlog JSON logging for Dockerflow services.

A drop-in replacement for python-dockerflow's ``dockerflow.logging``::

    LOGGING = {
        "version": 1,
        "formatters": {
            "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"},
        },
        "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": "INFO"},
    }
"""

from __future__ import annotations

from ._cloud_logging import SUMMARY_LOGGER_NAME, CloudLoggingFormatter
from ._context import in_current_context
from ._encoding import SafeJSONEncoder
from ._formatter import JsonLogFormatter, MozlogFormatter
from ._handler import MozlogHandler
from ._headers import Headers
from ._request_id import (
    DEFAULT_REQUEST_ID_HEADER,
    RequestIdLogFilter,
    get_or_generate_request_id,
    new_request_id,
    request_id_context,
    request_id_from,
)
from ._trace_context import (
    TraceContext,
    parse_trace_headers,
    trace_context,
    trace_context_from_headers,
)
from ._tracebacks import safer_format_traceback

__all__ = [
    "DEFAULT_REQUEST_ID_HEADER",
    "SUMMARY_LOGGER_NAME",
    "CloudLoggingFormatter",
    "Headers",
    "JsonLogFormatter",
    "MozlogFormatter",
    "MozlogHandler",
    "RequestIdLogFilter",
    "SafeJSONEncoder",
    "TraceContext",
    "get_or_generate_request_id",
    "in_current_context",
    "new_request_id",
    "parse_trace_headers",
    "request_id_context",
    "request_id_from",
    "safer_format_traceback",
    "trace_context",
    "trace_context_from_headers",
]
