"""check_migrations_applied with real Alembic revisions on SQLite files and PostgreSQL."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

alembic = pytest.importorskip("alembic")
sqlalchemy = pytest.importorskip("sqlalchemy")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from dockerflow import health  # noqa: E402
from dockerflow.checks.alembic import check_migrations_applied  # noqa: E402

# Migrations run on the connection the test hands over, like an app's env.py would.
ENV_PY = """
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
"""


def new_config(tmp_path: Path) -> Config:
    """A real Alembic environment in tmp_path, without revisions yet."""
    directory = tmp_path / "migrations"
    config = Config(str(tmp_path / "alembic.ini"), stdout=io.StringIO())
    command.init(config, str(directory))
    (directory / "env.py").write_text(ENV_PY, encoding="utf-8")
    config.set_main_option("script_location", str(directory))
    return config


def add_revision(config: Config, rev_id: str, head: str = "head", splice: bool = False) -> None:
    command.revision(config, message=f"revision {rev_id}", rev_id=rev_id, head=head, splice=splice)


def upgrade(config: Config, engine: Any, target: str) -> None:
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    config.attributes.pop("connection")


@pytest.fixture
def linear(tmp_path: Path) -> Config:
    """Two revisions: a1 then b2."""
    config = new_config(tmp_path)
    add_revision(config, "a1")
    add_revision(config, "b2")
    return config


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Any]:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Any]:
    """An engine whose search_path is a schema of this test's own, dropped afterwards."""
    schema = f"dfc_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    engine = sqlalchemy.create_engine(
        postgres_url, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_database_at_head_passes(linear: Config, sqlite_engine: Any) -> None:
    """Every revision applied: no message."""
    upgrade(linear, sqlite_engine, "head")
    assert check_migrations_applied(linear, sqlite_engine) == []


def test_database_behind_warns_with_missing_head(linear: Config, sqlite_engine: Any) -> None:
    """A database one revision behind is W001 naming the unapplied head."""
    upgrade(linear, sqlite_engine, "a1")
    messages = check_migrations_applied(linear, sqlite_engine)
    assert ids(messages) == [health.WARNING_UNAPPLIED_MIGRATION]
    assert messages[0].msg == "Unapplied migrations found: b2"
    assert messages[0].level == 30


def test_fresh_database_warns(linear: Config, sqlite_engine: Any) -> None:
    """A database that never ran a migration is behind too."""
    assert ids(check_migrations_applied(linear, sqlite_engine)) == [
        health.WARNING_UNAPPLIED_MIGRATION
    ]


def test_multiple_heads_need_every_head_applied(tmp_path: Path, sqlite_engine: Any) -> None:
    """With two branches, one applied head is not enough; both applied pass."""
    config = new_config(tmp_path)
    add_revision(config, "a1")
    add_revision(config, "b2", head="a1")
    add_revision(config, "c2", head="a1", splice=True)
    assert sorted(ScriptDirectory.from_config(config).get_heads()) == ["b2", "c2"]

    upgrade(config, sqlite_engine, "b2")
    messages = check_migrations_applied(config, sqlite_engine)
    assert [m.msg for m in messages] == ["Unapplied migrations found: c2"]

    upgrade(config, sqlite_engine, "heads")
    assert check_migrations_applied(config, sqlite_engine) == []


def test_unreachable_database_is_info(linear: Config, tmp_path: Path) -> None:
    """When the database cannot be asked the check says so at INFO (I001)."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'missing' / 'app.db'}")
    messages = check_migrations_applied(linear, engine)
    engine.dispose()
    assert ids(messages) == [health.INFO_CANT_CHECK_MIGRATIONS]
    assert messages[0].level == 20


def test_config_with_url_needs_no_engine(linear: Config, tmp_path: Path) -> None:
    """An Alembic Config carrying sqlalchemy.url is enough on its own."""
    url = f"sqlite:///{tmp_path / 'by_url.db'}"
    engine = sqlalchemy.create_engine(url)
    upgrade(linear, engine, "head")
    engine.dispose()
    linear.set_main_option("sqlalchemy.url", url)
    assert check_migrations_applied(linear) == []


def test_script_directory_and_engine(linear: Config, sqlite_engine: Any) -> None:
    """A ScriptDirectory plus an engine works; without an engine it is a TypeError."""
    script = ScriptDirectory.from_config(linear)
    upgrade(linear, sqlite_engine, "head")
    assert check_migrations_applied(script, sqlite_engine) == []
    with pytest.raises(TypeError, match="engine"):
        check_migrations_applied(script)


def test_flask_migrate_object(tmp_path: Path) -> None:
    """A real Flask-Migrate object: its get_config() and db are used (in an app context)."""
    flask = pytest.importorskip("flask")
    flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")
    flask_migrate = pytest.importorskip("flask_migrate")
    config = new_config(tmp_path)
    add_revision(config, "a1")
    add_revision(config, "b2")

    app = flask.Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'flask.db'}"
    db = flask_sqlalchemy.SQLAlchemy(app)
    migrate = flask_migrate.Migrate(app, db, directory=str(tmp_path / "migrations"))
    with app.app_context():
        upgrade(config, db.engine, "a1")
        assert [m.msg for m in check_migrations_applied(migrate)] == [
            "Unapplied migrations found: b2"
        ]
        upgrade(config, db.engine, "b2")
        assert check_migrations_applied(migrate) == []
        db.engine.dispose()


@pytest.mark.postgres
def test_postgresql_behind_then_at_head(linear: Config, postgres_engine: Any) -> None:
    """On PostgreSQL, behind is W001 and at head passes."""
    upgrade(linear, postgres_engine, "a1")
    assert ids(check_migrations_applied(linear, postgres_engine)) == [
        health.WARNING_UNAPPLIED_MIGRATION
    ]
    upgrade(linear, postgres_engine, "head")
    assert check_migrations_applied(linear, postgres_engine) == []


@pytest.mark.postgres
def test_postgresql_unreachable_is_info_without_password(
    linear: Config, postgres_url: str, postgres_proxy: Any
) -> None:
    """With the server gone the check is I001, and the URL's password is not shown."""
    url = make_url(postgres_url).set(host="127.0.0.1", port=postgres_proxy.port, password="PgPw-9")
    engine = sqlalchemy.create_engine(url)
    postgres_proxy.stop()
    messages = check_migrations_applied(linear, engine)
    engine.dispose()
    assert ids(messages) == [health.INFO_CANT_CHECK_MIGRATIONS]
    assert "PgPw-9" not in messages[0].msg


def test_a_run_writes_no_alembic_line(
    linear: Config, sqlite_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A service polled every few seconds: Alembic says nothing at INFO on each run."""
    upgrade(linear, sqlite_engine, "head")
    caplog.set_level(logging.DEBUG)

    assert check_migrations_applied(linear, sqlite_engine) == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
