"""Writing a record's line without making the record, where nothing could tell.

A log record that reaches exactly one plain stream handler with the mozlog
formatter, through no filter that could change it, ends as one line on that
handler's stream and nothing else. :func:`write_fields_line` writes that line
directly, skipping the record and the standard library's handler path, and
declines (returns False) in every other configuration, where the caller
makes the record and logs it as usual.
"""

from __future__ import annotations

import functools
import logging
import types
from collections.abc import Iterable
from typing import Any, Callable

from ._formatter import MozlogFormatter
from ._handler import MozlogHandler, write_line
from ._records import STANDARD_RECORD_ATTRS
from ._request_id import RequestIdLogFilter

__all__ = ["fields_line_writer", "write_fields_line"]

_Logger = logging.Logger
# Handlers whose emit is known: format, write the line and its terminator,
# flush. Subclasses (FileHandler, ...) may do more, and are not taken.
_PLAIN_HANDLERS = (logging.StreamHandler, MozlogHandler)


def _record_path(handler_class: Any) -> tuple[Any, ...]:
    """The record factory and the methods a record would run through to ``handler_class``.

    Tools that watch logging replace such methods (Sentry's integration
    replaces ``Logger.callHandlers``, ddtrace wraps ``makeRecord``): then the
    record is made as usual.
    """
    return (
        logging.getLogRecordFactory(),
        _Logger.makeRecord,
        _Logger.handle,
        _Logger.callHandlers,
        _Logger.filter,
        handler_class.handle,
        handler_class.filter,
        handler_class.format,
        handler_class.emit,
        MozlogFormatter.format,
        RequestIdLogFilter.filter,
    )


def _is_original(path: tuple[Any, ...]) -> bool:
    """The standard factory, and plain functions of logging or of this package."""
    factory, *methods = path
    return factory is logging.LogRecord and all(
        type(method) is types.FunctionType
        and (method.__module__ == "logging" or method.__module__.startswith(f"{__package__}."))
        for method in methods
    )


# Taken when this module is imported. A handler class missing here had one
# of them replaced already: the direct write is off for it.
_ORIGINAL_RECORD_PATHS = {
    handler_class: path
    for handler_class in _PLAIN_HANDLERS
    if _is_original(path := _record_path(handler_class))
}


def write_fields_line(logger: logging.Logger, level: int, fields: dict[str, Any]) -> bool:
    """Write the line ``logger`` would write for a record of ``fields``; tell whether it did.

    The record is the one :func:`~dockerflow.logging._records.make_fields_record`
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
      do to see every record);
    - no field has a standard attribute's name (see :func:`fields_line_writer`).

    Otherwise it writes nothing and returns False. The caller has checked
    ``logger.isEnabledFor(level)``. A stream that fails goes to the handler's
    ``handleError`` with a record made then (without a path or function name).
    """
    if not STANDARD_RECORD_ATTRS.isdisjoint(fields):
        return False
    return _write_line(logger, level, fields)


def fields_line_writer(
    logger: logging.Logger, level: int, field_names: Iterable[str]
) -> Callable[[dict[str, Any]], bool]:
    """:func:`write_fields_line` of ``logger`` and ``level`` for fields named in ``field_names``.

    For a caller that writes the same fields again and again (a request
    summary, say): the names are checked once, here, instead of on every
    call, so the fields passed to the writer must hold no other name. Raises
    ValueError for a standard attribute's name.
    """
    clashes = sorted(STANDARD_RECORD_ATTRS.intersection(field_names))
    if clashes:
        raise ValueError(f"field names of standard LogRecord attributes: {clashes}")
    return functools.partial(_write_line, logger, level)


def _write_line(logger: logging.Logger, level: int, fields: dict[str, Any]) -> bool:
    logger_attrs = logger.__dict__
    if (
        type(logger) is not _Logger
        or logger.filters
        # A method replaced on the instance (a test's mock, say).
        or "handle" in logger_attrs
        or "callHandlers" in logger_attrs
        or "filter" in logger_attrs
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
    formatter = handler.formatter
    if (
        _record_path(handler_class) != _ORIGINAL_RECORD_PATHS.get(handler_class)
        or handler.lock is None
        or type(formatter) is not MozlogFormatter
    ):
        return False
    handler_attrs = handler.__dict__
    formatter_attrs = formatter.__dict__
    if (
        "handle" in handler_attrs
        or "filter" in handler_attrs
        or "format" in handler_attrs
        or "emit" in handler_attrs
        or "flush" in handler_attrs
        or "acquire" in handler_attrs
        or "format" in formatter_attrs
        or "format_fields" in formatter_attrs
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
