"""Python logging levels as syslog severities (the mozlog ``Severity`` field)."""

from __future__ import annotations

import logging

#: Syslog severity of each standard Python level (RFC 5424 numbers).
SYSLOG_SEVERITY = {
    logging.CRITICAL: 2,  # critical
    logging.ERROR: 3,  # error
    logging.WARNING: 4,  # warning
    logging.INFO: 6,  # informational
    logging.DEBUG: 7,  # debug
}


def syslog_severity(levelno: object) -> int:
    """Return the syslog severity (0-7) for a Python level number.

    Standard levels map as in :data:`SYSLOG_SEVERITY`. A custom level takes the
    severity of the nearest standard level at or below it, so a level 45 is
    an error and a level 60 critical; anything below ``DEBUG``, or not a
    number, is debug.
    """
    if type(levelno) is int and levelno in SYSLOG_SEVERITY:
        return SYSLOG_SEVERITY[levelno]
    if not isinstance(levelno, (int, float)):
        return SYSLOG_SEVERITY[logging.DEBUG]
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if levelno >= threshold:
            return SYSLOG_SEVERITY[threshold]
    return SYSLOG_SEVERITY[logging.DEBUG]
