"""``python -m dockerflow.version`` as a process, and read_git_facts on real checkouts.

Each process gets only the variables a test gives it (plus PATH and HOME), so
the CI variables of the machine running the tests never leak in.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dockerflow.version import get_version, read_git_facts

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=30
    )
    return completed.stdout.strip()


@pytest.fixture
def git_repository(tmp_path: Path) -> Path:
    """A real git repository with one tagged commit and an origin remote."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q")
    git(repository, "config", "user.email", "dev@example.com")
    git(repository, "config", "user.name", "Dev")
    (repository / "README").write_text("hello\n")
    git(repository, "add", "README")
    git(repository, "commit", "-q", "-m", "first")
    git(repository, "tag", "v0.1.0")
    git(repository, "remote", "add", "origin", "git@github.com:acme/notes.git")
    return repository


@pytest.fixture
def outside_git(tmp_path: Path) -> Path:
    """A directory that git does not see as part of any checkout."""
    directory = tmp_path / "plain"
    directory.mkdir()
    return directory


def run_command(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m dockerflow.version ARGS`` in ``cwd``, seeing only ``env``."""
    environ = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(cwd),
        # git stops looking for a checkout above the test's directory
        "GIT_CEILING_DIRECTORIES": str(cwd.parent),
        **{name: value for name, value in os.environ.items() if name.startswith("COVERAGE_")},
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "dockerflow.version", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prints_the_object_built_from_ci_variables(outside_git: Path) -> None:
    """By default the command prints the object, indented, and writes nothing."""
    completed = run_command(
        outside_git,
        GITHUB_SHA=SHA,
        GITHUB_REPOSITORY="acme/notes",
        GITHUB_RUN_ID="7",
        GITHUB_REF_TYPE="tag",
        GITHUB_REF_NAME="v1.2.0",
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "source": "https://github.com/acme/notes",
        "version": "v1.2.0",
        "commit": SHA,
        "build": "https://github.com/acme/notes/actions/runs/7",
    }
    assert completed.stdout.startswith('{\n  "source"')
    assert list(outside_git.iterdir()) == []


def test_write_creates_a_file_get_version_reads(outside_git: Path) -> None:
    """--write PATH writes the object (readable by everyone) and prints the same text."""
    target = outside_git / "version.json"
    completed = run_command(outside_git, "--write", str(target), "--commit", SHA, VERSION="3.1")
    assert completed.returncode == 0, completed.stderr
    assert get_version(outside_git) == {"source": "", "version": "3.1", "commit": SHA, "build": ""}
    assert completed.stdout == target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert "nothing found for source, build" in completed.stderr


def test_options_win_over_variables(outside_git: Path) -> None:
    """--commit, --version, --source and --build beat every variable."""
    completed = run_command(
        outside_git,
        "--commit",
        SHA,
        "--version",
        "9.0",
        "--source",
        "https://example.com/src",
        "--build",
        "https://example.com/b/1",
        "--indent",
        "0",
        GIT_COMMIT="0" * 40,
        VERSION="old",
        CIRCLE_SHA1="1" * 40,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "source": "https://example.com/src",
        "version": "9.0",
        "commit": SHA,
        "build": "https://example.com/b/1",
    }
    assert "note:" not in completed.stderr


def test_git_checkout_is_the_last_resort(git_repository: Path) -> None:
    """Without options or variables, the checkout of the current directory gives the object."""
    completed = run_command(git_repository, BUILD_URL="https://ci.example.com/9")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {
        "source": "https://github.com/acme/notes",
        "version": "v0.1.0",
        "commit": git(git_repository, "rev-parse", "HEAD"),
        "build": "https://ci.example.com/9",
    }


def test_no_commit_anywhere_exits_1_and_lists_what_it_read(outside_git: Path) -> None:
    """Outside CI and git: exit 1, the list of options and variables, no traceback, no file."""
    target = outside_git / "version.json"
    completed = run_command(outside_git, "--write", str(target), VERSION="1.0")
    assert completed.returncode == 1
    assert completed.stdout == ""
    for name in ("--commit", "GIT_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "git rev-parse HEAD"):
        assert name in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not target.exists()


def test_unwritable_target_exits_1_and_leaves_nothing(outside_git: Path) -> None:
    """A missing directory: exit 1 naming the path, no traceback, no temporary file."""
    target = outside_git / "no" / "such" / "version.json"
    completed = run_command(outside_git, "--write", str(target), "--commit", SHA)
    assert completed.returncode == 1
    assert str(target) in completed.stderr
    assert "Traceback" not in completed.stderr
    assert list(outside_git.iterdir()) == []


def test_bad_option_is_a_usage_error(outside_git: Path) -> None:
    """An option that is not known, or a non-number indent, exits 2 with argparse's usage."""
    for args in (["--comit", SHA], ["--indent", "wide"]):
        completed = run_command(outside_git, *args)
        assert completed.returncode == 2
        assert "usage: python -m dockerflow.version" in completed.stderr


def test_read_git_facts_from_a_real_checkout(git_repository: Path) -> None:
    """Commit, exact tag and origin come from the checkout around cwd."""
    assert read_git_facts(str(git_repository)) == {
        "commit": git(git_repository, "rev-parse", "HEAD"),
        "version": "v0.1.0",
        "source": "https://github.com/acme/notes",
    }


def test_read_git_facts_outside_a_checkout(
    outside_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a git checkout there are no facts (and no error)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(outside_git.parent))
    assert read_git_facts(str(outside_git)) == {}
