"""``flask dockerflow doctor``: its output, its exit status and its options."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow
from dockerflow.flask._cli import dockerflow_cli
from testing_support import doctor_projects as support

#: What --backend imports: a module the test writes, holding a redis client.
BACKEND_MODULE = "doctor_cli_backends"


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    with support.logging_state(support.SUMMARY):
        logging.getLogger(support.SUMMARY).setLevel(logging.INFO)
        logging.getLogger(support.SUMMARY).addHandler(support.mozlog_handler())
        yield


def doctor(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(dockerflow_cli, ["doctor", *args])


def test_compliant_app_exits_0_and_names_every_rule(tmp_path):
    app = support.project_app(support.make_project(tmp_path))
    Dockerflow(app)
    result = doctor(app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for rule in ("version.json", "/__lbheartbeat__", "/__heartbeat__", "request.summary", "$PORT"):
        assert any(line.startswith("PASS") and f" {rule} " in line for line in lines), rule
    assert lines[-1] == "No rule failed: 5 passed, 0 skipped."


def test_a_broken_rule_exits_1_with_what_to_do(tmp_path):
    """A missing version.json: FAIL on its line, a fix line under it, exit status 1."""
    app = support.project_app(support.make_project(tmp_path, version=None, gunicorn=None))
    Dockerflow(app)
    result = doctor(app)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    (failed,) = [index for index, line in enumerate(lines) if line.startswith("FAIL")]
    assert "version.json" in lines[failed]
    fix_line = next(line for line in lines[failed:] if line.strip().startswith("fix:"))
    assert "flask dockerflow version --write" in fix_line
    assert any(line.startswith("SKIP") and "$PORT" in line for line in lines)
    assert lines[-1] == "1 of 5 rules failed: version.json"


def test_app_without_the_extension_exits_2(tmp_path):
    result = doctor(support.project_app(support.make_project(tmp_path)))
    assert result.exit_code == 2
    assert "no Dockerflow extension" in result.output


def test_gunicorn_config_option_is_checked(tmp_path):
    config = tmp_path / "deploy.conf.py"
    config.write_text('bind = ["0.0.0.0:8000"]\n')
    app = support.project_app(support.make_project(tmp_path, gunicorn=None))
    Dockerflow(app)
    result = doctor(app, "--gunicorn-config", str(config))
    assert result.exit_code == 1
    assert str(config) in result.output
    assert "ignores $PORT" in result.output


def test_uwsgi_config_option_is_checked(tmp_path):
    ini = tmp_path / "serve.ini"
    ini.write_text("[uwsgi]\nhttp-socket = :$(PORT)\n")
    app = support.project_app(support.make_project(tmp_path, gunicorn=None))
    Dockerflow(app)
    result = doctor(app, "--uwsgi-config", str(ini))
    assert result.exit_code == 0, result.output
    assert "http-socket = :$PORT" in result.output


def test_backend_option_watches_a_redis_client_by_import_path(tmp_path, monkeypatch, redis_url):
    """--backend MODULE:NAME imports a client the app keeps elsewhere and watches it."""
    (tmp_path / f"{BACKEND_MODULE}.py").write_text(
        f"import redis\nclients = {{'cache': redis.Redis.from_url({redis_url!r})}}\n"
        "cache = clients['cache']\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, BACKEND_MODULE, raising=False)
    backends = importlib.import_module(BACKEND_MODULE)
    app = support.project_app(support.make_project(tmp_path))
    Dockerflow(app)

    @app.before_request
    def touch_cache() -> None:
        backends.cache.get("doctor-cli-test")

    assert doctor(app).exit_code == 0  # not found without the option
    result = doctor(app, "--backend", f"{BACKEND_MODULE}:cache")
    assert result.exit_code == 1, result.output
    assert f"redis client {BACKEND_MODULE}:cache" in result.output


@pytest.mark.parametrize("spec", ["no_colon", "os:path", "no.such.module:thing", "os:nothing"])
def test_backend_option_rejects_what_it_cannot_watch(tmp_path, spec):
    app = support.project_app(support.make_project(tmp_path))
    Dockerflow(app)
    result = doctor(app, "--backend", spec)
    assert result.exit_code == 2
    assert "--backend" in result.output
