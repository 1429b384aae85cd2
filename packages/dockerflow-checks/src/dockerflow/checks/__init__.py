"""Dockerflow health checks: messages, registries, a concurrent runner.

Importing this package imports the standard library only; the built-in
checks live in :mod:`dockerflow.checks.sqlalchemy`,
:mod:`dockerflow.checks.redis` and :mod:`dockerflow.checks.alembic`.
"""

from __future__ import annotations

from ._coroutines import is_async_check
from ._heartbeat import log_heartbeat
from ._masking import mask_credentials
from ._results import ChecksResults
from ._runner import (
    DEFAULT_CHECK_TIMEOUT,
    CheckRunner,
    run_checks,
    run_checks_async,
)
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
    "CheckRunner",
    "ChecksResults",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "clear_checks",
    "default_registry",
    "get_checks",
    "is_async_check",
    "level_to_text",
    "log_heartbeat",
    "mask_credentials",
    "register",
    "register_partial",
    "run_checks",
    "run_checks_async",
]
