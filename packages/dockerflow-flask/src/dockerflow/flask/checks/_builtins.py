"""The built-in checks under the names python-dockerflow's Flask module used.

Each one hands over to :mod:`dockerflow.checks`, importing the backend module
only when called, so importing this module needs none of SQLAlchemy, redis-py
or Alembic. The Flask extension runs them inside an app context, which a
Flask-SQLAlchemy ``db.engine`` needs.
"""

from __future__ import annotations

from typing import Any

from dockerflow.checks import CheckMessage

__all__ = ["check_database_connected", "check_migrations_applied", "check_redis_connected"]


def check_database_connected(db: Any) -> list[CheckMessage]:
    """Connect through ``db`` (Flask-SQLAlchemy or an Engine) and run ``SELECT 1``."""
    from dockerflow.checks.sqlalchemy import check_database_connected as check

    return check(db)


def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Send ``PING`` through the redis-py ``client``."""
    from dockerflow.checks.redis import check_redis_connected as check

    return check(client)


def check_migrations_applied(migrate: Any) -> list[CheckMessage]:
    """Compare the database's Alembic heads with a Flask-Migrate ``migrate``'s scripts."""
    from dockerflow.checks.alembic import check_migrations_applied as check

    return check(migrate)
