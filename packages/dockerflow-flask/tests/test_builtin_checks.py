"""Built-in checks wired through Dockerflow(db=, redis=, migrate=) against real services."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow

flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")

MIGRATION_ENV = """
from alembic import context
from flask import current_app

db = current_app.extensions["migrate"].db
with db.engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""

FIRST_REVISION = '''
"""Create the widgets table."""
import sqlalchemy as sa
from alembic import op

revision = "0001_widgets"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("widgets")
'''


def heartbeat(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/__heartbeat__")
    return response.status_code, response.get_json()


@pytest.fixture
def sql_app(make_app: Any) -> Iterator[Any]:
    """Build an app with Flask-SQLAlchemy on a URL; engines are disposed afterwards."""
    made: list[tuple[Flask, Any]] = []

    def build(url: str, **dockerflow_args: Any) -> tuple[Flask, Any]:
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
        db = flask_sqlalchemy.SQLAlchemy(app)
        made.append((app, db))
        return app, db

    yield build
    for app, db in made:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.postgres
def test_database_check_passes_against_real_postgresql(sql_app: Any, postgres_url: str) -> None:
    """Dockerflow(db=db) adds check_database_connected, ok on a live PostgreSQL."""
    app, db = sql_app(postgres_url)
    Dockerflow(app, db=db)

    assert heartbeat(app) == (
        200,
        {"status": "ok", "checks": {"check_database_connected": "ok"}, "details": {}},
    )


@pytest.mark.postgres
def test_database_check_fails_and_masks_the_password(
    sql_app: Any, postgres_url: str, free_port: int
) -> None:
    """An unreachable PostgreSQL is an error, and the URL's password never reaches the body."""
    url = f"postgresql+psycopg://postgres:sup3rs3cret@127.0.0.1:{free_port}/test?connect_timeout=2"
    app, db = sql_app(url)
    Dockerflow(app, db=db)

    status, body = heartbeat(app)

    assert status == 500
    assert body["checks"] == {"check_database_connected": "error"}
    assert "sup3rs3cret" not in str(body)


def test_database_check_passes_against_an_sqlite_file(sql_app: Any, tmp_path: Path) -> None:
    """An SQLite file database is checked the same way."""
    app, db = sql_app(f"sqlite:///{tmp_path / 'app.db'}")
    Dockerflow(app, db=db)

    assert heartbeat(app)[1]["checks"] == {"check_database_connected": "ok"}


@pytest.mark.redis
def test_redis_check_passes_against_real_redis(app: Flask, redis_url: str) -> None:
    """Dockerflow(redis=client) adds check_redis_connected, ok on a live Redis."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(redis_url)
    try:
        Dockerflow(app, redis=client)
        assert heartbeat(app) == (
            200,
            {"status": "ok", "checks": {"check_redis_connected": "ok"}, "details": {}},
        )
    finally:
        client.close()


def test_redis_check_fails_when_nothing_listens(app: Flask, free_port: int) -> None:
    """A Redis port with no server behind it is an error."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=free_port, socket_connect_timeout=2)
    try:
        Dockerflow(app, redis=client)
        status, body = heartbeat(app)
    finally:
        client.close()

    assert status == 500
    assert body["checks"] == {"check_redis_connected": "error"}


def test_migrations_check_warns_when_behind_and_passes_at_head(
    sql_app: Any, tmp_path: Path
) -> None:
    """With Flask-Migrate: an unapplied revision is a warning (still 200), upgraded is ok."""
    flask_migrate = pytest.importorskip("flask_migrate")
    directory = tmp_path / "migrations"
    (directory / "versions").mkdir(parents=True)
    (directory / "alembic.ini").write_text("[alembic]\n")
    (directory / "env.py").write_text(textwrap.dedent(MIGRATION_ENV))
    (directory / "versions" / "0001_widgets.py").write_text(FIRST_REVISION)
    app, db = sql_app(f"sqlite:///{tmp_path / 'migrated.db'}")
    migrate = flask_migrate.Migrate(app, db, directory=str(directory))
    Dockerflow(app, db=db, migrate=migrate)

    behind_status, behind = heartbeat(app)
    with app.app_context():
        flask_migrate.upgrade(directory=str(directory))
    head_status, at_head = heartbeat(app)

    assert behind_status == 200
    assert behind["checks"]["check_migrations_applied"] == "warning"
    (message,) = behind["details"]["check_migrations_applied"]["messages"].values()
    assert "0001_widgets" in message
    assert head_status == 200
    assert at_head["checks"] == {"check_database_connected": "ok", "check_migrations_applied": "ok"}


def test_builtin_checks_of_one_app_stay_out_of_another(
    sql_app: Any, make_app: Any, tmp_path: Path
) -> None:
    """Dockerflow(app, db=db) adds the database check to that app only."""
    app, db = sql_app(f"sqlite:///{tmp_path / 'one.db'}")
    Dockerflow(app, db=db)
    other = make_app()
    Dockerflow(other)

    assert heartbeat(other)[1]["checks"] == {}
    assert heartbeat(app)[1]["checks"] == {"check_database_connected": "ok"}
