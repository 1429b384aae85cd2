"""check_database_connected against SQLite files and a real PostgreSQL, healthy and failing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from dockerflow import health  # noqa: E402
from dockerflow.checks import Heartbeat  # noqa: E402
from dockerflow.checks.sqlalchemy import check_database_connected, engine_of  # noqa: E402

PASSWORD = "Sup3r-Secret-Pw"


@pytest.fixture
def engines() -> Iterator[list[Any]]:
    """Engines created by a test, disposed afterwards."""
    created: list[Any] = []
    yield created
    for engine in created:
        engine.dispose()


def new_engine(engines: list[Any], url: Any, **kwargs: Any) -> Any:
    engine = sqlalchemy.create_engine(url, **kwargs)
    engines.append(engine)
    return engine


def proxied_url(postgres_url: str, port: int, password: str = PASSWORD) -> Any:
    """The PostgreSQL URL through the proxy, with a password (trust auth ignores it)."""
    return make_url(postgres_url).set(host="127.0.0.1", port=port, password=password)


def only_message(messages: list[Any], expected_id: str) -> str:
    assert [message.id for message in messages] == [expected_id]
    return str(messages[0].msg)


def test_sqlite_file_passes(tmp_path: Path, engines: list[Any]) -> None:
    """A usable SQLite file database gives no message."""
    engine = new_engine(engines, f"sqlite:///{tmp_path / 'app.db'}")
    assert check_database_connected(engine) == []


def test_sqlite_in_missing_directory_fails_with_db_api_error(
    tmp_path: Path, engines: list[Any]
) -> None:
    """A database file that cannot be opened is a DB-API error (E008)."""
    engine = new_engine(engines, f"sqlite:///{tmp_path / 'missing' / 'app.db'}")
    text = only_message(check_database_connected(engine), health.ERROR_DB_API_EXCEPTION)
    assert "unable to open database file" in text


def test_accepts_object_with_engine_attribute(tmp_path: Path, engines: list[Any]) -> None:
    """Anything with an .engine (a Flask-SQLAlchemy db) is accepted; other objects are not."""

    class Holder:
        engine = new_engine(engines, f"sqlite:///{tmp_path / 'h.db'}")

    assert engine_of(Holder()) is Holder.engine
    assert check_database_connected(Holder()) == []
    with pytest.raises(TypeError):
        check_database_connected(object())


def test_flask_sqlalchemy_db_passes_inside_app_context(tmp_path: Path) -> None:
    """A real Flask-SQLAlchemy db works (inside an app context, as the extension runs it)."""
    flask = pytest.importorskip("flask")
    flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")
    app = flask.Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'flask.db'}"
    db = flask_sqlalchemy.SQLAlchemy(app)
    with app.app_context():
        assert check_database_connected(db) == []
        db.engine.dispose()


def test_exhausted_pool_is_a_sqlalchemy_error(tmp_path: Path, engines: list[Any]) -> None:
    """A SQLAlchemy error that is not from the driver (pool timeout) is E009."""
    engine = new_engine(
        engines,
        f"sqlite:///{tmp_path / 'pool.db'}",
        poolclass=sqlalchemy.pool.QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.1,
    )
    with engine.connect():
        text = only_message(check_database_connected(engine), health.ERROR_SQLALCHEMY_EXCEPTION)
    assert "QueuePool limit" in text


@pytest.mark.postgres
def test_postgresql_passes(postgres_url: str, engines: list[Any]) -> None:
    """The real PostgreSQL answers SELECT 1."""
    assert check_database_connected(new_engine(engines, postgres_url)) == []


@pytest.mark.postgres
def test_postgresql_unknown_role_fails_without_showing_password(
    postgres_url: str, engines: list[Any]
) -> None:
    """A refused login is E008 and the URL's password never appears in the message."""
    url = make_url(postgres_url).set(username="no_such_role_dfc", password=PASSWORD)
    text = only_message(
        check_database_connected(new_engine(engines, url)), health.ERROR_DB_API_EXCEPTION
    )
    assert "no_such_role_dfc" in text
    assert PASSWORD not in text


@pytest.mark.postgres
def test_postgresql_stopped_then_back(
    postgres_url: str, postgres_proxy: Any, engines: list[Any]
) -> None:
    """With the server gone the check reports E008 quickly, and passes once it is back."""
    engine = new_engine(engines, proxied_url(postgres_url, postgres_proxy.port))
    runner = Heartbeat(timeout=3)
    checks = {"db": lambda: check_database_connected(engine)}
    assert runner.run(checks).statuses == {"db": "ok"}

    postgres_proxy.stop()
    results = runner.run(checks)
    text = results.details["db"]["messages"][health.ERROR_DB_API_EXCEPTION]
    assert PASSWORD not in text

    postgres_proxy.start()
    assert runner.run(checks).statuses == {"db": "ok"}


@pytest.mark.postgres
def test_postgresql_stall_on_open_connection_times_out_then_recovers(
    postgres_url: str, postgres_proxy: Any, engines: list[Any]
) -> None:
    """A server that stops answering mid-connection is a timeout; resumed, the check passes."""
    engine = new_engine(engines, proxied_url(postgres_url, postgres_proxy.port))
    runner = Heartbeat(timeout=1)
    checks = {"db": lambda: check_database_connected(engine)}
    assert runner.run(checks).statuses == {"db": "ok"}  # pools one open connection

    postgres_proxy.stall()
    results = runner.run(checks)
    assert list(results.details["db"]["messages"]) == [health.ERROR_CHECK_TIMEOUT]

    postgres_proxy.resume()
    deadline = time.monotonic() + 10
    while runner.run(checks).level and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.run(checks).statuses == {"db": "ok"}


@pytest.mark.postgres
def test_postgresql_stall_on_connect_is_bounded_by_connect_timeout(
    postgres_url: str, postgres_proxy: Any, engines: list[Any]
) -> None:
    """With a connect timeout, a stalled server gives E008 before the runner's timeout."""
    engine = new_engine(
        engines,
        proxied_url(postgres_url, postgres_proxy.port),
        poolclass=NullPool,
        connect_args={"connect_timeout": 1},
    )
    runner = Heartbeat(timeout=4)
    checks = {"db": lambda: check_database_connected(engine)}
    postgres_proxy.stall()
    results = runner.run(checks)
    text = results.details["db"]["messages"][health.ERROR_DB_API_EXCEPTION]
    assert PASSWORD not in text

    postgres_proxy.resume()
    assert runner.run(checks).statuses == {"db": "ok"}


def flask_sqlalchemy_db(url: Any) -> Any:
    """A Flask-SQLAlchemy ``db`` with its default engine options, and its app."""
    flask = pytest.importorskip("flask")
    flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")
    app = flask.Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    return app, flask_sqlalchemy.SQLAlchemy(app)


def run_in(app: Any, runner: Heartbeat, db: Any) -> Any:
    def check() -> Any:
        with app.app_context():
            return check_database_connected(db)

    return runner.run({"db": check})


@pytest.mark.postgres
def test_flask_sqlalchemy_default_engine_refused_is_E008_within_the_timeout(
    postgres_url: str, postgres_proxy: Any
) -> None:
    """Default pool settings (pre-ping, a pooled connection): a refusing server is E008, at once."""
    app, db = flask_sqlalchemy_db(proxied_url(postgres_url, postgres_proxy.port))
    runner = Heartbeat(timeout=3)
    assert run_in(app, runner, db).statuses == {"db": "ok"}

    postgres_proxy.stop()  # nothing listens there now: connections are refused
    for _ in range(2):
        results = run_in(app, runner, db)
        messages = results.details["db"]["messages"]
        assert list(messages) == [health.ERROR_DB_API_EXCEPTION], messages
        assert PASSWORD not in messages[health.ERROR_DB_API_EXCEPTION]

    postgres_proxy.start()
    assert run_in(app, runner, db).statuses == {"db": "ok"}
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("pooled", [True, False], ids=["pooled connection", "new connection"])
def test_postgresql_that_accepts_and_never_answers_times_out_naming_the_database(
    postgres_url: str, postgres_proxy: Any, pooled: bool
) -> None:
    """A proxy that accepts and forwards nothing: a timeout whose message names the database."""
    url = proxied_url(postgres_url, postgres_proxy.port)
    app, db = flask_sqlalchemy_db(url)
    runner = Heartbeat(timeout=1)
    if pooled:
        assert run_in(app, runner, db).statuses == {"db": "ok"}

    postgres_proxy.stall()
    results = run_in(app, runner, db)
    text = results.details["db"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert f"waiting on the database {url.render_as_string(hide_password=True)}" in text
    assert f"127.0.0.1:{postgres_proxy.port}" in text
    assert PASSWORD not in text

    postgres_proxy.resume()
    deadline = time.monotonic() + 15
    while run_in(app, runner, db).level and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run_in(app, runner, db).statuses == {"db": "ok"}
    with app.app_context():
        db.engine.dispose()
