"""A misbehaving check never breaks the heartbeat: /__heartbeat__ and the CLI answer JSON.

Each case registers one check that misbehaves beside one that reports a
warning; the answer is the JSON heartbeat, and the warning is still in it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask, g

from dockerflow import health
from dockerflow.flask import Dockerflow, checks
from dockerflow.flask._cli import dockerflow_cli
from dockerflow.logging import RequestIdLogFilter


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def raises_unprintable() -> list[Any]:
    raise UnprintableError


def returns_exception_msg() -> list[Any]:
    return [checks.Error(ValueError("boom"), id="bad.E001")]


def returns_set_msg() -> list[Any]:
    return [checks.Error({"a", "b"}, id="bad.E001")]


def returns_nan_msg() -> list[Any]:
    return [checks.Error(float("nan"), id="bad.E001")]


def raises_cancelled() -> list[Any]:
    raise asyncio.CancelledError


async def async_raises_cancelled() -> list[Any]:
    raise asyncio.CancelledError


def raises_system_exit() -> list[Any]:
    raise SystemExit(3)


def raises_keyboard_interrupt() -> list[Any]:
    raise KeyboardInterrupt


async def async_raises_keyboard_interrupt() -> list[Any]:
    raise KeyboardInterrupt


# check -> (the id of its message, a text the message holds)
MISBEHAVING: dict[Callable[[], Any], tuple[str, str]] = {
    raises_unprintable: (health.ERROR_CHECK_EXCEPTION, "UnprintableError"),
    returns_exception_msg: ("bad.E001", "boom"),
    returns_set_msg: ("bad.E001", "'a'"),
    returns_nan_msg: ("bad.E001", "nan"),
    raises_cancelled: (health.ERROR_CHECK_EXCEPTION, "CancelledError"),
    async_raises_cancelled: (health.ERROR_CHECK_EXCEPTION, "CancelledError"),
    raises_system_exit: (health.ERROR_CHECK_EXCEPTION, "SystemExit: 3"),
    raises_keyboard_interrupt: (health.ERROR_CHECK_EXCEPTION, "KeyboardInterrupt"),
    async_raises_keyboard_interrupt: (health.ERROR_CHECK_EXCEPTION, "KeyboardInterrupt"),
}


def app_with(check: Callable[[], Any], tmp_path: Path) -> Flask:
    app = Flask("never_breaks", root_path=str(tmp_path / "app"))
    dockerflow = Dockerflow(app)
    dockerflow.check(check, name="bad")

    @dockerflow.check
    def fine() -> list[Any]:
        return [checks.Warning("still here", id="fine.W001")]

    return app


def assert_heartbeat_body(body: Any, check: Callable[[], Any]) -> None:
    expected_id, expected_text = MISBEHAVING[check]
    assert body["status"] == "error"
    assert body["checks"] == {"bad": "error", "fine": "warning"}
    assert body["details"]["fine"]["messages"] == {"fine.W001": "still here"}
    (key,) = body["details"]["bad"]["messages"]
    assert key == expected_id
    assert expected_text in str(body["details"]["bad"]["messages"][key])


@pytest.mark.parametrize("check", list(MISBEHAVING), ids=lambda check: check.__name__)
def test_misbehaving_check_still_gives_the_json_heartbeat(
    check: Callable[[], Any], tmp_path: Path
) -> None:
    """The endpoint answers the JSON heartbeat (strict JSON, no NaN), keeping the other check."""
    response = app_with(check, tmp_path).test_client().get("/__heartbeat__")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    body = json.loads(response.data, parse_constant=pytest.fail)
    assert_heartbeat_body(body, check)


@pytest.mark.parametrize("check", list(MISBEHAVING), ids=lambda check: check.__name__)
def test_misbehaving_check_still_gives_the_json_from_the_cli(
    check: Callable[[], Any], tmp_path: Path
) -> None:
    """``flask dockerflow heartbeat`` prints the JSON and exits 1, never a traceback."""
    result = app_with(check, tmp_path).test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert_heartbeat_body(json.loads(result.output), check)


def test_check_records_carry_the_heartbeat_request_id(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A record a check logs, on a check thread, carries the heartbeat request's id."""
    dockerflow = Dockerflow(app)
    check_logger = logging.getLogger("test.never_breaks.check")
    seen: list[Any] = []

    @dockerflow.check
    def logs_something() -> list[Any]:
        check_logger.warning("logged from a check")
        return []

    @app.after_request
    def remember(response: Any) -> Any:
        seen.append(g.request_id)
        return response

    # pytest keeps one caplog handler for the session: the filter must go again.
    rid_filter = RequestIdLogFilter()
    caplog.handler.addFilter(rid_filter)
    try:
        with caplog.at_level(logging.INFO):
            response = app.test_client().get("/__heartbeat__", headers={"X-Request-ID": "hb-rid-1"})
    finally:
        caplog.handler.removeFilter(rid_filter)
    assert response.status_code == 200
    assert seen == ["hb-rid-1"]
    (record,) = [r for r in caplog.records if r.name == check_logger.name]
    assert record.rid == "hb-rid-1"  # type: ignore[attr-defined]


def test_async_callable_object_runs_inside_the_app_context(app: Flask) -> None:
    """An object whose ``__call__`` is ``async def`` runs as an async check, in the app context."""
    from flask import current_app

    class AsyncProbe:
        __name__ = "async_probe"

        async def __call__(self) -> list[Any]:
            await asyncio.sleep(0)
            return [checks.Info(f"app {current_app.name}", id="probe.I001")]

    Dockerflow(app).check(AsyncProbe())
    body = app.test_client().get("/__heartbeat__").get_json()
    assert body["details"]["async_probe"]["messages"] == {"probe.I001": f"app {app.name}"}


def test_awaitable_returned_by_a_plain_callable_runs_inside_the_app_context(app: Flask) -> None:
    """A plain callable returning a coroutine: the coroutine runs in the app context too."""
    from flask import current_app

    async def probe() -> list[Any]:
        return [checks.Info(f"app {current_app.name}", id="probe.I001")]

    Dockerflow(app).check(lambda: probe(), name="returns_a_coroutine")
    body = app.test_client().get("/__heartbeat__").get_json()
    assert body["details"]["returns_a_coroutine"]["messages"] == {"probe.I001": f"app {app.name}"}


def test_heartbeat_logs_every_message_as_id_colon_msg(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Each message is one record on dockerflow.checks.registry at its level; the silenced none."""
    dockerflow = Dockerflow(app, silenced_checks=["quiet.W001"])

    @dockerflow.check
    def several() -> list[Any]:
        return [
            checks.Error("down", id="svc.E001"),
            checks.Warning("hushed", id="quiet.W001"),
            checks.Info("no id"),
        ]

    @dockerflow.check
    def explodes() -> list[Any]:
        raise ConnectionError("refused")

    with caplog.at_level(logging.DEBUG, logger="dockerflow"):
        app.test_client().get("/__heartbeat__")
    records = [r for r in caplog.records if r.name == "dockerflow.checks.registry"]
    assert sorted((r.levelno, r.getMessage()) for r in records) == [
        (logging.INFO, "None: no id"),
        (
            logging.ERROR,
            "dockerflow.health.check_exception: Check explodes raised ConnectionError: refused",
        ),
        (logging.ERROR, "svc.E001: down"),
    ]
    (raised,) = [r for r in records if r.exc_info]
    assert raised.exc_info[0] is ConnectionError  # type: ignore[index]
    assert not [r for r in caplog.records if "hushed" in r.getMessage()]


# -- the CLI as a process --

SERVICE_MODULE = textwrap.dedent(
    """
    import asyncio
    import os

    from flask import Flask

    from dockerflow.flask import Dockerflow, checks

    app = Flask(__name__)
    dockerflow = Dockerflow(app)


    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no text")


    @dockerflow.check
    def bad():
        kind = os.environ["BAD_KIND"]
        if kind == "unprintable":
            raise Unprintable
        if kind == "set":
            return [checks.Error({1, 2}, id="bad.E001")]
        if kind == "exception-msg":
            return [checks.Error(ValueError("boom"), id="bad.E001")]
        if kind == "cancelled":
            raise asyncio.CancelledError
        if kind == "system-exit":
            raise SystemExit(3)
        raise KeyboardInterrupt


    @dockerflow.check
    def fine():
        return [checks.Warning("still here", id="fine.W001")]
    """
)


@pytest.mark.parametrize(
    "kind",
    ["unprintable", "set", "exception-msg", "cancelled", "system-exit", "keyboard-interrupt"],
)
def test_cli_process_prints_the_json_for_a_misbehaving_check(tmp_path: Path, kind: str) -> None:
    """`python -m flask dockerflow heartbeat` prints the heartbeat and exits 1, no traceback."""
    (tmp_path / "svc.py").write_text(SERVICE_MODULE)
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "svc", "dockerflow", "heartbeat"],
        cwd=tmp_path,
        env={**_environ(), "BAD_KIND": kind},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stdout
    # Unconfigured logging prints the failing check's record (traceback kept) on
    # stderr; nothing else there may be a traceback.
    before_the_record = completed.stderr.split("dockerflow.health.check_exception: Check bad")[0]
    assert "Traceback" not in before_the_record, completed.stderr
    body = json.loads(completed.stdout)
    assert body["checks"] == {"bad": "error", "fine": "warning"}
    assert body["details"]["fine"]["messages"] == {"fine.W001": "still here"}


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
