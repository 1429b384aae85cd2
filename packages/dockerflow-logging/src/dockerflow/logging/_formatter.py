"""The mozlog 2.0 JSON formatter."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from ._encoding import make_encoder
from ._records import STANDARD_RECORD_ATTRS, extra_fields
from ._severity import SYSLOG_SEVERITY, severity
from ._text import safe_repr, safe_str
from ._tracebacks import safer_format_traceback


class MozlogFormatter(logging.Formatter):
    """Format each record as one line of JSON in the mozlog 2.0 envelope.

    ``logger_name`` fills the ``Logger`` field (a record's own ``logger_name``
    attribute wins). ``fmt``, ``datefmt`` and ``style`` are accepted for
    compatibility with :class:`logging.Formatter` and do not change the output.
    ``encoder`` picks the JSON encoder: ``"auto"`` (orjson when installed),
    ``"json"`` (standard library) or ``"orjson"``; when None, the
    ``DOCKERFLOW_LOGGING_ENCODER`` environment variable decides, else ``auto``.
    Both encoders give JSON that parses to the same value.

    ``format`` never raises: values JSON cannot hold are converted, a message
    whose arguments do not fit its format string is logged unformatted with
    ``msg_args`` and ``msg_error``.
    """

    LOGGING_FORMAT_VERSION = "2.0"
    #: python-dockerflow's class attributes, which a subclass may override:
    #: the record attributes left out of ``Fields``; the ``Severity`` of each
    #: Python level (a level not in the map takes the value of the nearest
    #: level below it in the map); the ``Severity`` of a level below every
    #: level in the map.
    EXCLUDED_LOGRECORD_ATTRS: AbstractSet[str] = STANDARD_RECORD_ATTRS
    SYSLOG_LEVEL_MAP: Mapping[int, Any] = SYSLOG_SEVERITY
    DEFAULT_SYSLOG_LEVEL: Any = SYSLOG_SEVERITY[logging.DEBUG]

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Any = "%",
        logger_name: str = "Dockerflow",
        *,
        encoder: str | None = None,
    ) -> None:
        super().__init__(fmt=fmt, datefmt=datefmt, style=style)
        self.logger_name = logger_name
        self.hostname = socket.gethostname()
        self._encoder = make_encoder(encoder)

    @property
    def encoder_name(self) -> str:
        """The name of the JSON encoder in use: ``"json"`` or ``"orjson"``."""
        return self._encoder.name

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one line of mozlog JSON; never raises."""
        try:
            return self._encoder.encode(self.convert_record(record))
        except Exception as exc:
            return self._format_failure(record, exc)

    def convert_record(self, record: logging.LogRecord) -> dict[str, Any]:
        """Return the mozlog envelope of ``record`` as a dict.

        ``Fields`` holds the record's extra attributes, then ``msg`` (when
        the message is not empty), ``error`` and ``traceback`` (with exception
        info) and ``stack`` (with ``stack_info``). A subclass may override
        this, as python-dockerflow allowed.
        """
        fields = extra_fields(record, self.EXCLUDED_LOGRECORD_ATTRS)
        self._add_message(record, fields)
        if record.exc_info:
            self._add_exception(record, fields)
        if record.stack_info:
            fields["stack"] = safe_str(record.stack_info)
        attrs = record.__dict__
        return {
            "Timestamp": int(record.created * 1e9),
            "Type": record.name,
            "Logger": attrs.get("logger_name", self.logger_name),
            "Hostname": self.hostname,
            "EnvVersion": self.LOGGING_FORMAT_VERSION,
            "Severity": severity(record.levelno, self.SYSLOG_LEVEL_MAP, self.DEFAULT_SYSLOG_LEVEL),
            "Pid": os.getpid() if record.process is None else record.process,
            "Fields": fields,
        }

    @staticmethod
    def is_value_jsonlike(value: str) -> bool:
        """python-dockerflow's test for a message that looks like a JSON object.

        Kept for subclasses that call it. This formatter does not use it: a
        message that looks like JSON is kept in ``msg`` (python-dockerflow
        dropped it).
        """
        return value.startswith("{") and value.endswith("}")

    @staticmethod
    def _add_message(record: logging.LogRecord, fields: dict[str, Any]) -> None:
        msg = record.msg
        if type(msg) is str and not record.args:  # the common case: nothing to format
            if msg:
                fields["msg"] = msg
            return
        if isinstance(msg, Mapping):
            # python-dockerflow dropped a dict message; its items are the point.
            for key, value in msg.items():
                fields.setdefault(key, value)
            return
        try:
            message = record.getMessage()
        except Exception as exc:  # log.info("%s %s", 1): keep the record anyway
            message = safe_str(msg)
            fields["msg_args"] = safe_repr(record.args)
            fields["msg_error"] = safe_repr(exc)
        if message:
            fields["msg"] = safe_str(message)

    @staticmethod
    def _add_exception(record: logging.LogRecord, fields: dict[str, Any]) -> None:
        exc_info = record.exc_info
        if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
            fields["error"] = safe_repr(exc_info[1])
            fields["traceback"] = safer_format_traceback(*exc_info)

    def _format_failure(self, record: logging.LogRecord, error: Exception) -> str:
        """Last resort: an envelope built only from values that cannot fail."""
        attrs = getattr(record, "__dict__", {})

        def attr(name: str, fallback: Any) -> Any:
            value = attrs.get(name, fallback)
            return value if isinstance(value, (str, int)) else fallback

        fields: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            fields.update(extra_fields(record))
        fields["msg"] = safe_str(attrs.get("msg", ""))
        fields["format_error"] = safe_repr(error)
        envelope = {
            "Timestamp": time.time_ns(),
            "Type": safe_str(attr("name", "")),
            "Logger": safe_str(attr("logger_name", self.logger_name)),
            "Hostname": self.hostname,
            "EnvVersion": self.LOGGING_FORMAT_VERSION,
            "Severity": severity(
                attr("levelno", logging.ERROR), self.SYSLOG_LEVEL_MAP, self.DEFAULT_SYSLOG_LEVEL
            ),
            "Pid": os.getpid(),
            "Fields": fields,
        }
        try:
            return self._encoder.encode_converted(envelope)
        except Exception:
            envelope["Fields"] = {"format_error": fields["format_error"]}
            return json.dumps(envelope, default=safe_repr)


#: python-dockerflow's name for :class:`MozlogFormatter`; the same class, no warning.
JsonLogFormatter = MozlogFormatter
