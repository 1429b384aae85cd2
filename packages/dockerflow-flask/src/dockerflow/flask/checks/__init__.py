"""Check messages, levels and built-in checks at python-dockerflow's import path.

``from dockerflow.flask import checks`` then ``checks.Error(...)`` keeps
working; the objects are those of :mod:`dockerflow.checks`.
"""

from __future__ import annotations

from .builtins import check_database_connected, check_migrations_applied, check_redis_connected
from .messages import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    STATUSES,
    WARNING,
    CheckMessage,
    Critical,
    Debug,
    Error,
    Info,
    Warning,
    level_to_text,
)

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckMessage",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "check_database_connected",
    "check_migrations_applied",
    "check_redis_connected",
    "level_to_text",
]
