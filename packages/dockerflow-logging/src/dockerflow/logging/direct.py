"""Writing a record's line without making the record, where nothing could tell.

A log record that reaches exactly one plain stream handler with the mozlog
formatter, through no filter that could change it, ends as one line on that
handler's stream and nothing else. :func:`write_fields_line` writes that line
directly, skipping the record and the standard library's handler path, and
declines (returns False) in every other configuration, where the caller
makes the record and logs it as usual.
"""

from __future__ import annotations

import logging
import types
from typing import Any

from .formatter import MozlogFormatter
from .handler import MozlogHandler, write_line
from .records import STANDARD_RECORD_ATTRS, makes_stock_records
from .request_id import RequestIdLogFilter

__all__ = ["write_fields_line"]

_Logger = logging.Logger


def _logging_path() -> tuple[Any, ...]:
    """Methods every record runs through, besides the handler's and ``makeRecord``.

    Tools that watch logging replace such methods, on the class or on an
    instance (Sentry's integration replaces ``Logger.callHandlers``): then the
    record is made as usual. Read attribute by attribute, a third of the cost
    of ``getattr`` over a table.
    """
    return (
        _Logger.handle,
        _Logger.callHandlers,
        _Logger.filter,
        MozlogFormatter.format,
        RequestIdLogFilter.filter,
    )


# Handlers whose emit is known: format, write the line and its terminator,
# flush. Subclasses (FileHandler, ...) may do more, and are not taken.
_PLAIN_HANDLERS = (logging.StreamHandler, MozlogHandler)
_LOGGER_METHODS = frozenset({"handle", "callHandlers", "filter", "makeRecord"})
_HANDLER_METHODS = frozenset({"handle", "filter", "format", "emit", "flush", "acquire"})
_FORMATTER_METHODS = frozenset({"format", "format_fields"})


def _handler_path(handler_class: Any) -> tuple[Any, ...]:
    return (handler_class.handle, handler_class.filter, handler_class.format, handler_class.emit)


def _are_own(functions: tuple[Any, ...]) -> bool:
    """Plain functions of the standard library's logging or of this package."""
    return all(
        type(function) is types.FunctionType
        and (function.__module__ == "logging" or function.__module__.startswith(f"{__package__}."))
        for function in functions
    )


# Taken when this module is imported. Where something had replaced one of
# them already, the direct write is off for the process (or that handler).
_ORIGINAL_LOGGING_PATH = _logging_path() if _are_own(_logging_path()) else None
_ORIGINAL_HANDLER_PATHS = {
    handler_class: _handler_path(handler_class)
    for handler_class in _PLAIN_HANDLERS
    if _are_own(_handler_path(handler_class))
}


def write_fields_line(logger: logging.Logger, level: int, fields: dict[str, Any]) -> bool:
    """Write the line ``logger`` would write for a record of ``fields``; tell whether it did.

    The record is the one :func:`~dockerflow.logging.records.make_fields_record`
    makes with an empty message: ``fields`` are its only extra attributes.
    The line is written, under the handler's lock, only when nothing but that
    line could come of the record:

    - ``logger`` is a :class:`logging.Logger` (not a subclass) without
      filters, and the record factory is the standard one;
    - of the handlers the record reaches (``logger``'s, and its parents' while
      it propagates), exactly one takes ``level``, and it is a
      :class:`logging.StreamHandler` or a :class:`MozlogHandler` (not a
      subclass) whose formatter is a :class:`MozlogFormatter` (not a subclass);
    - that handler has no filter but :class:`RequestIdLogFilter`, which
      leaves a record with a ``rid`` field unchanged;
    - none of the methods the record would run through is replaced, on its
      class or on the logger, handler or formatter (as error reporting tools
      do to see every record), and no field has a standard attribute's name.

    Otherwise it writes nothing and returns False. The caller has checked
    ``logger.isEnabledFor(level)``. A stream that fails goes to the handler's
    ``handleError`` with a record made then (without a path or function name).
    """
    if (
        type(logger) is not logging.Logger
        or logger.filters
        or not makes_stock_records(logger)
        or _logging_path() != _ORIGINAL_LOGGING_PATH
        or not _LOGGER_METHODS.isdisjoint(logger.__dict__)
        or not STANDARD_RECORD_ATTRS.isdisjoint(fields)
    ):
        return False
    handler = None
    current: Any = logger
    while current:  # Logger.callHandlers' walk
        for candidate in current.handlers:
            if level >= candidate.level:
                if handler is not None:
                    return False
                handler = candidate
        current = current.parent if current.propagate else None
    if handler is None:
        return False
    handler_class = type(handler)
    original_path = _ORIGINAL_HANDLER_PATHS.get(handler_class)
    if (
        original_path is None  # not a plain handler
        or _handler_path(handler_class) != original_path
        or handler.lock is None
        or not _HANDLER_METHODS.isdisjoint(handler.__dict__)
    ):
        return False
    formatter = handler.formatter
    if type(formatter) is not MozlogFormatter or not _FORMATTER_METHODS.isdisjoint(
        formatter.__dict__
    ):
        return False
    for handler_filter in handler.filters:
        if (
            type(handler_filter) is not RequestIdLogFilter
            or "filter" in handler_filter.__dict__
            or not fields.get("rid")
        ):
            return False
    line = formatter.format_fields(logger.name, level, fields)
    with handler.lock:
        try:
            write_line(handler, line)
        except RecursionError:  # as StreamHandler.emit
            raise
        except Exception:
            record = logger.makeRecord(logger.name, level, "", 0, "", (), None, None, fields)
            handler.handleError(record)
    return True
