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
from typing import Any

from .formatter import MozlogFormatter
from .handler import MozlogHandler, write_line
from .records import makes_stock_records
from .request_id import RequestIdLogFilter

__all__ = ["write_fields_line"]

# Handlers whose emit is known: format, write the line and its terminator,
# flush. Subclasses (FileHandler, ...) may do more, and are not taken.
_PLAIN_HANDLERS = (logging.StreamHandler, MozlogHandler)


def write_fields_line(logger: logging.Logger, level: int, fields: dict[str, Any]) -> bool:
    """Write the line ``logger`` would write for a record of ``fields``; tell whether it did.

    The record is the one :func:`~dockerflow.logging.records.make_fields_record`
    makes with an empty message: ``fields`` are its only extra attributes
    (none of them a standard attribute name). The line is written, under the
    handler's lock, only when nothing but that line could come of the record:

    - ``logger`` is a :class:`logging.Logger` (not a subclass) without
      filters, and the record factory is the standard one;
    - of the handlers the record reaches (``logger``'s, and its parents' while
      it propagates), exactly one takes ``level``, and it is a
      :class:`logging.StreamHandler` or a :class:`MozlogHandler` (not a
      subclass) whose formatter is a :class:`MozlogFormatter` (not a subclass);
    - that handler has no filter but :class:`RequestIdLogFilter`, which
      leaves a record with a ``rid`` field unchanged.

    Otherwise it writes nothing and returns False. The caller has checked
    ``logger.isEnabledFor(level)``.
    """
    if type(logger) is not logging.Logger or logger.filters or not makes_stock_records(logger):
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
    if handler is None or type(handler) not in _PLAIN_HANDLERS:
        return False
    formatter = handler.formatter
    if type(formatter) is not MozlogFormatter:
        return False
    for handler_filter in handler.filters:
        if type(handler_filter) is not RequestIdLogFilter or not fields.get("rid"):
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
