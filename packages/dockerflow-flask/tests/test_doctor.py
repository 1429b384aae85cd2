"""The doctor's rules on real apps: each passes when followed and fails, saying why, when broken."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, text

from dockerflow.flask import Dockerflow
from dockerflow.flask.testing import (
    DockerflowComplianceError,
    DoctorReport,
    RuleResult,
    assert_dockerflow_compliant,
    check_dockerflow_compliance,
)
from dockerflow.logging import JsonLogFormatter
from testing_support import doctor_projects as support

SUMMARY = support.SUMMARY


@pytest.fixture(autouse=True)
def _mozlog_summary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """request.summary at INFO on a mozlog handler; a cwd with no server config in it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    with support.logging_state(SUMMARY, "request"):
        logger = logging.getLogger(SUMMARY)
        logger.setLevel(logging.INFO)
        logger.addHandler(support.mozlog_handler())
        yield


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return support.make_project(tmp_path)


def result_of(report: DoctorReport, rule: str) -> RuleResult:
    (result,) = [result for result in report.results if result.rule == rule]
    return result


def failure(app: Flask, rule: str, **kwargs: Any) -> RuleResult:
    """The result of ``rule``, which must have failed, with the error raised for it."""
    with pytest.raises(DockerflowComplianceError) as raised:
        assert_dockerflow_compliant(app, **kwargs)
    result = result_of(raised.value.report, rule)
    assert result.outcome == "fail", raised.value.report.render()
    assert result.fix
    assert rule in str(raised.value)
    return result


def sqlite_app(project: Path, **config: Any) -> tuple[Flask, SQLAlchemy]:
    app = support.project_app(
        project, SQLALCHEMY_DATABASE_URI=f"sqlite:///{project / 'notes.sqlite'}", **config
    )
    db = SQLAlchemy(app)
    Dockerflow(app, db=db)
    return app, db


# the whole report ---------------------------------------------------------


def test_app_with_sqlite_and_redis_following_every_rule_passes(project, redis_url):
    """A real app with a SQLite db and a Redis client passes all five rules."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    app = support.project_app(project, SQLALCHEMY_DATABASE_URI=f"sqlite:///{project}/db.sqlite")
    db = SQLAlchemy(app)
    Dockerflow(app, db=db, redis=client)
    app.extensions["cache"] = client

    report = assert_dockerflow_compliant(app)

    assert [result.rule for result in report.results] == [
        "version.json",
        "/__lbheartbeat__",
        "/__heartbeat__",
        "request.summary",
        "$PORT",
    ]
    assert [result.outcome for result in report.results] == ["pass"] * 5
    watched = result_of(report, "/__lbheartbeat__").detail
    assert "every SQLAlchemy engine" in watched
    assert "app.extensions['cache']" in watched
    assert "check_redis_connected" not in result_of(report, "/__heartbeat__").detail
    assert report.render().endswith("No rule failed: 5 passed, 0 skipped.")


def test_app_without_the_extension_fails_with_one_result(project):
    """An app with no Dockerflow extension fails, and the report says how to add it."""
    report = check_dockerflow_compliance(support.project_app(project))
    (result,) = report.results
    assert result.outcome == "fail"
    assert "Dockerflow(app)" in result.fix


def test_watchers_are_removed_after_the_doctor(project, redis_url):
    """The redis pool and SQLAlchemy's pool events are as before once the doctor is done."""
    client = redis.Redis.from_url(redis_url)
    app, _ = sqlite_app(project)
    app.extensions["cache"] = client
    engine = create_engine("sqlite://")
    listeners_before = len(list(engine.pool.dispatch.checkout))
    check_dockerflow_compliance(app, backends=[client])
    assert "get_connection" not in vars(client.connection_pool)
    assert len(list(engine.pool.dispatch.checkout)) == listeners_before
    assert client.ping() is True


def test_an_unknown_backend_is_refused(project):
    """A backend the doctor cannot watch is a TypeError naming it, before any request."""
    app, _ = sqlite_app(project)
    with pytest.raises(TypeError, match=r"backends\[0\]"):
        check_dockerflow_compliance(app, backends=[object()])


# version.json ---------------------------------------------------------------


def test_missing_version_json_fails_naming_where_the_app_looks(tmp_path):
    """No version.json: the failure names the file the app reads and the command that writes it."""
    project = support.make_project(tmp_path, version=None)
    app, _ = sqlite_app(project)
    result = failure(app, "version.json")
    assert str(project / "version.json") in result.detail
    assert f"flask dockerflow version --write {project / 'version.json'}" in result.fix


def test_version_json_that_is_not_json_fails(tmp_path):
    project = support.make_project(tmp_path, version='{"commit": ')
    app, _ = sqlite_app(project)
    assert "is not valid JSON" in failure(app, "version.json").detail


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("commit", "52ce614", "not a 40-character hex git SHA"),
        ("commit", "z" * 40, "not a 40-character hex git SHA"),
        ("source", "git@github.com:acme/notes.git", "source is 'git@github.com:acme/notes.git'"),
        ("build", "", "build is empty, not an http(s) URL"),
        ("version", None, "must be strings"),
    ],
)
def test_implausible_version_fields_fail(tmp_path, field, value, words):
    """A short or non-hex commit, a source or build that is no URL, a non-string field fail."""
    project = support.make_project(tmp_path, version={**support.VERSION, field: value})
    app, _ = sqlite_app(project)
    assert words in failure(app, "version.json").detail


def test_missing_version_fields_are_named(tmp_path):
    version = {"commit": support.SHA, "version": "v1"}
    project = support.make_project(tmp_path, version=version)
    app, _ = sqlite_app(project)
    assert "lacks source, build" in failure(app, "version.json").detail


def test_empty_release_version_passes(tmp_path):
    """The spec lets a non-release build leave version empty."""
    project = support.make_project(tmp_path, version={**support.VERSION, "version": ""})
    app, _ = sqlite_app(project)
    result = result_of(assert_dockerflow_compliant(app), "version.json")
    assert "no release version" in result.detail


def test_version_path_and_version_callback_are_where_the_doctor_looks(tmp_path):
    """The extension's version_path, then its version_callback, are what the rule reads."""
    project = support.make_project(tmp_path, version=None)
    elsewhere = tmp_path / "build-output"
    elsewhere.mkdir()
    (elsewhere / "version.json").write_text('{"commit": "nope"}')
    app = support.project_app(project)
    dockerflow = Dockerflow(app, version_path=elsewhere)
    result = failure(app, "version.json")
    assert "lacks source, version, build" in result.detail
    assert str(elsewhere / "version.json") in result.fix

    dockerflow.version_callback(lambda path: dict(support.VERSION))
    result = result_of(assert_dockerflow_compliant(app), "version.json")
    assert support.SHA in result.detail


# /__lbheartbeat__ -------------------------------------------------------------


def test_lbheartbeat_behind_a_hook_querying_the_database_fails(project):
    """A before_request hook that reads the SQLite database for every request is caught."""
    app, db = sqlite_app(project)

    @app.before_request
    def load_settings() -> None:
        db.session.execute(text("SELECT 1 AS maintenance_mode")).scalar()

    result = failure(app, "/__lbheartbeat__")
    assert "checked out a SQLAlchemy database connection" in result.detail
    assert "SELECT 1 AS maintenance_mode" in result.detail
    assert str(project / "notes.sqlite") in result.detail


def test_lbheartbeat_using_an_engine_the_app_made_itself_fails(project, tmp_path):
    """Every engine is watched, not only the one given to Dockerflow(db=...)."""
    app, _ = sqlite_app(project)
    audit = create_engine(f"sqlite:///{tmp_path / 'audit.sqlite'}")

    @app.before_request
    def audit_request() -> None:
        with audit.connect() as connection:
            connection.execute(text("SELECT 1"))

    assert "audit.sqlite" in failure(app, "/__lbheartbeat__").detail
    audit.dispose()


def test_lbheartbeat_pinging_redis_from_app_extensions_fails(project, redis_url):
    """A hook using the redis client the app keeps in app.extensions is caught, by name."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    app, _ = sqlite_app(project)
    app.extensions["cache"] = client

    @app.before_request
    def count_request() -> None:
        client.incr("doctor-test:requests")

    result = failure(app, "/__lbheartbeat__")
    assert "took a connection from redis client app.extensions['cache']" in result.detail
    client.delete("doctor-test:requests")


def test_lbheartbeat_pinging_the_redis_client_of_dockerflow_redis_fails(project, redis_url):
    """The client given to Dockerflow(redis=...) is found through the app's registered check."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    app = support.project_app(project)
    Dockerflow(app, redis=client)

    @app.before_request
    def touch_cache() -> None:
        client.ping()

    result = failure(app, "/__lbheartbeat__")
    assert "the argument of the check 'check_redis_connected'" in result.detail


def test_lbheartbeat_redis_client_given_as_backend_is_watched(project, redis_url):
    """A client kept elsewhere is watched when given with backends=; a single-connection one too."""
    client = redis.Redis.from_url(redis_url, socket_timeout=5, single_connection_client=True)
    app, _ = sqlite_app(project)

    @app.before_request
    def rate_limit() -> None:
        client.ping()

    assert result_of(check_dockerflow_compliance(app), "/__lbheartbeat__").outcome == "pass"
    result = failure(app, "/__lbheartbeat__", backends=[client])
    assert "sent a command to redis client backends[0]" in result.detail
    client.close()


def test_lbheartbeat_that_runs_the_heartbeat_checks_fails(project):
    """An app's own /__lbheartbeat__ that runs the checks (in the runner's threads) is caught."""
    app = support.project_app(project, SQLALCHEMY_DATABASE_URI=f"sqlite:///{project}/n.sqlite")

    @app.route("/__lbheartbeat__")
    def lbheartbeat() -> Any:
        return jsonify(app.extensions["dockerflow"].run_heartbeat().payload)

    Dockerflow(app, db=SQLAlchemy(app))
    assert "SELECT 1" in failure(app, "/__lbheartbeat__").detail


def test_lbheartbeat_refused_by_an_auth_hook_fails(project):
    """/__lbheartbeat__ must answer 200: an auth hook in front of it fails the rule."""
    app, _ = sqlite_app(project)

    @app.before_request
    def require_token() -> None:
        if "Authorization" not in request.headers:
            abort(401)

    assert "answered 401, not 200" in failure(app, "/__lbheartbeat__").detail


# /__heartbeat__ ---------------------------------------------------------------


def test_heartbeat_replaced_by_the_apps_own_view_fails(project):
    """An app's old plain-text /__heartbeat__, registered before the extension, is not the shape."""
    app = support.project_app(project)

    @app.route("/__heartbeat__")
    def old_heartbeat() -> str:
        return "OK"

    Dockerflow(app)
    assert "answered 200 'OK', not JSON" in failure(app, "/__heartbeat__").detail


def test_heartbeat_wrapped_by_an_after_request_hook_fails(project):
    """A hook wrapping every JSON body in an envelope breaks the documented shape."""
    app, _ = sqlite_app(project)

    @app.after_request
    def envelope(response: Any) -> Any:
        if response.is_json:
            response.set_data(b'{"data": ' + response.get_data() + b"}")
        return response

    detail = failure(app, "/__heartbeat__").detail
    assert "status is None" in detail
    assert "checks is missing" in detail


def test_heartbeat_slower_than_the_check_timeout_fails(project):
    """A hook blocking past the check timeout plus a second fails, without waiting it out."""
    app, _ = sqlite_app(project, DOCKERFLOW_CHECK_TIMEOUT=0.2)

    @app.before_request
    def slow() -> None:
        if request.path == "/__heartbeat__":
            time.sleep(4)

    started = time.monotonic()
    result = failure(app, "/__heartbeat__")
    assert time.monotonic() - started < 4
    assert "gave no answer within 1.2 s" in result.detail


def test_heartbeat_with_a_hanging_check_passes_within_the_timeout(project):
    """A check that hangs is the extension's to time out: the rule passes and names it."""
    app = support.project_app(project, DOCKERFLOW_CHECK_TIMEOUT=0.3)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def hangs() -> list[Any]:
        time.sleep(3)
        return []

    result = result_of(check_dockerflow_compliance(app), "/__heartbeat__")
    assert result.outcome == "pass", result
    assert "failing now: hangs" in result.detail


def test_heartbeat_reporting_an_unreachable_redis_passes_and_says_so(project, free_port):
    """A heartbeat that reports a down backend in the documented shape follows the rule."""
    client = redis.Redis(port=free_port, socket_connect_timeout=1)
    app = support.project_app(project)
    Dockerflow(app, redis=client)
    report = check_dockerflow_compliance(app)
    result = result_of(report, "/__heartbeat__")
    assert result.outcome == "pass"
    assert "answered 500" in result.detail
    assert "failing now: check_redis_connected" in result.detail


def test_heartbeat_without_details_when_they_are_off_passes(project):
    app, _ = sqlite_app(project, DOCKERFLOW_HEARTBEAT_DETAILS=False)
    assert result_of(assert_dockerflow_compliant(app), "/__heartbeat__").outcome == "pass"


# request.summary ------------------------------------------------------------


def test_summary_without_any_handler_fails(project):
    """No handler anywhere: logging's last resort writes only warnings, so nothing is logged."""
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).handlers.clear()
    logging.getLogger().handlers[:] = []
    assert "reaches no handler" in failure(app, SUMMARY).detail


def test_summary_logger_at_warning_fails(project):
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).setLevel(logging.WARNING)
    assert "effective level is WARNING" in failure(app, SUMMARY).detail


def test_summary_logger_disabled_by_dict_config_fails(project):
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).disabled = True
    assert "disable_existing_loggers" in failure(app, SUMMARY).detail


def test_summary_stopped_by_a_parent_that_does_not_propagate_fails(project):
    """request.summary propagates to 'request', which stops it before the root's mozlog handler."""
    app, _ = sqlite_app(project)
    summary = logging.getLogger(SUMMARY)
    handler = summary.handlers.pop()
    logging.getLogger().addHandler(handler)
    logging.getLogger("request").propagate = False
    assert "reaches no handler" in failure(app, SUMMARY).detail
    logging.getLogger("request").propagate = True
    result = result_of(assert_dockerflow_compliant(app), SUMMARY)
    assert "on the root logger" in result.detail


def test_summary_on_a_plain_text_console_handler_fails(project):
    """A stdout handler with logging's default formatter writes text, not mozlog JSON."""
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).handlers[:] = [logging.StreamHandler(sys.stdout)]
    assert "it writes text, not JSON" in failure(app, SUMMARY).detail


def test_summary_on_a_mozlog_handler_and_a_text_console_handler_fails(project):
    """Plain lines mixed into the container's log fail the rule even beside a mozlog handler."""
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).addHandler(logging.StreamHandler(sys.stderr))
    detail = failure(app, SUMMARY).detail
    assert "StreamHandler(<stderr>)" in detail


def test_summary_on_a_non_mozlog_json_formatter_fails(project):
    """python-json-logger writes JSON, but without mozlog's envelope."""
    try:
        from pythonjsonlogger.json import JsonFormatter
    except ImportError:  # python-json-logger 2
        from pythonjsonlogger.jsonlogger import JsonFormatter

    app, _ = sqlite_app(project)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logging.getLogger(SUMMARY).handlers[:] = [handler]
    assert "lacks mozlog's Timestamp, Type" in failure(app, SUMMARY).detail


def test_summary_formatter_is_judged_by_what_it_writes_not_its_class(project):
    """A JsonLogFormatter subclass that writes text fails; a handler level above INFO is skipped."""

    class Shortened(JsonLogFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return f"{record.name} {record.getMessage()}"

    app, _ = sqlite_app(project)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(Shortened())
    logging.getLogger(SUMMARY).handlers[:] = [handler]
    assert "writes text, not JSON: 'request.summary '" in failure(app, SUMMARY).detail

    logging.getLogger(SUMMARY).handlers[0].setLevel(logging.ERROR)
    logging.getLogger(SUMMARY).addHandler(support.mozlog_handler())
    result = result_of(assert_dockerflow_compliant(app), SUMMARY)
    assert "its level is ERROR" in result.detail


def test_summary_dropped_by_a_handler_filter_fails(project):
    app, _ = sqlite_app(project)
    logging.getLogger(SUMMARY).handlers[0].addFilter(lambda record: record.levelno >= 30)
    assert "a filter drops it" in failure(app, SUMMARY).detail
