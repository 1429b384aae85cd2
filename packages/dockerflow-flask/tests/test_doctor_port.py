"""The doctor's $PORT rule on real gunicorn config files, GUNICORN_CMD_ARGS and uWSGI ini files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from dockerflow.flask import Dockerflow
from dockerflow.flask._doctor_servers import PROBE_PORT, uwsgi_options
from dockerflow.flask.testing import RuleResult, check_dockerflow_compliance
from testing_support import doctor_projects as support

UWSGI_EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "service" / "uwsgi.ini"


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    with support.logging_state(support.SUMMARY):
        logging.getLogger(support.SUMMARY).setLevel(logging.INFO)
        logging.getLogger(support.SUMMARY).addHandler(support.mozlog_handler())
        yield


def port_rule(tmp_path: Path, gunicorn: str | None = None, **kwargs: Any) -> RuleResult:
    project = support.make_project(tmp_path, gunicorn=gunicorn)
    app = support.project_app(project)
    Dockerflow(app)
    report = check_dockerflow_compliance(app, **kwargs)
    (result,) = [result for result in report.results if result.rule == "$PORT"]
    return result


def test_bind_read_from_port_passes(tmp_path):
    result = port_rule(tmp_path, support.GUNICORN_CONFIG)
    assert result.outcome == "pass"
    assert "listens on 0.0.0.0:$PORT" in result.detail
    assert str(tmp_path / "service" / "gunicorn.conf.py") in result.detail


def test_hard_coded_bind_fails(tmp_path):
    """A bind that never reads PORT fails, showing what it listens on instead."""
    result = port_rule(tmp_path, 'bind = ["0.0.0.0:8000"]\n')
    assert result.outcome == "fail"
    assert f"ignores $PORT: with PORT={PROBE_PORT} it listens on 0.0.0.0:8000" in result.detail
    assert "bind" in result.fix


def test_port_on_loopback_only_fails(tmp_path):
    """127.0.0.1:$PORT cannot be reached from outside the container."""
    config = "import os\nbind = ['127.0.0.1:' + os.environ['PORT']]\n"
    result = port_rule(tmp_path, config)
    assert result.outcome == "fail"
    assert "loopback interface only" in result.detail


def test_config_without_bind_uses_gunicorns_own_port_default(tmp_path):
    """gunicorn itself binds 0.0.0.0:$PORT when PORT is set and nothing else says where."""
    result = port_rule(tmp_path, "workers = 3\n")
    assert result.outcome == "pass"
    assert "0.0.0.0:$PORT" in result.detail


def test_gunicorn_cmd_args_win_over_the_file(tmp_path, monkeypatch):
    """GUNICORN_CMD_ARGS overrides the file's bind, as gunicorn does."""
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:9000")
    result = port_rule(tmp_path, support.GUNICORN_CONFIG)
    assert result.outcome == "fail"
    assert "GUNICORN_CMD_ARGS" in result.detail
    assert "0.0.0.0:9000" in result.detail


def test_gunicorn_cmd_args_alone_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 2")
    result = port_rule(tmp_path, None)
    assert result.outcome == "pass"
    assert "gunicorn (GUNICORN_CMD_ARGS)" in result.detail


def test_unreadable_gunicorn_config_fails_with_gunicorns_words(tmp_path):
    result = port_rule(tmp_path, "bind = [\n")
    assert result.outcome == "fail"
    assert "gunicorn cannot read the configuration" in result.detail


def test_config_in_the_current_directory_comes_first(tmp_path):
    """gunicorn.conf.py in the cwd is checked before the app's project directory's."""
    (tmp_path / "gunicorn.conf.py").write_text('bind = ["0.0.0.0:8080"]\n')
    result = port_rule(tmp_path, support.GUNICORN_CONFIG)
    assert result.outcome == "fail"
    assert str(tmp_path / "gunicorn.conf.py") in result.detail


def test_given_gunicorn_config_is_used(tmp_path):
    elsewhere = tmp_path / "deploy" / "gunicorn.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text(support.GUNICORN_CONFIG)
    result = port_rule(tmp_path, 'bind = ["0.0.0.0:8000"]\n', gunicorn_config=elsewhere)
    assert result.outcome == "pass"
    assert str(elsewhere) in result.detail


def test_no_server_config_is_skipped_and_says_where_it_looked(tmp_path):
    result = port_rule(tmp_path, None)
    assert result.outcome == "skip"
    assert str(tmp_path) in result.detail
    assert str(tmp_path / "service") in result.detail


def test_the_examples_uwsgi_ini_passes(tmp_path):
    """examples/service/uwsgi.ini serves HTTP on $PORT through its if-env block."""
    result = port_rule(tmp_path, None, uwsgi_config=UWSGI_EXAMPLE)
    assert result.outcome == "pass", result
    assert "http-socket = :$PORT" in result.detail


@pytest.mark.parametrize(
    ("ini", "words"),
    [
        ("[uwsgi]\nhttp-socket = :8000\n", "ignores $PORT"),
        ("[uwsgi]\nsocket = :$(PORT)\n", "speaks the uwsgi protocol on $PORT"),
        ("[uwsgi]\nhttp = 127.0.0.1:$(PORT)\n", "loopback interface only"),
        ("[other]\nhttp-socket = :$(PORT)\n", "listens on nothing"),
    ],
)
def test_uwsgi_ini_not_serving_http_on_port_fails(tmp_path, ini, words):
    path = tmp_path / "uwsgi.ini"
    path.write_text(ini)
    result = port_rule(tmp_path, None)  # found in the current directory
    assert result.outcome == "fail"
    assert words in result.detail
    assert str(path) in result.detail


def test_gunicorn_and_uwsgi_are_both_checked(tmp_path):
    (tmp_path / "uwsgi.ini").write_text("[uwsgi]\nhttp-socket = :8000\n")
    result = port_rule(tmp_path, support.GUNICORN_CONFIG)
    assert result.outcome == "fail"
    assert "uWSGI" in result.detail
    assert "gunicorn (" not in result.detail  # only the broken one is the failure


def test_uwsgi_options_follow_if_env_blocks_and_placeholders():
    text = """
[uwsgi]
; a comment
if-env = PORT
http-socket = :$(PORT)
endif =
if-not-env = PORT
http-socket = :8000
endif =
processes = $(WORKERS)
"""
    assert uwsgi_options(text, {"PORT": "9001", "WORKERS": "4"}) == [
        ("http-socket", ":9001"),
        ("processes", "4"),
    ]
    assert uwsgi_options(text, {}) == [("http-socket", ":8000"), ("processes", "")]
