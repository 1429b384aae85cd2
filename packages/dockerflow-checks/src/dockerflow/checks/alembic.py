"""Built-in check: every Alembic migration is applied (needs the ``alembic`` extra)."""

from __future__ import annotations

from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from dockerflow import health

from ._masking import mask_credentials
from ._waiting import note_waiting_on
from .messages import CheckMessage, Info, Warning
from .sqlalchemy import engine_of

__all__ = ["check_migrations_applied"]

_VERSION_TABLE = "alembic_version"


def _script_and_engine(migrate_or_config: Any, engine: Any) -> tuple[ScriptDirectory, Engine, bool]:
    """The script directory, the engine, and whether the engine is ours to dispose."""
    if hasattr(migrate_or_config, "get_config") and hasattr(migrate_or_config, "db"):
        # Flask-Migrate; older versions need the directory passed explicitly.
        directory = getattr(migrate_or_config, "directory", None)
        config = migrate_or_config.get_config(directory=directory)
        resolved = engine_of(engine if engine is not None else migrate_or_config.db)
        return ScriptDirectory.from_config(config), resolved, False
    if isinstance(migrate_or_config, ScriptDirectory):
        script = migrate_or_config
    elif isinstance(migrate_or_config, Config):
        script = ScriptDirectory.from_config(migrate_or_config)
        url = migrate_or_config.get_main_option("sqlalchemy.url")
        if engine is None and url:
            return script, create_engine(url, poolclass=NullPool), True
    else:
        raise TypeError(
            "expected a Flask-Migrate Migrate, an Alembic Config or ScriptDirectory, "
            f"not {migrate_or_config!r}"
        )
    if engine is None:
        raise TypeError("pass engine= (a SQLAlchemy Engine or Flask-SQLAlchemy db)")
    return script, engine_of(engine), False


def _applied_heads(connection: Any) -> set[str]:
    """The revisions in Alembic's default version table (none when it is not there).

    Read with SQLAlchemy: Alembic's ``MigrationContext`` would log two INFO
    lines ("Context impl ...", "Will assume ... DDL") on every heartbeat.
    """
    if not inspect(connection).has_table(_VERSION_TABLE):
        return set()
    return {row[0] for row in connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}"))}


def check_migrations_applied(
    migrate_or_config: Any, engine: Any | None = None
) -> list[CheckMessage]:
    """Compare the database's Alembic revisions with the migration scripts' heads.

    Takes a Flask-Migrate ``Migrate`` (its ``get_config()`` and ``db``; needs
    an app context), or an Alembic ``Config`` or ``ScriptDirectory`` plus
    ``engine`` (an Engine or a Flask-SQLAlchemy ``db``; a ``Config`` with a
    ``sqlalchemy.url`` needs none). Reports ``dockerflow.health.W001`` when
    the database is not at every head, and ``I001`` when the database cannot
    be asked.
    """
    script, resolved, owned = _script_and_engine(migrate_or_config, engine)
    script_heads = set(script.get_heads())
    note_waiting_on(f"the database {resolved.url.render_as_string(hide_password=True)}")
    try:
        with resolved.connect() as connection:
            db_heads = _applied_heads(connection)
    except SQLAlchemyError as exc:
        message = f"Can't connect to database to check migrations: {mask_credentials(str(exc))}"
        return [Info(message, id=health.INFO_CANT_CHECK_MIGRATIONS)]
    finally:
        if owned:
            resolved.dispose()
    if db_heads == script_heads:
        return []
    missing = sorted(script_heads - db_heads)
    if missing:
        message = f"Unapplied migrations found: {', '.join(missing)}"
    else:
        unknown = ", ".join(sorted(db_heads - script_heads))
        message = f"Database is at revisions the migration scripts do not have: {unknown}"
    return [Warning(message, id=health.WARNING_UNAPPLIED_MIGRATION)]
