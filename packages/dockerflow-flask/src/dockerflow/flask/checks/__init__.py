"""Check messages, levels and built-in checks at python-dockerflow's import path.

``from dockerflow.flask import checks`` then ``checks.Error(...)`` keeps
working; the objects are those of :mod:`dockerflow.checks`.
"""

from __future__ import annotations

from ._builtins import check_database_connected, check_migrations_applied, check_redis_connected
from .messages import *  # noqa: F403 (the message classes and levels, per messages.__all__)
from .messages import __all__ as _messages_all

__all__ = [
    *_messages_all,
    "check_database_connected",
    "check_migrations_applied",
    "check_redis_connected",
]
