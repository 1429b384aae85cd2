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
RULES = ("version.json", "/__lbheartbeat__", "/__heartbeat__", "request id", "request.summary")


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
    env.update(GIT_CEILING_DIRECTORIES=str(service.parent), **{**VERSION_ENV, **extra})
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
    """Every rule passes: version.json, both heartbeats, the request id, mozlog summaries."""
    completed = run(service, ["-m", "flask", "dockerflow", "doctor"])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = report_lines(completed.stdout)
    for rule in RULES:
        assert any(line.startswith("PASS") and f" {rule} " in line for line in lines), lines
    assert lines[-1] == "No rule failed: 5 passed."


def test_doctor_passes_a_local_build_whose_version_json_has_empty_fields(service):
    """Outside CI (`hatch run example:serve`), version --write leaves the build URL empty."""
    local = {"VERSION": "", "SOURCE_URL": "", "BUILD_URL": ""}
    write = ["-m", "flask", "dockerflow", "version", "--write", "version.json"]
    written = run(service, write, **local)
    assert written.returncode == 0, written.stderr
    completed = run(service, ["-m", "flask", "dockerflow", "doctor"], **local)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (version_line,) = [line for line in report_lines(completed.stdout) if " version.json " in line]
    assert "source, version, build empty (fine for a local build, CI fills them)" in version_line


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
