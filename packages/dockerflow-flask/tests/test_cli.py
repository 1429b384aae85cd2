"""``flask dockerflow heartbeat|version`` through Flask's CLI runner and as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask
from flask.cli import ScriptInfo

from dockerflow.flask import Dockerflow, checks
from dockerflow.flask._cli import dockerflow_cli

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"

# Every variable the version builder may read, so the machine's own CI
# variables (CI runs these tests too) never leak into a test.
BUILDER_VARIABLES = [
    "GIT_COMMIT",
    "VERSION",
    "GIT_TAG",
    "SOURCE_URL",
    "GIT_URL",
    "BUILD_URL",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "CIRCLE_SHA1",
    "CIRCLE_TAG",
    "CIRCLE_REPOSITORY_URL",
    "CIRCLE_PROJECT_USERNAME",
    "CIRCLE_PROJECT_REPONAME",
    "CIRCLE_BUILD_URL",
    "CI_COMMIT_SHA",
    "CI_COMMIT_TAG",
    "CI_PROJECT_URL",
    "CI_JOB_URL",
    "TASK_ID",
    "TASKCLUSTER_ROOT_URL",
    "GITHUB_HEAD_SHA",
    "GITHUB_HEAD_TAG",
    "GITHUB_HEAD_REPO_URL",
]


def clean_environ() -> dict[str, str]:
    """os.environ without any variable the version builder reads."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in BUILDER_VARIABLES and not name.endswith("_HEAD_REV")
    }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No builder variables in os.environ, and a cwd outside any git checkout."""
    for name in list(os.environ):
        if name in BUILDER_VARIABLES or name.endswith("_HEAD_REV"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return workdir


def unloadable_app() -> Flask:
    raise AssertionError("--write must not load the app")


def make_app(tmp_path: Path, *, level: str = "ok", fail_level: str = "ERROR") -> Flask:
    """An app with one check whose result is ``level``; version.json in tmp_path."""
    app = Flask("cli_test_app", root_path=str(tmp_path / "pkg"))
    app.config["DOCKERFLOW_HEARTBEAT_FAIL_LEVEL"] = fail_level
    dockerflow = Dockerflow(app, version_path=str(tmp_path))

    @dockerflow.check
    def backing_service() -> list[checks.CheckMessage]:
        if level == "warning":
            return [checks.Warning("slow", id="svc.W001")]
        if level == "error":
            return [checks.Error("down", id="svc.E001")]
        return []

    return app


def test_heartbeat_passes_with_exit_0_and_prints_the_body(tmp_path):
    """A passing heartbeat prints the /__heartbeat__ body and exits 0."""
    app = make_app(tmp_path)
    result = app.test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["status"] == "ok"
    assert body["checks"]["backing_service"] == "ok"
    with app.test_client() as client:
        assert body == client.get("/__heartbeat__").get_json()


def test_heartbeat_fails_with_exit_1(tmp_path):
    """A check at the fail level makes the command exit 1, with the details."""
    result = (
        make_app(tmp_path, level="error").test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    )
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["status"] == "error"
    assert body["details"]["backing_service"]["messages"] == {"svc.E001": "down"}


def test_heartbeat_warning_below_fail_level_passes(tmp_path):
    """A warning passes with the default ERROR fail level, as the endpoint's 200."""
    result = (
        make_app(tmp_path, level="warning").test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "warning"


def test_heartbeat_honours_the_fail_level_setting(tmp_path):
    """With DOCKERFLOW_HEARTBEAT_FAIL_LEVEL=WARNING a warning exits 1."""
    app = make_app(tmp_path, level="warning", fail_level="WARNING")
    result = app.test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    assert result.exit_code == 1


def test_heartbeat_indent_pretty_prints(tmp_path):
    """--indent spreads the JSON over several lines."""
    result = (
        make_app(tmp_path).test_cli_runner().invoke(dockerflow_cli, ["heartbeat", "--indent", "2"])
    )
    assert result.exit_code == 0
    assert len(result.output.splitlines()) > 3
    assert json.loads(result.output)["status"] == "ok"


def test_heartbeat_without_extension_exits_2_with_a_message():
    """An app without Dockerflow gets a clear error and exit status 2."""
    app = Flask("plain_app")
    result = app.test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    assert result.exit_code == 2
    assert "no Dockerflow extension" in result.output
    assert "Traceback" not in result.output


def test_version_prints_the_served_object(tmp_path):
    """The version command prints what /__version__ serves."""
    version = {"source": "https://x/y", "version": "1.0", "commit": SHA, "build": ""}
    (tmp_path / "version.json").write_text(json.dumps(version))
    result = make_app(tmp_path).test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == version


def test_version_missing_exits_1_with_a_message(tmp_path):
    """No version.json: exit 1 and a message saying how to make one."""
    result = make_app(tmp_path).test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 1
    assert "no version object" in result.output
    assert "--write" in result.output


def test_version_broken_file_exits_1_with_a_message(tmp_path):
    """A version.json that is not JSON gives a clear error, not a traceback."""
    (tmp_path / "version.json").write_text("{not json")
    result = make_app(tmp_path).test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 1
    assert "broken" in result.output
    assert "Traceback" not in result.output


def test_version_callback_that_raises_exits_1_with_a_message(tmp_path):
    """A version_callback's own error is reported in one line, not as a traceback."""
    app = Flask("cli_callback_app", root_path=str(tmp_path / "pkg"))
    dockerflow = Dockerflow(app)

    @dockerflow.version_callback
    def broken_loader(root):
        raise KeyError("commit")

    result = app.test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a click error, not an uncaught one
    assert "version callback raised KeyError: 'commit'" in result.output
    assert "Traceback" not in result.output


def test_version_callback_returning_what_json_cannot_hold_exits_1_with_a_message(tmp_path):
    """A set in the version object: one clear line, not a traceback."""
    app = Flask("cli_unencodable_app", root_path=str(tmp_path / "pkg"))
    Dockerflow(app).version_callback(lambda root: {"commit": "abc", "tags": {"a"}})

    result = app.test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "version object is not JSON" in result.output
    assert "Traceback" not in result.output


def test_version_without_extension_exits_2(tmp_path):
    """Printing the version of an app without Dockerflow is a setup error."""
    app = Flask("plain_app", root_path=str(tmp_path))
    result = app.test_cli_runner().invoke(dockerflow_cli, ["version"])
    assert result.exit_code == 2
    assert "no Dockerflow extension" in result.output


def test_version_options_need_write(tmp_path):
    """--commit without --write is a usage error."""
    result = (
        make_app(tmp_path).test_cli_runner().invoke(dockerflow_cli, ["version", "--commit", SHA])
    )
    assert result.exit_code == 2
    assert "--write" in result.output


def test_version_write_is_python_m_dockerflow_version_without_loading_the_app(tmp_path, clean_env):
    """--write runs the version builder (tested in dockerflow-checks) on the CI's variables."""
    target = tmp_path / "version.json"
    env = {
        "GITHUB_SHA": SHA,
        "GITHUB_REF_NAME": "v1.4.0",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_REPOSITORY": "acme/notes",
        "GITHUB_RUN_ID": "77",
    }
    result = (
        Flask("host")
        .test_cli_runner()
        .invoke(
            dockerflow_cli,
            ["version", "--write", str(target)],
            env=env,
            obj=ScriptInfo(create_app=unloadable_app),
        )
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == {
        "source": "https://github.com/acme/notes",
        "version": "v1.4.0",
        "commit": SHA,
        "build": "https://github.com/acme/notes/actions/runs/77",
    }
    assert result.output == target.read_text()


def test_version_write_is_readable_by_everyone(tmp_path, clean_env):
    """The file is 0644: written by root at build time, read by the app user."""
    target = tmp_path / "version.json"
    result = (
        Flask("host")
        .test_cli_runner()
        .invoke(dockerflow_cli, ["version", "--write", str(target), "--commit", SHA])
    )
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".version-")] == []


def test_version_write_options_win(tmp_path, clean_env):
    """Explicit options beat the CI variables."""
    target = tmp_path / "version.json"
    result = (
        Flask("host")
        .test_cli_runner()
        .invoke(
            dockerflow_cli,
            [
                "version",
                "--write",
                str(target),
                "--commit",
                "abc123",
                "--version",
                "7.0",
                "--source",
                "https://example.com/src",
                "--build",
                "https://example.com/b/1",
            ],
            env={"GITHUB_SHA": SHA, "GITHUB_REPOSITORY": "acme/notes"},
        )
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == {
        "source": "https://example.com/src",
        "version": "7.0",
        "commit": "abc123",
        "build": "https://example.com/b/1",
    }


def test_version_write_without_commit_fails_and_says_where_it_looked(tmp_path, clean_env):
    """No commit anywhere: exit 1, nothing written, the variables looked at listed."""
    target = tmp_path / "version.json"
    result = (
        Flask("host")
        .test_cli_runner()
        .invoke(dockerflow_cli, ["version", "--write", str(target)], env={"VERSION": "1.0"})
    )
    assert result.exit_code == 1
    assert not target.exists()
    for name in ("GIT_COMMIT", "GITHUB_SHA", "CIRCLE_SHA1", "CI_COMMIT_SHA", "TASK_ID"):
        assert name in result.output


def test_version_write_into_missing_directory_fails_cleanly(tmp_path, clean_env):
    """An unwritable target is a clear error, not a traceback."""
    target = tmp_path / "no" / "such" / "dir" / "version.json"
    result = (
        Flask("host")
        .test_cli_runner()
        .invoke(dockerflow_cli, ["version", "--write", str(target), "--commit", SHA])
    )
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "Traceback" not in result.output


def test_written_version_is_served(tmp_path, clean_env):
    """What --write produces is what /__version__ then serves."""
    writer = Flask("host").test_cli_runner()
    result = writer.invoke(
        dockerflow_cli,
        ["version", "--write", str(tmp_path / "version.json")],
        env={"GIT_COMMIT": SHA, "VERSION": "3.1.4"},
    )
    assert result.exit_code == 0, result.output
    app = make_app(tmp_path)
    served = app.test_client().get("/__version__").get_json()
    assert served == {"source": "", "version": "3.1.4", "commit": SHA, "build": ""}


# -- as processes: the `flask` command finds the group through its entry point --

SERVICE_MODULE = textwrap.dedent(
    """
    import os

    from flask import Flask

    from dockerflow.flask import Dockerflow, checks

    app = Flask(__name__)
    app.config["DOCKERFLOW_HEARTBEAT_FAIL_LEVEL"] = os.environ.get("FAIL_LEVEL", "ERROR")
    dockerflow = Dockerflow(app)


    @dockerflow.check
    def backing_service():
        if os.environ.get("SERVICE_STATE") == "down":
            return [checks.Error("backing service is down", id="svc.E001")]
        return []
    """
)


@pytest.fixture
def service_dir(tmp_path: Path) -> Path:
    """A directory with svc.py, a tiny Dockerflow app, outside any git checkout."""
    directory = tmp_path / "service" / "pkg"
    directory.mkdir(parents=True)
    (directory / "svc.py").write_text(SERVICE_MODULE)
    return directory


def run_flask(directory: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = clean_environ()
    environ.update(env)
    environ["GIT_CEILING_DIRECTORIES"] = str(directory.parent.parent)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "svc", "dockerflow", *args],
        cwd=directory,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_process_heartbeat_passes(service_dir):
    """`python -m flask --app svc dockerflow heartbeat` exits 0 when checks pass."""
    completed = run_flask(service_dir, "heartbeat")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "status": "ok",
        "checks": {"backing_service": "ok"},
        "details": {},
    }


def test_process_heartbeat_fails(service_dir):
    """The same command exits 1 when a check fails, for HEALTHCHECK and exec probes."""
    completed = run_flask(service_dir, "heartbeat", SERVICE_STATE="down")
    assert completed.returncode == 1
    body = json.loads(completed.stdout)
    assert body["status"] == "error"
    assert body["details"]["backing_service"]["messages"] == {"svc.E001": "backing service is down"}
    # Without logging set up, the failed heartbeat's record reaches stderr (logging's last resort).
    assert "Heartbeat failed: error in " in completed.stderr


def test_process_version_write_then_print(service_dir):
    """--write from GitHub Actions variables, then `version` prints it back."""
    # the app's version.json lives in the parent of its root_path
    target = service_dir.parent / "version.json"
    written = run_flask(
        service_dir,
        "version",
        "--write",
        str(target),
        GITHUB_SHA=SHA,
        GITHUB_REPOSITORY="acme/notes",
        GITHUB_RUN_ID="3",
    )
    assert written.returncode == 0, written.stderr
    printed = run_flask(service_dir, "version")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == {
        "source": "https://github.com/acme/notes",
        "version": "",
        "commit": SHA,
        "build": "https://github.com/acme/notes/actions/runs/3",
    }


def test_process_version_write_without_commit(service_dir):
    """Outside git and CI, --write exits 1 with the list of places it looked."""
    completed = run_flask(service_dir, "version", "--write", str(service_dir / "v.json"))
    assert completed.returncode == 1
    assert "GIT_COMMIT" in completed.stderr
    assert "Traceback" not in completed.stderr
