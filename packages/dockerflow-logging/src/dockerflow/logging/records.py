"""Telling a LogRecord's extra attributes from the standard ones."""

from __future__ import annotations

import logging
from itertools import islice
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
_N_INIT = len(_INIT_ATTRS)
# Standard attributes that can be set after the extras.
_LATE_ATTRS = tuple(sorted(STANDARD_RECORD_ATTRS - frozenset(_INIT_ATTRS)))
_LAST_INIT = _INIT_ATTRS[-1]


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return a new dict of the record's non-standard attributes, in order.

    ``LogRecord.__init__`` sets the standard attributes first, and ``extra=``,
    filters and record factories add theirs afterwards. When the last standard
    attribute sits where ``__init__`` put it, the extras are exactly the items
    that follow it, and the standard ones need not be scanned (this halves the
    cost, the largest part of formatting a record). Any other shape takes the
    full scan.
    """
    attrs = record.__dict__
    if type(record) is _LogRecord:
        count = len(attrs)
        if count > _N_INIT:
            tail = dict(islice(attrs.items(), _N_INIT - 1, None))
            if next(iter(tail)) == _LAST_INIT:
                del tail[_LAST_INIT]
                for name in _LATE_ATTRS:
                    tail.pop(name, None)
                return tail
        elif count == _N_INIT and next(reversed(attrs)) == _LAST_INIT:
            return {}
    return {key: value for key, value in attrs.items() if key not in STANDARD_RECORD_ATTRS}
