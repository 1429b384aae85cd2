"""The mozlog 2.0 JSON formatter."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Mapping
from typing import Any

from ._text import safe_repr, safe_str
from ._encoding import make_encoder
from ._records import FieldsLogRecord, extra_fields
from ._severity import syslog_severity
from ._tracebacks import safer_format_traceback

_PREFIX_CACHE_SIZE = 256


class MozlogFormatter(logging.Formatter):
    """Format each record as one line of JSON in the mozlog 2.0 envelope.

    ``logger_name`` fills the ``Logger`` field (a record's own ``logger_name``
    attribute wins). ``fmt``, ``datefmt`` and ``style`` are accepted for
    compatibility with :class:`logging.Formatter` and do not change the output.
    ``encoder`` picks the JSON encoder: ``"auto"`` (orjson when installed),
    ``"json"`` (standard library) or ``"orjson"``; when None, the
    ``DOCKERFLOW_LOGGING_ENCODER`` environment variable decides, else ``auto``.
    Both encoders give JSON that parses to the same value.

    ``format`` never raises: values JSON cannot hold are converted (see
    :mod:`dockerflow.logging._encoding`), a message whose arguments do not fit
    its format string is logged unformatted with ``msg_args`` and ``msg_error``.
    """

    LOGGING_FORMAT_VERSION = "2.0"

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
        self._encode = self._encoder.encode
        # Everything between the timestamp and the fields, per (record name,
        # level, Logger, pid): the pid is part of the key, so a forked worker
        # (gunicorn --preload) gets its own prefix without any check.
        self._prefixes: dict[tuple[Any, Any, Any, Any], str] = {}
        self._custom_convert = type(self).convert_record is not MozlogFormatter.convert_record

    @property
    def encoder_name(self) -> str:
        """The name of the JSON encoder in use: ``"json"`` or ``"orjson"``."""
        return self._encoder.name

    def format(self, record: logging.LogRecord) -> str:
        """Return ``record`` as one line of mozlog JSON; never raises."""
        try:
            if self._custom_convert:
                return self._encoder.encode(self.convert_record(record))
            attrs = record.__dict__
            msg = record.msg
            if (
                type(record) is FieldsLogRecord
                and len(attrs) == record.prebuilt_size
                and record.prebuilt_fields.items() <= attrs.items()
            ):
                # Fields the caller built, unchanged since (see extra_fields):
                # encoded as they are unless something is added to them.
                fields = record.prebuilt_fields
                if type(msg) is not str or msg or record.args or record.exc_info:
                    fields = fields.copy()
            else:
                fields = extra_fields(record)
            # The common case, inline: a str message without arguments.
            if type(msg) is str and not record.args:
                if msg:
                    fields["msg"] = msg
            else:
                self._add_message(record, fields)
            if record.exc_info:
                self._add_exception(record, fields)
            key = (record.name, record.levelno, attrs.get("logger_name", self.logger_name),
                   record.process)  # fmt: skip
            prefix = self._prefixes.get(key)
            if prefix is None:
                prefix = self._make_prefix(*key)
            # One f-string: a single allocation instead of four copies.
            return f'{{"Timestamp":{int(record.created * 1e9)}{prefix}{self._encode(fields)}}}'
        except Exception as exc:
            return self._format_failure(record, exc)

    def format_fields(self, name: str, levelno: int, fields: dict[str, Any]) -> str:
        """The line :meth:`format` gives a record made now with no message and ``fields``.

        That is the record of ``logging.getLogger(name)`` at ``levelno`` whose
        only extra attributes are ``fields``, as
        :func:`~dockerflow.logging._records.make_fields_record` makes it, without
        making it. Never raises: a failure gives the record's own
        :meth:`format` output.
        """
        try:
            # The envelope format() writes for such a record; the tests hold
            # the two to the same bytes.
            key = (name, levelno, self.logger_name, os.getpid() if logging.logProcesses else None)
            prefix = self._prefixes.get(key)
            if prefix is None:
                prefix = self._make_prefix(*key)
            return f'{{"Timestamp":{time.time_ns()}{prefix}{self._encode(fields)}}}'
        except Exception:
            record = logging.LogRecord(name, levelno, "", 0, "", (), None)
            record.__dict__.update(fields)
            return self.format(record)

    def _make_prefix(self, name: Any, levelno: Any, logger_name: Any, pid: Any) -> str:
        if len(self._prefixes) >= _PREFIX_CACHE_SIZE:
            self._prefixes.clear()
        encode = self._encoder.encode
        prefix = (
            f',"Type":{encode(name)},"Logger":{encode(logger_name)}'
            f',"Hostname":{encode(self.hostname)}'
            f',"EnvVersion":"{self.LOGGING_FORMAT_VERSION}"'
            f',"Severity":{syslog_severity(levelno)}'
            f',"Pid":{encode(os.getpid() if pid is None else pid)},"Fields":'
        )
        self._prefixes[(name, levelno, logger_name, pid)] = prefix
        return prefix

    @staticmethod
    def _add_message(record: logging.LogRecord, fields: dict[str, Any]) -> None:
        msg = record.msg
        if type(msg) is not str and isinstance(msg, Mapping):
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
            fields["msg"] = message if type(message) is str else safe_str(message)

    @staticmethod
    def _add_exception(record: logging.LogRecord, fields: dict[str, Any]) -> None:
        exc_info = record.exc_info
        if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
            fields["error"] = safe_repr(exc_info[1])
            fields["traceback"] = safer_format_traceback(*exc_info)

    def convert_record(self, record: logging.LogRecord) -> dict[str, Any]:
        """Return the mozlog envelope of ``record`` as a dict.

        ``format`` does not call this (it assembles the JSON text directly), but
        a subclass that overrides it, as python-dockerflow allowed, is honoured.
        """
        attrs = record.__dict__
        fields = extra_fields(record)
        self._add_message(record, fields)
        if record.exc_info:
            self._add_exception(record, fields)
        return {
            "Timestamp": int(record.created * 1e9),
            "Type": record.name,
            "Logger": attrs.get("logger_name", self.logger_name),
            "Hostname": self.hostname,
            "EnvVersion": self.LOGGING_FORMAT_VERSION,
            "Severity": syslog_severity(record.levelno),
            "Pid": os.getpid() if record.process is None else record.process,
            "Fields": fields,
        }

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
            "Severity": syslog_severity(attr("levelno", logging.ERROR)),
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
