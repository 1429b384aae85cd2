"""Log records made from a template instead of ``LogRecord.__init__``."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any, Callable

from dockerflow.logging._records import FieldsLogRecord, make_fields_record, makes_stock_records

__all__ = ["record_maker"]

_new_record = FieldsLogRecord.__new__
_time_ns = time.time_ns
_time = time.time
_get_ident = threading.get_ident
_current_thread = threading.current_thread
_getpid = os.getpid
# Python 3.13 computes a record's times from time_ns(), 3.10 to 3.12 from
# time() with msecs rounded down to a whole number, 3.9 without rounding.
_NS_TIMES = sys.version_info >= (3, 13)
_WHOLE_MSECS = sys.version_info >= (3, 10)
_HAS_TASK_NAME = sys.version_info >= (3, 12)
# When the logging module was imported, as LogRecord.relativeCreated counts it.
_LOGGING_STARTED: Any = getattr(logging, "_startTime")  # noqa: B009


def record_maker(
    logger: logging.Logger, level: int, pathname: str, func: str
) -> Callable[[dict[str, Any]], logging.LogRecord]:
    """A function of ``fields`` making the record ``make_fields_record`` would make.

    That is ``make_fields_record(logger, level, pathname, 0, "", func, fields)``,
    without running ``LogRecord.__init__`` for each record: the attributes
    that never change (name, level, path, file, module, function...) are
    copied from a record made once, and only the time, thread, process and
    task are read again, the way the running Python's ``LogRecord`` reads
    them. The result has the same attributes, in the same order, of the same
    types. ``fields`` must hold no standard attribute name. When the logger
    class or the record factory is replaced, it is
    :func:`~dockerflow.logging._records.make_fields_record`'s own record.
    """
    template = logging.LogRecord(logger.name, level, pathname, 0, "", (), None, func).__dict__

    # One function, its steps inline: it runs once per request.
    def make(fields: dict[str, Any]) -> logging.LogRecord:
        if not makes_stock_records(logger):
            return make_fields_record(logger, level, pathname, 0, "", func, fields)
        attrs = template.copy()
        if _NS_TIMES:
            now_ns = _time_ns()
            attrs["created"] = created = now_ns / 1e9
            msecs = (now_ns % 1_000_000_000) // 1_000_000 + 0.0
            if msecs == 999.0 and int(created) != now_ns // 1_000_000_000:
                msecs = 0.0  # the float seconds rounded up to the next second
            attrs["msecs"] = msecs
            attrs["relativeCreated"] = (now_ns - _LOGGING_STARTED) / 1e6
        else:
            attrs["created"] = now = _time()
            # now % 1.0 is exactly the stdlib's now - int(now), for less work.
            attrs["msecs"] = int(now % 1.0 * 1000) + 0.0 if _WHOLE_MSECS else now % 1.0 * 1000
            attrs["relativeCreated"] = (now - _LOGGING_STARTED) * 1000
        if logging.logThreads:
            attrs["thread"] = _get_ident()
            attrs["threadName"] = _current_thread().name
        else:
            attrs["thread"] = attrs["threadName"] = None
        if logging.logMultiprocessing:
            process_name: str | None = "MainProcess"
            multiprocessing = sys.modules.get("multiprocessing")
            if multiprocessing is not None:
                try:  # noqa: SIM105 - suppress() would cost a context manager per record
                    process_name = str(multiprocessing.current_process().name)
                except Exception:
                    pass
            attrs["processName"] = process_name
        else:
            attrs["processName"] = None
        # Read per record, as LogRecord does: a cached pid would be wrong in
        # workers forked without Python's fork hooks (uWSGI by default).
        attrs["process"] = _getpid() if logging.logProcesses else None
        if _HAS_TASK_NAME:
            task_name = None
            asyncio = sys.modules.get("asyncio")
            if asyncio is not None and getattr(logging, "logAsyncioTasks", True):
                try:  # noqa: SIM105 - as above
                    task_name = str(asyncio.current_task().get_name())
                except Exception:
                    pass
            attrs["taskName"] = task_name
        attrs.update(fields)
        record = _new_record(FieldsLogRecord)
        record.__dict__ = attrs
        record.prebuilt_fields = fields
        record.prebuilt_size = len(attrs)
        return record

    return make
