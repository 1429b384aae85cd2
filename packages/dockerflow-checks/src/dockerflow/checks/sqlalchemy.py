"""Built-in check: the database answers ``SELECT 1`` (needs the ``sqlalchemy`` extra)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from dockerflow import health

from ._masking import mask_credentials
from ._waiting import note_waiting_on
from .messages import CheckMessage, Error

__all__ = ["check_database_connected", "engine_of"]


def engine_of(db_or_engine: Any) -> Engine:
    """The engine itself, or the ``.engine`` of a Flask-SQLAlchemy ``db``."""
    if isinstance(db_or_engine, Engine):
        return db_or_engine
    engine = getattr(db_or_engine, "engine", None)
    if isinstance(engine, Engine):
        return engine
    raise TypeError(
        f"expected a SQLAlchemy Engine or an object with an .engine, not {db_or_engine!r}"
    )


def check_database_connected(db_or_engine: Any) -> list[CheckMessage]:
    """Connect through ``db_or_engine`` and run ``SELECT 1``.

    Takes a SQLAlchemy :class:`~sqlalchemy.engine.Engine` or a Flask-SQLAlchemy
    ``db`` (whose ``.engine`` needs an app context). Reports
    ``dockerflow.health.E008`` for a driver error (cannot connect, query
    failed) and ``E009`` for any other SQLAlchemy error, with passwords masked.
    The engine's own connect timeout bounds the connection attempt, e.g.
    ``create_engine(url, connect_args={"connect_timeout": 2})`` for psycopg;
    when the runner's timeout comes first, its message names the database.
    """
    engine = engine_of(db_or_engine)
    note_waiting_on(f"the database {engine.url.render_as_string(hide_password=True)}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        message = f"DB-API error: {mask_credentials(str(exc))}"
        return [Error(message, id=health.ERROR_DB_API_EXCEPTION)]
    except SQLAlchemyError as exc:
        message = f'Database misconfigured: "{mask_credentials(str(exc))}"'
        return [Error(message, id=health.ERROR_SQLALCHEMY_EXCEPTION)]
    return []
