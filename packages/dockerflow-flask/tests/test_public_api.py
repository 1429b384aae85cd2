"""The public API as python-dockerflow users import it, used with its types.

The module is written to pass ``mypy --strict`` as a user's code would:
``hatch run types:mypy --strict packages/dockerflow-flask/tests/test_public_api.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from dockerflow.flask import Dockerflow, DockerflowState, HeartbeatResult, checks, signals
from dockerflow.flask.app import Dockerflow as DockerflowFromApp
from dockerflow.flask.checks import messages


def storage_check() -> list[checks.CheckMessage]:
    return [checks.Warning("storage is slow", id="acme.W001")]


def test_python_dockerflow_import_paths_still_work() -> None:
    """dockerflow.flask.app, .checks, .checks.messages and .signals all import."""
    import dockerflow.flask.checks.messages as messages_module

    assert DockerflowFromApp is Dockerflow
    assert messages_module.Error is checks.Error is messages.Error
    assert (checks.DEBUG, checks.INFO, checks.WARNING, checks.ERROR, checks.CRITICAL) == (
        10,
        20,
        30,
        40,
        50,
    )
    assert checks.level_to_text(checks.WARNING) == "warning"
    assert callable(checks.check_database_connected)
    assert callable(checks.check_redis_connected)
    assert callable(checks.check_migrations_applied)
    assert signals.heartbeat_passed is not signals.heartbeat_failed


def test_typed_usage_of_the_extension(tmp_path: Path) -> None:
    """A user's typed code: factory, named check, version callback, state API."""
    app = Flask("typed", root_path=str(tmp_path / "app"))
    dockerflow = Dockerflow(silenced_checks=["acme.W999"], version_path=tmp_path)

    registered = dockerflow.check(storage_check)

    @dockerflow.check(name="queue")
    def queue_check() -> list[checks.CheckMessage]:
        return []

    @dockerflow.version_callback
    def version(root: str) -> dict[str, Any]:
        return {"version": "1.2.3", "root": root}

    dockerflow.init_app(app)
    state: DockerflowState = app.extensions["dockerflow"]
    result: HeartbeatResult = state.run_heartbeat()
    loaded: dict[str, Any] | None = state.load_version()

    assert registered is storage_check
    assert queue_check() == []
    assert result.passed
    assert result.status_code == 200
    assert result.level == checks.WARNING
    assert result.payload["checks"] == {"storage_check": "warning", "queue": "ok"}
    assert loaded == {"version": "1.2.3", "root": str(tmp_path)}
