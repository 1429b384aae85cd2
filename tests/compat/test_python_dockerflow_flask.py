"""python-dockerflow's Flask names and patterns, used as its services use them.

Only what is python-dockerflow-specific lives here: its import paths and
names (``HeartbeatFailure``, ``extract_request_id``, ``g._request_id``,
``logger`` and ``summary_logger``, the deprecated ``init_check`` and
``checks``), its documented decorator forms and logging configuration, and
patterns found in real services written for it: a module-level ``Dockerflow``
object initialised by an app factory, ``dockerflow.logger.setLevel`` before
``init_app``, checks registered again on each ``create_app()``. The behaviour
itself (heartbeat, versions, signals, request ids, request.summary) is tested
in packages/dockerflow-flask/tests.
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask, g, request

from dockerflow import checks as dockerflow_checks
from dockerflow.flask import Dockerflow, checks
from dockerflow.flask.app import HeartbeatFailure, extract_request_id

HEADERS = {"User-Agent": "dockerflow/tests", "Accept-Language": "tlh"}


@pytest.fixture
def make_app(tmp_path: Path) -> Any:
    """Apps rooted in ``tmp_path/app``, so the default version.json is ``tmp_path``'s."""
    names = iter(range(100))

    def make(**config: Any) -> Flask:
        app = Flask(f"compat_app_{next(names)}", root_path=str(tmp_path / "app"))
        app.config.update(config)
        return app

    return make


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


Records = Callable[[], "list[logging.LogRecord]"]


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Records:
    """Call it for the records of the test so far (request.summary from INFO up).

    The other loggers' own levels decide what else is kept.
    """
    caplog.set_level(logging.INFO, logger="request.summary")
    caplog.handler.setLevel(logging.NOTSET)  # set_level set it to INFO
    return lambda: caplog.records


def summaries(records: Records) -> list[logging.LogRecord]:
    return [record for record in records() if record.name == "request.summary"]


def heartbeat(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/__heartbeat__")
    return response.status_code, response.get_json()


# -- A service module, as real services write it ------------------------------

service_dockerflow = Dockerflow()


def create_app(root: Path, **config: Any) -> Flask:
    """The usual factory: the module-level object, and a check defined in it."""
    app = Flask("compat_service", root_path=str(root))
    app.config.update(config)
    service_dockerflow.init_app(app)

    @service_dockerflow.check
    def storage_reachable() -> list[checks.CheckMessage]:
        return [checks.Warning("storage is slow", id="acme.health.W001")]

    return app


def test_a_factory_registering_its_check_again_makes_a_second_app(tmp_path: Path) -> None:
    """create_app() twice (a pytest fixture per test) works; both apps run the check."""
    first = create_app(tmp_path / "first")
    second = create_app(tmp_path / "second")

    for app in (first, second):
        status, body = heartbeat(app)
        assert status == 200
        assert body["checks"] == {"storage_reachable": "warning"}
        assert body["details"]["storage_reachable"]["messages"] == {
            "acme.health.W001": "storage is slow"
        }


def test_the_logger_level_pattern_of_real_services(make_app: Any) -> None:
    """``dockerflow.logger.setLevel(ERROR)`` then ``init_app``: starts, keeps the level."""
    dockerflow = Dockerflow(version_path="/app")

    def init_app(app: Flask) -> Dockerflow:
        # Suppress heartbeat logs
        dockerflow.logger.setLevel(logging.ERROR)
        dockerflow.init_app(app)
        return dockerflow

    app = make_app()
    init_app(app)

    assert app.test_client().get("/__lbheartbeat__").status_code == 200
    assert logging.getLogger("dockerflow.flask").level == logging.ERROR
    assert app.extensions["dockerflow"].version_path == "/app"


def test_the_loggers_are_python_dockerflows_and_left_as_the_app_set_them(app: Flask) -> None:
    """``logger`` is ``dockerflow.flask``, ``summary_logger`` is ``request.summary``."""
    flask_logger = logging.getLogger("dockerflow.flask")
    summary_logger = logging.getLogger("request.summary")
    flask_logger.setLevel(logging.WARNING)
    summary_logger.setLevel(logging.CRITICAL)
    before = [(lg.level, list(lg.handlers)) for lg in (flask_logger, summary_logger)]

    dockerflow = Dockerflow(app)
    app.test_client().get("/__lbheartbeat__")

    assert dockerflow.logger is flask_logger
    assert dockerflow.summary_logger is summary_logger
    assert [(lg.level, list(lg.handlers)) for lg in (flask_logger, summary_logger)] == before


def exercise_everything(app: Flask, dockerflow: Dockerflow, tmp_path: Path) -> None:
    """Make the extension log all it can: checks, broken version, errors, users."""
    flask_login = pytest.importorskip("flask_login")
    manager = flask_login.LoginManager(app)

    @manager.request_loader
    def broken_loader(request: Any) -> Any:
        raise RuntimeError("the user table is gone")

    @dockerflow.check
    def raises() -> list[checks.CheckMessage]:
        raise OSError("disk on fire")

    @dockerflow.check
    def errs() -> list[checks.CheckMessage]:
        return [checks.Error("an error", id="acme.E001")]

    (tmp_path / "version.json").write_text("{not json")
    client = app.test_client()
    client.get("/__heartbeat__")
    client.get("/__version__")
    client.get("/__error__")
    client.get("/__lbheartbeat__")


def test_everything_the_extension_logs_goes_through_its_logger(
    app: Flask, tmp_path: Path, records: Records
) -> None:
    """Apart from request.summary, the extension's own records are on dockerflow.flask."""
    dockerflow = Dockerflow(app)
    dockerflow.logger.setLevel(logging.DEBUG)

    exercise_everything(app, dockerflow, tmp_path)

    names = {record.name for record in records()}
    assert "dockerflow.flask" in names
    # Checks log through dockerflow-checks' loggers, the heartbeat's summary
    # on dockerflow.heartbeat; Flask logs the raised /__error__ exception on
    # the app's own logger.
    assert names <= {
        "dockerflow.flask",
        "dockerflow.heartbeat",
        "request.summary",
        app.logger.name,
    } | {name for name in names if name.startswith("dockerflow.checks")}
    flask_levels = {record.levelno for record in records() if record.name == "dockerflow.flask"}
    assert logging.DEBUG in flask_levels
    assert logging.ERROR in flask_levels


@pytest.mark.parametrize("level", [logging.ERROR, logging.CRITICAL])
def test_the_level_the_app_sets_silences_what_is_below_it(
    app: Flask, tmp_path: Path, records: Records, level: int
) -> None:
    """``dockerflow.logger.setLevel(level)`` leaves no dockerflow.flask record below it."""
    dockerflow = Dockerflow()
    dockerflow.logger.setLevel(level)
    dockerflow.init_app(app)

    exercise_everything(app, dockerflow, tmp_path)

    flask_levels = [record.levelno for record in records() if record.name == "dockerflow.flask"]
    assert all(levelno >= level for levelno in flask_levels)
    assert (logging.ERROR in flask_levels) is (level == logging.ERROR)


# -- Custom checks -------------------------------------------------------------


def test_the_three_documented_check_decorators(app: Flask) -> None:
    """``@dockerflow.check``, ``@dockerflow.check()`` and ``@dockerflow.check(name=...)``."""
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def error_check() -> list[checks.CheckMessage]:
        return [checks.Error("some error", id="tests.checks.E001")]

    @dockerflow.check()
    def warning_check() -> list[checks.CheckMessage]:
        return [checks.Warning("some warning", id="tests.checks.W001")]

    @dockerflow.check(name="warning-check-two")
    def warning_check2() -> list[checks.CheckMessage]:
        return [checks.Warning("some other warning", id="tests.checks.W002")]

    status, body = heartbeat(app)

    assert status == 500
    assert body["status"] == "error"
    assert body["checks"] == {
        "error_check": "error",
        "warning_check": "warning",
        "warning-check-two": "warning",
    }
    assert body["details"]["error_check"] == {
        "status": "error",
        "level": checks.ERROR,
        "messages": {"tests.checks.E001": "some error"},
    }


def test_heartbeat_failure_is_importable_and_never_raised(app: Flask) -> None:
    """A failed heartbeat is a plain response; a HeartbeatFailure handler is not called."""
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [checks.Error("down", id="acme.E001")], name="down")
    handled: list[Exception] = []

    @app.errorhandler(HeartbeatFailure)
    def on_failure(error: HeartbeatFailure) -> tuple[str, int]:
        handled.append(error)
        return "rewritten", 599

    status, body = heartbeat(app)

    assert issubclass(HeartbeatFailure, Exception)
    assert (status, body["status"], handled) == (500, "error", [])


def test_init_check_and_the_checks_attribute(app: Flask) -> None:
    """The legacy ``init_check(check, obj)`` and ``checks`` still work, with a warning."""
    dockerflow = Dockerflow(app)

    def error_check_partial(obj: Any) -> list[checks.CheckMessage]:
        return [checks.Error(repr(obj), id="tests.checks.E001")]

    with pytest.deprecated_call():
        dockerflow.init_check(error_check_partial, ("foo", "bar"))
    with pytest.deprecated_call():
        listed = dockerflow.checks

    status, body = heartbeat(app)

    assert list(listed) == ["error_check_partial"]
    assert status == 500
    assert body["details"]["error_check_partial"]["messages"] == {
        "tests.checks.E001": "('foo', 'bar')"
    }


def test_init_check_in_a_factory_with_the_same_object(make_app: Any) -> None:
    """``init_check(check, db)`` on each ``create_app()``: one check, the newest."""
    dockerflow = Dockerflow()
    shared = object()

    def uses(obj: Any) -> list[checks.CheckMessage]:
        return []

    for _ in range(2):
        dockerflow.init_app(make_app())
        with pytest.deprecated_call():
            dockerflow.init_check(uses, shared)

    other = object()
    with pytest.deprecated_call():
        dockerflow.init_check(uses, other)
    (check,) = dockerflow.registry.get_checks().values()
    assert check.args == (other,)  # type: ignore[attr-defined]


def test_built_in_database_check_through_the_db_argument(app: Flask, tmp_path: Path) -> None:
    """``Dockerflow(app, db=db)`` adds check_database_connected (a real SQLite file)."""
    flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")
    database = tmp_path / "service.db"
    sqlite3.connect(database).close()
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    db = flask_sqlalchemy.SQLAlchemy(app)

    dockerflow = Dockerflow(app, db=db)
    try:
        status, body = heartbeat(app)
    finally:
        with app.app_context():
            db.engine.dispose()

    assert (status, body["checks"]) == (200, {"check_database_connected": "ok"})
    with pytest.deprecated_call():
        assert "check_database_connected" in dockerflow.checks
    # The one documented difference: built-ins belong to the object, not to
    # the module-level registry (docs/migration.md).
    assert "check_database_connected" not in dockerflow_checks.get_checks()


# -- Request ids and request.summary --------------------------------------------


def test_a_request_id_the_app_set_in_g_is_kept(app: Flask, records: Records) -> None:
    """An app's own ``g.request_id`` wins in ``g``; the summary keeps the request's id."""
    Dockerflow(app)
    seen: list[str] = []

    @app.before_request
    def set_dummy_request_id() -> None:
        g.request_id = "predefined-request-id"

    @app.route("/")
    def index() -> str:
        seen.append(g.request_id)
        return ""

    app.test_client().get("/", headers={"X-Request-ID": "from-header"})

    assert seen == ["predefined-request-id"]
    assert [record.rid for record in summaries(records)] == ["from-header"]


def test_extract_request_id(app: Flask) -> None:
    """python-dockerflow's ``extract_request_id(request)``: the request's id, in g too."""
    Dockerflow(app)
    seen: list[tuple[str, str, str]] = []

    @app.route("/")
    def index() -> str:
        seen.append((extract_request_id(request), g.request_id, g._request_id))
        return ""

    def in_a_test_request_context() -> str:
        with app.test_request_context("/", headers={"X-Request-ID": "in-a-test-context"}):
            return extract_request_id(request)

    app.test_client().get("/", headers={"X-Request-ID": "abc-123"})
    # Outside the extension's request handling the id stays set, as it did
    # with python-dockerflow: a copied context keeps it out of later tests.
    outside_the_wrapper = contextvars.copy_context().run(in_a_test_request_context)

    assert seen == [("abc-123", "abc-123", "abc-123")]
    assert outside_the_wrapper == "in-a-test-context"


def test_json_log_formatter_on_request_summary_through_dict_config(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented dictConfig, with ``logger_name``, writes one mozlog line per request."""
    logging.config.dictConfig(
        {
            "version": 1,
            # The documentation's example leaves this True, which disables
            # every logger created before it; tests share one process.
            "disable_existing_loggers": False,
            "formatters": {
                "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"}
            },
            "handlers": {
                "console": {
                    "level": "DEBUG",
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stdout",
                }
            },
            "loggers": {"request.summary": {"handlers": ["console"], "level": "DEBUG"}},
        }
    )
    Dockerflow(app)

    app.test_client().get("/__lbheartbeat__", headers={**HEADERS, "X-Request-ID": "abc-123"})

    (line,) = capsys.readouterr().out.splitlines()
    entry = json.loads(line)
    assert (entry["Type"], entry["Logger"], entry["EnvVersion"], entry["Severity"]) == (
        "request.summary",
        "myproject",
        "2.0",
        6,
    )
    assert entry["Fields"]["path"] == "/__lbheartbeat__"
    assert entry["Fields"]["rid"] == "abc-123"
    assert entry["Fields"]["agent"] == "dockerflow/tests"
