"""Telling a LogRecord's extra attributes from the standard ones."""

from __future__ import annotations

import logging
from collections.abc import Set as AbstractSet
from typing import Any

#: Attributes every LogRecord has, plus those that formatters (``message``,
#: ``asctime``), Python 3.12 (``taskName``) and python-dockerflow's handler
#: (``logger_name``) add. Everything else on a record is an extra field.
STANDARD_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "exc_text",
    "stack_info",
    "taskName",
    "logger_name",
}


def extra_fields(
    record: logging.LogRecord, excluded: AbstractSet[str] = STANDARD_RECORD_ATTRS
) -> dict[str, Any]:
    """A new dict of the record's attributes not in ``excluded``, in the order they were set."""
    return {name: value for name, value in vars(record).items() if name not in excluded}
