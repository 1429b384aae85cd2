"""Dockerflow health checks: messages, registries, and the heartbeat that runs them.

Importing this package imports the standard library only; the built-in
checks live in :mod:`dockerflow.checks.sqlalchemy`,
:mod:`dockerflow.checks.redis` and :mod:`dockerflow.checks.alembic`.
"""

from __future__ import annotations

from ._masking import mask_credentials
from ._results import ChecksResults
from ._runner import DEFAULT_CHECK_TIMEOUT, Heartbeat, run_checks, run_checks_async
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
from .registry import (
    CheckFunction,
    CheckRegistry,
    clear_checks,
    default_registry,
    get_checks,
    register,
    register_partial,
)

__all__ = [
    "CRITICAL",
    "DEBUG",
    "DEFAULT_CHECK_TIMEOUT",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckFunction",
    "CheckMessage",
    "CheckRegistry",
    "ChecksResults",
    "Critical",
    "Debug",
    "Error",
    "Heartbeat",
    "Info",
    "Warning",
    "clear_checks",
    "default_registry",
    "get_checks",
    "level_to_text",
    "mask_credentials",
    "register",
    "register_partial",
    "run_checks",
    "run_checks_async",
]
