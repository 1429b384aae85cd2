"""The example service passes the Dockerflow doctor, run as the image would run it.

The service is copied to tmp and the commands run from that copy, as from
``/app`` in the image: ``flask dockerflow version --write`` writes its
version.json, then ``flask dockerflow doctor`` (and, in a fresh interpreter,
``assert_dockerflow_compliant(create_app())``) check it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "service"
VERSION_ENV = {
    "GIT_COMMIT": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
    "VERSION": "v9.8.7",
    "SOURCE_URL": "https://github.com/acme/notes",
    "BUILD_URL": "https://ci.example.com/builds/42",
}
RULES = ("version.json", "/__lbheartbeat__", "/__heartbeat__", "request.summary", "$PORT")


@pytest.fixture
def service(tmp_path: Path) -> Path:
    """A copy of examples/service with its version.json written the way the Dockerfile does."""
    copy = tmp_path / "app"
    shutil.copytree(
        EXAMPLE,
        copy,
        ignore=shutil.ignore_patterns("instance", "version.json", "__pycache__", "*.whl"),
    )
    completed = run(copy, ["-m", "flask", "dockerflow", "version", "--write", "version.json"])
    assert completed.returncode == 0, completed.stderr
    return copy


def environ(service: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "GUNICORN_", "GITHUB_", "CIRCLE", "CI_", "TASK"))
        and name not in ("DATABASE_URL", "REDIS_URL", "VERSION")
        and not name.endswith("_HEAD_REV")
    }
    # as the Dockerfile's ENV sets them
    env.update(FLASK_APP="wsgi", PORT="8000", PYTHONUNBUFFERED="1")
    env.update(GIT_CEILING_DIRECTORIES=str(service.parent), **VERSION_ENV, **extra)
    return env


def run(service: Path, args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=service,
        env=environ(service, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def report_lines(stdout: str) -> list[str]:
    """The doctor's own lines (the app's mozlog lines of its requests are on stdout too)."""
    return [line for line in stdout.splitlines() if not line.startswith("{")]


def test_doctor_passes_the_example_service(service):
    """Every rule passes: version.json, both heartbeats, mozlog summaries, gunicorn and uWSGI."""
    completed = run(service, ["-m", "flask", "dockerflow", "doctor"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = report_lines(completed.stdout)
    for rule in RULES:
        assert any(line.startswith("PASS") and f" {rule} " in line for line in lines), lines
    port_line = next(line for line in lines if " $PORT " in line)
    assert f"gunicorn ({service / 'gunicorn.conf.py'}) listens on 0.0.0.0:$PORT" in port_line
    assert f"uWSGI ({service / 'uwsgi.ini'}) listens on http-socket = :$PORT" in port_line
    assert lines[-1] == "No rule failed: 5 passed, 0 skipped."


def test_doctor_watches_the_examples_redis_client(service, redis_url):
    """With REDIS_URL set, the client the example keeps in app.extensions is watched."""
    completed = run(service, ["-m", "flask", "dockerflow", "doctor"], REDIS_URL=redis_url)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (lbheartbeat,) = [line for line in report_lines(completed.stdout) if "/__lbheartbeat__" in line]
    assert "redis client app.extensions['example.redis']" in lbheartbeat


def test_doctor_fails_the_example_bound_to_loopback_by_gunicorn_cmd_args(service):
    """GUNICORN_CMD_ARGS binding 127.0.0.1 fails the $PORT rule and exits 1."""
    completed = run(
        service,
        ["-m", "flask", "dockerflow", "doctor"],
        GUNICORN_CMD_ARGS="--bind 127.0.0.1:8000",
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    lines = report_lines(completed.stdout)
    assert any(line.startswith("FAIL") and " $PORT " in line for line in lines), lines
    assert lines[-1] == "1 of 5 rules failed: $PORT"


def test_example_passes_assert_dockerflow_compliant(service):
    """The test-suite form of the doctor passes on create_app(), in a fresh interpreter."""
    script = textwrap.dedent(
        """
        from app import create_app
        from dockerflow.flask.testing import assert_dockerflow_compliant

        report = assert_dockerflow_compliant(create_app())
        print("outcomes:", [result.outcome for result in report.results])
        """
    )
    completed = run(service, ["-c", script])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "outcomes: ['pass', 'pass', 'pass', 'pass', 'pass']" in completed.stdout
