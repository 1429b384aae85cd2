"""The doctor's rules on real apps: each passes when followed and fails, saying why, when broken."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, jsonify, request

from dockerflow.flask import Dockerflow, checks
from dockerflow.flask._cli import dockerflow_cli
from dockerflow.flask.testing import (
    DockerflowComplianceError,
    DoctorReport,
    RuleResult,
    assert_dockerflow_compliant,
    check_dockerflow_compliance,
)
from dockerflow.logging import JsonLogFormatter

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"
VERSION = {
    "source": "https://github.com/acme/notes",
    "version": "v1.2.3",
    "commit": SHA,
    "build": "https://ci.example.com/builds/42",
}
RULES = ["version.json", "/__lbheartbeat__", "/__heartbeat__", "request id", "request.summary"]
SUMMARY = "request.summary"


@pytest.fixture(autouse=True)
def summary_logger() -> Any:
    """request.summary at INFO on a mozlog handler, put back as it was afterwards."""
    logger = logging.getLogger(SUMMARY)
    saved = list(logger.handlers), list(logger.filters), logger.level, logger.propagate
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonLogFormatter(logger_name="doctor-test"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    logger.handlers[:], logger.filters[:], level, logger.propagate = saved
    logger.setLevel(level)
    logger.disabled = False


def make_app(tmp_path: Path, version: Any = VERSION, **config: Any) -> Flask:
    """An app rooted in tmp_path/service/app, so version.json sits in tmp_path/service."""
    project = tmp_path / "service"
    (project / "app").mkdir(parents=True)
    if version is not None:
        text = version if isinstance(version, str) else json.dumps(version)
        (project / "version.json").write_text(text)
    app = Flask("doctor_test", root_path=str(project / "app"))
    app.config.update(config)
    return app


def result_of(report: DoctorReport, rule: str) -> RuleResult:
    (result,) = [result for result in report.results if result.rule == rule]
    return result


def failure(app: Flask, rule: str) -> RuleResult:
    """The result of ``rule``, which must have failed, with the error raised for it."""
    with pytest.raises(DockerflowComplianceError) as raised:
        assert_dockerflow_compliant(app)
    result = result_of(raised.value.report, rule)
    assert result.outcome == "fail", raised.value.report.render()
    assert rule in str(raised.value)
    return result


def doctor(app: Flask) -> Any:
    return app.test_cli_runner().invoke(dockerflow_cli, ["doctor"])


# the whole report ---------------------------------------------------------


def test_app_following_every_rule_passes_and_leaves_logging_as_it_was(tmp_path, summary_logger):
    """Five rules pass, in order; the doctor's own capture handler is gone afterwards."""
    app = make_app(tmp_path)
    Dockerflow(app)
    handlers = list(summary_logger.handlers)

    report = assert_dockerflow_compliant(app)

    assert [result.rule for result in report.results] == RULES
    assert [result.outcome for result in report.results] == ["pass"] * 5
    assert report.render().endswith("No rule failed: 5 passed.")
    assert summary_logger.handlers == handlers


def test_app_without_the_extension_fails_with_one_result(tmp_path):
    """An app with no Dockerflow extension fails, and the report says how to add it."""
    (result,) = check_dockerflow_compliance(make_app(tmp_path)).results
    assert result.outcome == "fail"
    assert "Dockerflow(app)" in result.fix


# version.json ---------------------------------------------------------------


def test_missing_version_json_fails_naming_where_the_app_looks(tmp_path):
    """No version.json: the failure names the file the app reads and the command that writes it."""
    app = make_app(tmp_path, version=None)
    Dockerflow(app)
    result = failure(app, "version.json")
    where = str(tmp_path / "service" / "version.json")
    assert "404" in result.detail
    assert where in result.detail
    assert f"python -m dockerflow.version --write {where}" in result.fix


def test_version_json_that_is_not_json_fails(tmp_path):
    app = make_app(tmp_path, version="{not json")
    Dockerflow(app)
    assert "500" in failure(app, "version.json").detail


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("commit", "main", "not a 40-character hex git SHA"),
        ("source", "git@github.com:acme/notes.git", "not an http(s) URL"),
        ("build", "42", "not an http(s) URL"),
        ("version", 3, "must be strings"),
    ],
)
def test_implausible_version_fields_fail(tmp_path, field, value, words):
    app = make_app(tmp_path, version={**VERSION, field: value})
    Dockerflow(app)
    assert words in failure(app, "version.json").detail


def test_missing_version_fields_are_named(tmp_path):
    app = make_app(tmp_path, version={"commit": SHA, "source": VERSION["source"]})
    Dockerflow(app)
    assert "lacks version, build" in failure(app, "version.json").detail


def test_empty_fields_of_a_local_build_pass_and_are_named(tmp_path):
    """What `version --write` leaves empty outside CI (no tag, no build URL) passes, noted."""
    app = make_app(tmp_path, version={**VERSION, "version": "", "build": "", "source": ""})
    Dockerflow(app)
    result = result_of(assert_dockerflow_compliant(app), "version.json")
    assert result.detail == f"commit {SHA!r}; source, version, build empty" + (
        " (fine for a local build, CI fills them)"
    )


def test_version_path_and_version_callback_are_where_the_doctor_looks(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "version.json").write_text(json.dumps(VERSION))
    app = make_app(tmp_path, version=None)
    Dockerflow(app, version_path=str(elsewhere))
    assert_dockerflow_compliant(app)

    app = make_app(tmp_path / "callback", version=None)
    dockerflow = Dockerflow(app)
    dockerflow.version_callback(lambda path: {**VERSION, "version": "from-callback"})
    assert "'from-callback'" in result_of(assert_dockerflow_compliant(app), "version.json").detail


def raising_callback(path: str) -> Any:
    raise RuntimeError("the build service is down")


def set_callback(path: str) -> Any:
    return {**VERSION, "version": {"a", "set"}}


@pytest.mark.parametrize("testing", [False, True], ids=["production", "testing"])
@pytest.mark.parametrize(
    ("callback", "words"),
    [
        (raising_callback, "RuntimeError: the build service is down"),
        (set_callback, "TypeError: Object of type set is not JSON serializable"),
    ],
    ids=["raises", "returns-a-set"],
)
def test_broken_version_callback_fails_the_version_rule_without_crashing(
    tmp_path, testing, callback, words
):
    """A version_callback that raises or gives what JSON cannot encode: a failed rule, with why."""
    app = make_app(tmp_path, version=None, TESTING=testing)
    Dockerflow(app).version_callback(callback)

    report = check_dockerflow_compliance(app)

    assert words in result_of(report, "version.json").detail
    assert [result.rule for result in report.failures] == ["version.json"]
    assert words in failure(app, "version.json").detail
    result = doctor(app)
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert "Traceback" not in result.output


# /__lbheartbeat__ and /__heartbeat__ ------------------------------------------


def test_lbheartbeat_refused_by_an_auth_hook_fails(tmp_path):
    app = make_app(tmp_path)
    Dockerflow(app)

    @app.before_request
    def login_required() -> None:
        if "Authorization" not in request.headers:
            abort(401)

    assert "answered 401" in failure(app, "/__lbheartbeat__").detail


def test_heartbeat_replaced_by_the_apps_own_view_fails(tmp_path):
    """An older heartbeat view registered before the extension answers in the wrong shape."""
    app = make_app(tmp_path)
    app.add_url_rule("/__heartbeat__", "old_heartbeat", lambda: jsonify(healthy=True))
    Dockerflow(app)
    assert "status is None" in failure(app, "/__heartbeat__").detail


def test_heartbeat_wrapped_by_an_after_request_hook_fails(tmp_path):
    app = make_app(tmp_path)
    Dockerflow(app)

    @app.after_request
    def envelope(response: Any) -> Any:
        if response.is_json:
            response.set_data(json.dumps({"data": response.get_json()}))
        return response

    assert "status is None" in failure(app, "/__heartbeat__").detail


def test_heartbeat_reporting_a_failing_check_passes_and_names_it(tmp_path):
    """The endpoint reports the failure in the documented shape: the rule holds."""
    app = make_app(tmp_path)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def database() -> list[checks.CheckMessage]:
        return [checks.Error("unreachable", id="db.E001")]

    result = result_of(assert_dockerflow_compliant(app), "/__heartbeat__")
    assert result.detail.startswith("answered 500 with status 'error' and 1 checks")
    assert "not ok now: database" in result.detail


def test_heartbeat_details_with_more_than_python_dockerflows_keys_fail(tmp_path):
    """Services compare details entries whole: a key added to them breaks their tests."""
    app = make_app(tmp_path)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def database() -> list[checks.CheckMessage]:
        return [checks.Error("unreachable", id="db.E001")]

    @app.after_request
    def add_duration(response: Any) -> Any:
        body = response.get_json(silent=True)
        if isinstance(body, dict) and "details" in body:
            body["details"]["database"]["duration_ms"] = 1.0
            response.set_data(json.dumps(body))
        return response

    assert "exactly status, level and messages" in failure(app, "/__heartbeat__").detail


def test_heartbeat_without_details_passes(tmp_path):
    app = make_app(tmp_path, DOCKERFLOW_HEARTBEAT_DETAILS=False)
    Dockerflow(app)
    assert_dockerflow_compliant(app)


# the request id and request.summary ---------------------------------------------


def test_request_id_dropped_by_an_outer_middleware_fails(tmp_path):
    app = make_app(tmp_path, DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Trace")
    Dockerflow(app)
    inner = app.wsgi_app

    def drop_trace_header(environ: Any, start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if name != "X-Trace"]
            return start_response(status, kept, exc_info)

        return inner(environ, start)

    app.wsgi_app = drop_trace_header  # type: ignore[method-assign]
    assert "answered X-Trace: None" in failure(app, "request id").detail


def test_summary_without_any_handler_fails(tmp_path, summary_logger):
    summary_logger.handlers[:] = []
    app = make_app(tmp_path)
    Dockerflow(app)
    assert failure(app, SUMMARY).detail == "no handler writes its records"


def test_summary_logger_at_warning_fails(tmp_path, summary_logger):
    summary_logger.setLevel(logging.WARNING)
    app = make_app(tmp_path)
    Dockerflow(app)
    assert failure(app, SUMMARY).detail == "the logger's effective level is WARNING"


def test_summary_logger_disabled_by_dict_config_fails(tmp_path, summary_logger):
    summary_logger.disabled = True
    app = make_app(tmp_path)
    Dockerflow(app)
    assert "disabled" in failure(app, SUMMARY).detail


def test_summary_dropped_by_a_logger_filter_fails(tmp_path, summary_logger):
    summary_logger.addFilter(lambda record: False)
    app = make_app(tmp_path)
    Dockerflow(app)
    assert "logged 0 records" in failure(app, SUMMARY).detail


# flask dockerflow doctor --------------------------------------------------------


def test_command_exits_0_and_names_every_rule(tmp_path):
    app = make_app(tmp_path)
    Dockerflow(app)
    result = doctor(app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for rule in RULES:
        assert any(line.startswith("PASS") and f" {rule} " in line for line in lines), rule
    assert lines[-1] == "No rule failed: 5 passed."


def test_command_exits_1_on_a_broken_rule_with_what_to_do(tmp_path):
    app = make_app(tmp_path, version=None)
    Dockerflow(app)
    result = doctor(app)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    (failed,) = [index for index, line in enumerate(lines) if line.startswith("FAIL")]
    assert "version.json" in lines[failed]
    assert "fix: Write it at build time: python -m dockerflow.version" in lines[failed + 1]
    assert lines[-1] == "1 of 5 rules failed: version.json"


def test_command_without_the_extension_exits_2(tmp_path):
    result = doctor(make_app(tmp_path))
    assert result.exit_code == 2
    assert "no Dockerflow extension" in result.output
