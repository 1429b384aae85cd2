"""Telling a LogRecord's extra attributes from the standard ones."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from itertools import islice
from types import FunctionType
from typing import Any

_INIT_ATTRS = tuple(logging.LogRecord("", logging.INFO, "", 0, "", (), None).__dict__)

#: Attributes every LogRecord has, plus those that formatters (``message``,
#: ``asctime``), Python 3.12 (``taskName``) and python-dockerflow's handler
#: (``logger_name``) add. Everything else on a record is an extra field.
STANDARD_RECORD_ATTRS = frozenset(_INIT_ATTRS) | {
    "message",
    "asctime",
    "exc_text",
    "stack_info",
    "taskName",
    "logger_name",
}

_LogRecord = logging.LogRecord
_found_make_record = logging.Logger.makeRecord
# The standard library's own, or None when something replaced it before this
# import (ddtrace wraps it to add fields): then no logger makes stock records.
_MAKE_RECORD = (
    _found_make_record
    if type(_found_make_record) is FunctionType and _found_make_record.__module__ == "logging"
    else None
)
_N_INIT = len(_INIT_ATTRS)
# Standard attributes that can be set after the extras.
_LATE_ATTRS = STANDARD_RECORD_ATTRS - frozenset(_INIT_ATTRS)
_LAST_INIT = _INIT_ATTRS[-1]
_LAST_INDEX = _N_INIT - 1


class FieldsLogRecord(logging.LogRecord):
    """A LogRecord that also holds its extra fields as one prebuilt dict.

    Made by :func:`make_fields_record`. It has the same attributes as the
    record ``logger.makeRecord(..., extra=fields)`` returns, so filters and
    other formatters see no difference; the dict lives in a slot, outside the
    record's ``__dict__``, where formatters that write every extra attribute
    (python-json-logger, say) do not find it. :func:`extra_fields` and the
    formatter use the dict instead of scanning the record, unless the record
    changed since: an attribute added (merged in), or one of the dict's
    deleted or set to a value that does not compare equal (the record is then
    scanned). Setting one to an equal value of another type (``1.0`` for
    ``1``) is not seen; both parse to the same JSON value.
    """

    __slots__ = ("prebuilt_fields", "prebuilt_size")

    prebuilt_fields: dict[str, Any]
    prebuilt_size: int


def makes_stock_records(logger: logging.Logger) -> bool:
    """Tell whether ``logger`` makes plain LogRecords: stock ``makeRecord``, no record factory.

    Only then can a record be built without ``logger.makeRecord`` and be the
    record it would have made.
    """
    return type(logger).makeRecord is _MAKE_RECORD and logging.getLogRecordFactory() is _LogRecord


def make_fields_record(
    logger: logging.Logger,
    level: int,
    pathname: str,
    lineno: int,
    msg: str,
    func: str | None,
    fields: dict[str, Any],
) -> logging.LogRecord:
    """Return ``logger.makeRecord(...)``'s record for ``extra=fields``, prebuilt.

    The record is a :class:`FieldsLogRecord` holding ``fields`` itself (do not
    change the dict afterwards). When the logger class overrides ``makeRecord``,
    a record factory is installed or a field would overwrite a standard
    attribute, it is ``logger.makeRecord``'s own record instead, so nothing
    changes but speed.
    """
    if not (makes_stock_records(logger) and STANDARD_RECORD_ATTRS.isdisjoint(fields)):
        return logger.makeRecord(logger.name, level, pathname, lineno, msg, (), None, func, fields)
    record = FieldsLogRecord(logger.name, level, pathname, lineno, msg, (), None, func)
    attrs = record.__dict__
    attrs.update(fields)
    record.prebuilt_fields = fields
    record.prebuilt_size = len(attrs)
    return record


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return a new dict of the record's non-standard attributes, in order.

    ``LogRecord.__init__`` sets the standard attributes first, and ``extra=``,
    filters and record factories add theirs afterwards: the extras are the
    items that follow the first ``__init__`` ones, once the standard attributes
    set later (``message``, ``asctime``...) are taken out. Any other shape
    takes the full scan. A :class:`FieldsLogRecord` that no filter changed gives a copy
    of its dict.
    """
    attrs = record.__dict__
    kind = type(record)
    if kind is FieldsLogRecord:
        fields = _prebuilt_fields(record, attrs)  # type: ignore[arg-type]
        if fields is not None:
            return fields
    elif kind is not _LogRecord:
        return _scan(attrs)
    count = len(attrs)
    if count > _N_INIT:
        tail = dict(islice(attrs.items(), _LAST_INDEX, None))
        # A deleted-then-set standard attribute would move this one.
        if next(iter(tail)) == _LAST_INIT:
            del tail[_LAST_INIT]
            if tail.keys().isdisjoint(_LATE_ATTRS):
                return tail
            for name in _LATE_ATTRS:
                tail.pop(name, None)
            return tail
    elif count == _N_INIT and next(reversed(attrs)) == _LAST_INIT:
        return {}
    return _scan(attrs)


def _prebuilt_fields(record: FieldsLogRecord, attrs: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of the prebuilt dict plus attributes added since; None if changed."""
    fields = record.prebuilt_fields
    added = len(attrs) - record.prebuilt_size
    # Every prebuilt item still on the record, with an equal value: a filter
    # that replaced or deleted one is seen here.
    if added < 0 or not fields.items() <= attrs.items():
        return None
    fields = fields.copy()
    if added:
        # Attributes set after the record was built come last, in order.
        for name, value in reversed(list(islice(reversed(attrs.items()), added))):
            if name not in STANDARD_RECORD_ATTRS:
                fields[name] = value
    return fields


def _scan(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in attrs.items() if key not in STANDARD_RECORD_ATTRS}
