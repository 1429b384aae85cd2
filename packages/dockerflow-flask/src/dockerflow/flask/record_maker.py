"""Log records made from a template instead of ``LogRecord.__init__``."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any, Callable

from dockerflow.logging.records import FieldsLogRecord, make_fields_record

__all__ = ["RecordMaker"]


class RecordMaker:
    """Makes the records ``make_fields_record(logger, level, pathname, 0, "", func, fields)`` makes.

    Without running ``LogRecord.__init__`` for each: the attributes that
    never change (name, level, path, file, module, function...) are copied
    from a record made once, and only the time, thread, process and task are
    read again, the way the running Python's ``LogRecord`` reads them. The
    result has the same attributes, in the same order, of the same types.
    When the logger class or the record factory is replaced, it is
    :func:`~dockerflow.logging.records.make_fields_record`'s own record.
    """

    def __init__(self, logger: logging.Logger, level: int, pathname: str, func: str) -> None:
        self.logger = logger
        self.level = level
        self.pathname = pathname
        self.func = func
        self.template = logging.LogRecord(
            logger.name, level, pathname, 0, "", (), None, func
        ).__dict__.copy()

    def __call__(self, fields: dict[str, Any]) -> logging.LogRecord:
        """A record of ``fields`` (no standard attribute names among them)."""
        logger = self.logger
        if (
            type(logger).makeRecord is not _MAKE_RECORD
            or logging.getLogRecordFactory() is not _LogRecord
        ):
            return make_fields_record(logger, self.level, self.pathname, 0, "", self.func, fields)
        attrs = self.template.copy()
        _set_timestamps(attrs)
        if logging.logThreads:
            attrs["thread"] = threading.get_ident()
            attrs["threadName"] = threading.current_thread().name
        else:
            attrs["thread"] = attrs["threadName"] = None
        attrs["processName"] = _process_name()
        # Read per record, as LogRecord does: a cached pid would be wrong in
        # workers forked without Python's fork hooks (uWSGI by default).
        attrs["process"] = os.getpid() if logging.logProcesses else None
        if _HAS_TASK_NAME:
            attrs["taskName"] = _task_name()
        attrs.update(fields)
        record = _new_record(FieldsLogRecord)
        record.__dict__ = attrs
        record.prebuilt_fields = fields
        record.prebuilt_size = len(attrs)
        return record


_LogRecord = logging.LogRecord
_MAKE_RECORD = logging.Logger.makeRecord
_new_record = FieldsLogRecord.__new__
_HAS_TASK_NAME = sys.version_info >= (3, 12)
# When the logging module was imported, as LogRecord.relativeCreated counts it.
_LOGGING_STARTED: Any = getattr(logging, "_startTime")  # noqa: B009


def _set_timestamps_ns(attrs: dict[str, Any]) -> None:
    """``created``, ``msecs``, ``relativeCreated`` as Python 3.13+ computes them."""
    now = time.time_ns()
    created = now / 1e9
    msecs = (now % 1_000_000_000) // 1_000_000 + 0.0
    if msecs == 999.0 and int(created) != now // 1_000_000_000:
        msecs = 0.0  # the float seconds rounded up to the next second
    attrs["created"] = created
    attrs["msecs"] = msecs
    attrs["relativeCreated"] = (now - _LOGGING_STARTED) / 1e6


def _set_timestamps_float(attrs: dict[str, Any]) -> None:
    """The same, as Python 3.10 to 3.12 compute them."""
    attrs["created"] = now = time.time()
    # now % 1.0 is exactly the stdlib's now - int(now), for less work.
    attrs["msecs"] = int(now % 1.0 * 1000) + 0.0
    attrs["relativeCreated"] = (now - _LOGGING_STARTED) * 1000


def _set_timestamps_float_39(attrs: dict[str, Any]) -> None:
    """The same, as Python 3.9 computes them."""
    attrs["created"] = now = time.time()
    attrs["msecs"] = now % 1.0 * 1000
    attrs["relativeCreated"] = (now - _LOGGING_STARTED) * 1000


_set_timestamps: Callable[[dict[str, Any]], None]
if sys.version_info >= (3, 13):
    _set_timestamps = _set_timestamps_ns
elif sys.version_info >= (3, 10):
    _set_timestamps = _set_timestamps_float
else:
    _set_timestamps = _set_timestamps_float_39


def _process_name() -> str | None:
    if not logging.logMultiprocessing:
        return None
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        try:
            return str(multiprocessing.current_process().name)
        except Exception:
            pass
    return "MainProcess"


def _task_name() -> str | None:
    if not getattr(logging, "logAsyncioTasks", True):
        return None
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            return str(asyncio.current_task().get_name())
        except Exception:
            pass
    return None
