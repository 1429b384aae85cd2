"""Python logging levels as syslog severities (the mozlog ``Severity`` field)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

#: Syslog severity of each standard Python level (RFC 5424 numbers).
SYSLOG_SEVERITY = {
    logging.CRITICAL: 2,  # critical
    logging.ERROR: 3,  # error
    logging.WARNING: 4,  # warning
    logging.INFO: 6,  # informational
    logging.DEBUG: 7,  # debug
}


def severity(levelno: object, level_map: Mapping[int, Any], default: Any) -> Any:
    """Return the severity ``level_map`` gives a Python level number.

    A level in the map takes its value. Any other level (a custom one) takes
    the value of the nearest level at or below it in the map; below every
    level of the map, or not a number, it takes ``default``. So with the
    standard map a level 45 is an error, a level 60 critical, a level 5 debug.
    """
    if type(levelno) is int and levelno in level_map:
        return level_map[levelno]
    if not isinstance(levelno, (int, float)):
        return default
    below = [level for level in level_map if level <= levelno]
    return level_map[max(below)] if below else default
