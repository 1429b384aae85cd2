"""A user's code type-checks with ``mypy --strict`` against our installed wheels.

The wheels go into a fresh virtual environment (not editable, as a user
installs them) and mypy, from the test environment, checks two user modules
against it with ``--python-executable``: one importing every public name of
every documented module and using a few with their types, which must pass;
one with deliberate mistakes, which mypy must catch (so our types are real
types, not ``Any``).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import Venv

# Every module the documentation names as public.
PUBLIC_MODULES = (
    "dockerflow.logging",
    "dockerflow.checks",
    "dockerflow.checks.messages",
    "dockerflow.checks.registry",
    "dockerflow.checks.sqlalchemy",
    "dockerflow.checks.redis",
    "dockerflow.checks.alembic",
    "dockerflow.health",
    "dockerflow.version",
    "dockerflow.flask",
    "dockerflow.flask.app",
    "dockerflow.flask.checks",
    "dockerflow.flask.checks.messages",
    "dockerflow.flask.signals",
)

USES = """
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from dockerflow import health
from dockerflow.checks import CheckMessage, CheckRegistry, ChecksResults, Heartbeat
from dockerflow.checks import Error, level_to_text, run_checks
from dockerflow.flask import Dockerflow, HeartbeatResult
from dockerflow.flask.signals import heartbeat_failed
from dockerflow.logging import JsonLogFormatter, TraceContext, request_id_context
from dockerflow.logging import trace_context, trace_context_from_headers
from dockerflow.version import build_version_object, get_version


def uses_every_package() -> None:
    version: dict[str, Any] | None = get_version("/app")
    built: dict[str, str] = build_version_object({"GIT_COMMIT": "abc"})
    timeout_id: str = health.ERROR_CHECK_TIMEOUT
    formatter: logging.Formatter = JsonLogFormatter(logger_name="myservice")
    request_id: str | None = request_id_context.get()
    trace: TraceContext | None = trace_context_from_headers({"traceparent": "00-..."})
    if trace is not None:
        trace_context.set(trace)
        trace_id: str = trace.trace_id
        print(trace_id, trace.sampled)

    registry = CheckRegistry()

    @registry.register(name="disk")
    def disk() -> list[CheckMessage]:
        return [Error("full", id="myservice.E001")]

    results: ChecksResults = run_checks(registry.get_checks())
    level: int = results.level
    text: str = level_to_text(level)
    runner = Heartbeat(timeout=1.0)
    again: ChecksResults = runner.run(registry.get_checks())

    app = Flask(__name__)
    dockerflow = Dockerflow(app, version_path="/app")

    @dockerflow.check
    def queue() -> list[CheckMessage]:
        return []

    @heartbeat_failed.connect_via(app)
    def on_failure(sender: Flask, level: int, **extra: Any) -> None:
        pass

    heartbeat: HeartbeatResult = app.extensions["dockerflow"].run_heartbeat()
    print(version, built, timeout_id, formatter, request_id, text, again, heartbeat)
"""

# Each line is a mistake mypy must report, on that line.
MISTAKES = """
from dockerflow import health
from dockerflow.checks import level_to_text
from dockerflow.version import get_version
from dockerflow.flask import Dockerflow
from dockerflow.logging import TraceContext

name: int = level_to_text(40)
version: str = get_version("/app")
timeout_id: int = health.ERROR_CHECK_TIMEOUT
Dockerflow(silenced_checks=42)
sampled: str = TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", True).sampled
"""


def public_names(module_name: str) -> list[str]:
    """The module's ``__all__``, or its public constants when it has none (dockerflow.health)."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, value in vars(module).items() if name.isupper()]
    assert names, f"{module_name} exports nothing"
    return sorted(names)


def write_import_modules(directory: Path) -> list[str]:
    """One user module per public module, importing all its names; their file names."""
    files = []
    for module_name in PUBLIC_MODULES:
        names = ", ".join(public_names(module_name))
        file_name = "imports_" + module_name.replace(".", "_") + ".py"
        code = f"import {module_name}\nfrom {module_name} import {names}\n"
        (directory / file_name).write_text(code, encoding="utf-8")
        files.append(file_name)
    return files


def test_user_code_passes_mypy_strict_against_the_installed_wheels(
    wheelhouse: Path, fresh_venv: Venv, tmp_path: Path
) -> None:
    """Every public import path is typed (no import-untyped), and mistakes are caught."""
    fresh_venv.install_offline(wheelhouse, "dockerflow-flask")
    user = tmp_path / "user"
    user.mkdir()
    import_modules = write_import_modules(user)
    (user / "uses.py").write_text(textwrap.dedent(USES), encoding="utf-8")
    (user / "mistakes.py").write_text(MISTAKES.lstrip("\n"), encoding="utf-8")
    # Only the venv's packages: no MYPYPATH pointing at our src/ directories.
    environ = {name: value for name, value in os.environ.items() if name != "MYPYPATH"}

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--python-executable",
            str(fresh_venv.python),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--no-error-summary",
            "--show-error-codes",
            *import_modules,
            "uses.py",
            "mistakes.py",
        ],
        cwd=user,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    reported = completed.stdout.splitlines()
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert [line for line in reported if not line.startswith("mistakes.py:")] == []
    lines_with_errors = {int(re.match(r"mistakes\.py:(\d+):", line)[1]) for line in reported}
    assert lines_with_errors == {7, 8, 9, 10, 11}, completed.stdout
    assert "import-untyped" not in completed.stdout
