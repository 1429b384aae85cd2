"""Cloud Logging's structured-logging keys on top of the mozlog envelope."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ._formatter import MozlogFormatter
from ._severity import severity
from ._trace_context import trace_context

#: Cloud Logging's LogSeverity name of each standard Python level.
CLOUD_SEVERITY = {
    logging.CRITICAL: "CRITICAL",
    logging.ERROR: "ERROR",
    logging.WARNING: "WARNING",
    logging.INFO: "INFO",
    logging.DEBUG: "DEBUG",
}

#: The logger of the request log (mozlog's ``request.summary``): a web
#: framework integration writes one record per request there, and
#: :class:`CloudLoggingFormatter` gives its lines ``httpRequest``.
SUMMARY_LOGGER_NAME = "request.summary"

# Kept as they are in requestUrl: RFC 3986's delimiters. "%" is not among
# them: the summary's path and query string are decoded, so "%" means "%25".
_URL_SAFE = "/?:@!$&'()*+,;=~"


class CloudLoggingFormatter(MozlogFormatter):
    """The mozlog line, plus the top-level keys Google Cloud Logging reads.

    Every key of :class:`MozlogFormatter` is kept, so a mozlog pipeline reads
    the line as before. Cloud Logging (GKE, Cloud Run) takes these as the
    entry's own fields:

    - ``severity``: the LogSeverity name of the level (``DEBUG``, ``INFO``,
      ``WARNING``, ``ERROR``, ``CRITICAL``; a custom level takes the name of
      the nearest standard level at or below it, and below ``DEBUG`` is ``DEBUG``);
    - ``message``: the formatted message, then, when the record carries an
      exception, its traceback as the standard library writes it (the text
      Error Reporting recognises); absent when empty;
    - ``logging.googleapis.com/trace`` (``projects/PROJECT_ID/traces/TRACE_ID``),
      ``logging.googleapis.com/spanId`` and
      ``logging.googleapis.com/trace_sampled``: from :data:`trace_context`
      when the line is formatted, else from the record's ``trace_id`` and
      ``span_id`` fields (:class:`RequestIdLogFilter` and the Flask summary
      put them there; ``trace_sampled`` is then unknown and left out); only
      when a project id is known;
    - ``httpRequest`` on ``request.summary`` lines: ``requestMethod``,
      ``requestUrl`` (path and query string), ``status``, ``userAgent``,
      ``remoteIp`` (the first address of ``remoteAddressChain``) and
      ``latency`` (``t`` in seconds, ``"0.012s"``), each when the summary has it.

    ``project_id`` defaults to the ``GOOGLE_CLOUD_PROJECT`` environment
    variable. The other arguments are :class:`MozlogFormatter`'s.
    """

    def __init__(self, *args: Any, project_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project_id = project_id or os.environ.get("GOOGLE_CLOUD_PROJECT") or None

    def convert_record(self, record: logging.LogRecord) -> dict[str, Any]:
        """Return the mozlog envelope of ``record`` with Cloud Logging's keys added."""
        envelope = super().convert_record(record)
        fields = envelope["Fields"]
        envelope["severity"] = severity(record.levelno, CLOUD_SEVERITY, "DEBUG")
        message = fields.get("msg", "")
        if isinstance(record.exc_info, tuple) and record.exc_info[1] is not None:
            # the standard library's text, which Error Reporting recognises
            message = f"{message}\n{self.formatException(record.exc_info)}".lstrip("\n")
        if message:
            envelope["message"] = message
        trace = trace_context.get()
        if trace is not None:
            trace_id, span_id, sampled = trace
        else:  # a record handled outside its request still carries its trace's ids
            trace_id, span_id, sampled = fields.get("trace_id"), fields.get("span_id"), None
        if self.project_id and isinstance(trace_id, str) and isinstance(span_id, str):
            envelope["logging.googleapis.com/trace"] = (
                f"projects/{self.project_id}/traces/{trace_id}"
            )
            envelope["logging.googleapis.com/spanId"] = span_id
            if sampled is not None:
                envelope["logging.googleapis.com/trace_sampled"] = sampled
        if record.name == SUMMARY_LOGGER_NAME:
            envelope["httpRequest"] = http_request(fields)
        return envelope


def http_request(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Cloud Logging's ``httpRequest`` object from ``request.summary`` fields."""
    request: dict[str, Any] = {}
    if "method" in summary:
        request["requestMethod"] = summary["method"]
    if "path" in summary:
        url = quote(str(summary["path"]), safe=_URL_SAFE)
        if summary.get("querystring"):
            url += "?" + quote(str(summary["querystring"]), safe=_URL_SAFE)
        request["requestUrl"] = url
    if summary.get("code"):
        request["status"] = summary["code"]
    if summary.get("agent"):
        request["userAgent"] = summary["agent"]
    if summary.get("remoteAddressChain"):
        request["remoteIp"] = summary["remoteAddressChain"][0]
    if isinstance(summary.get("t"), (int, float)):
        request["latency"] = f"{summary['t'] / 1000:.3f}s"
    return request
