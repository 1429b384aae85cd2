"""/__heartbeat__: payload, status codes, fail level, signals, cache and isolation."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from flask import Flask, current_app

from dockerflow import checks as df_checks
from dockerflow.flask import Dockerflow, HeartbeatResult
from dockerflow.flask import checks as flask_checks
from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed


def test_heartbeat_payload_lists_every_check_and_details_only_above_ok(app: Flask) -> None:
    """Every check appears in ``checks``; only those above ok appear in ``details``."""
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def fine() -> list[Any]:
        return []

    @dockerflow.check
    def shaky() -> list[Any]:
        return [flask_checks.Warning("slow storage", id="acme.W001", hint="look at it")]

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "warning",
        "checks": {"fine": "ok", "shaky": "warning"},
        "details": {
            "shaky": {
                "status": "warning",
                "level": 30,
                "messages": {"acme.W001": "slow storage"},
            }
        },
    }


def test_heartbeat_with_no_checks_is_ok(app: Flask) -> None:
    """An app without checks answers 200 with status ok."""
    Dockerflow(app)

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {}, "details": {}}


@pytest.mark.parametrize(
    ("message", "status_code"),
    [
        (flask_checks.Debug("d", id="acme.D001"), 200),
        (flask_checks.Info("i", id="acme.I001"), 200),
        (flask_checks.Warning("w", id="acme.W001"), 200),
        (flask_checks.Error("e", id="acme.E001"), 500),
        (flask_checks.Critical("c", id="acme.C001"), 500),
    ],
)
def test_errors_fail_the_heartbeat_by_default_lower_levels_do_not(
    app: Flask, message: flask_checks.CheckMessage, status_code: int
) -> None:
    """The default fail level is ERROR: errors and criticals answer 500, the rest 200."""
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [message], name="one")

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == status_code
    assert response.get_json()["status"] == flask_checks.level_to_text(message.level)


def test_fail_level_warning_makes_a_warning_fail(make_app: Any) -> None:
    """DOCKERFLOW_HEARTBEAT_FAIL_LEVEL=WARNING restores the seed's reading."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVEL="WARNING")
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Warning("meh", id="w")], name="warns")

    assert app.test_client().get("/__heartbeat__").status_code == 500


def test_failed_status_code_setting_is_used(make_app: Any) -> None:
    """DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE replaces 500 for a failed heartbeat."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Critical("gone", id="c")], name="breaks")

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 503
    assert response.get_json()["status"] == "critical"


def test_details_can_be_hidden(make_app: Any) -> None:
    """DOCKERFLOW_HEARTBEAT_DETAILS=False keeps only status and checks in the body."""
    app = make_app(DOCKERFLOW_HEARTBEAT_DETAILS=False)
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Error("db at 10.0.0.5 refused", id="e")], name="db")

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 500
    assert response.get_json() == {"status": "error", "checks": {"db": "error"}}
    assert b"10.0.0.5" not in response.data


def test_passed_signal_reaches_receivers_connected_via_the_app(app: Flask) -> None:
    """heartbeat_passed.connect_via(app) receives the app and the level (0 with no checks)."""
    dockerflow = Dockerflow(app)
    received: list[tuple[Any, int]] = []

    @heartbeat_passed.connect_via(app)
    def on_passed(sender: Any, level: int, **extra: Any) -> None:
        received.append((sender, level))

    @heartbeat_failed.connect_via(app)
    def on_failed(sender: Any, level: int, **extra: Any) -> None:
        raise AssertionError("a passing heartbeat sent heartbeat_failed")

    try:
        app.test_client().get("/__heartbeat__")
        dockerflow.check(lambda: [flask_checks.Info("fyi", id="i")], name="informs")
        app.test_client().get("/__heartbeat__")
    finally:
        heartbeat_passed.disconnect(on_passed)
        heartbeat_failed.disconnect(on_failed)

    assert received == [(app, 0), (app, flask_checks.INFO)]


def test_failed_signal_reaches_receivers_connected_via_the_app(app: Flask) -> None:
    """heartbeat_failed.connect_via(app) fires for a failing heartbeat, not another app's."""
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Error("down", id="e")], name="breaks")
    other = Flask("another_app")
    received: list[tuple[Any, int]] = []
    foreign: list[Any] = []

    @heartbeat_failed.connect_via(app)
    def on_failed(sender: Any, level: int, **extra: Any) -> None:
        received.append((sender, level))

    @heartbeat_failed.connect_via(other)
    def on_other(sender: Any, **extra: Any) -> None:
        foreign.append(sender)

    try:
        app.test_client().get("/__heartbeat__")
    finally:
        heartbeat_failed.disconnect(on_failed)
        heartbeat_failed.disconnect(on_other)

    assert received == [(app, flask_checks.ERROR)]
    assert foreign == []


def test_signal_follows_the_configured_fail_level(make_app: Any) -> None:
    """With fail level WARNING a warning sends heartbeat_failed."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVEL="warning")
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Warning("meh", id="w")], name="warns")
    levels: list[int] = []

    @heartbeat_failed.connect_via(app)
    def on_failed(sender: Any, level: int, **extra: Any) -> None:
        levels.append(level)

    try:
        app.test_client().get("/__heartbeat__")
    finally:
        heartbeat_failed.disconnect(on_failed)

    assert levels == [flask_checks.WARNING]


def test_cache_ttl_lets_requests_share_one_run(make_app: Any) -> None:
    """With DOCKERFLOW_HEARTBEAT_CACHE_TTL, several heartbeats run the checks once."""
    app = make_app(DOCKERFLOW_HEARTBEAT_CACHE_TTL=60)
    dockerflow = Dockerflow(app)
    calls: list[int] = []

    @dockerflow.check
    def counted() -> list[Any]:
        calls.append(1)
        return []

    client = app.test_client()
    statuses = [client.get("/__heartbeat__").status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert len(calls) == 1


def test_without_cache_every_heartbeat_runs_the_checks(app: Flask) -> None:
    """The default TTL 0 runs the checks on every request."""
    dockerflow = Dockerflow(app)
    calls: list[int] = []
    dockerflow.check(lambda: calls.append(1) or [], name="counted")

    client = app.test_client()
    for _ in range(3):
        client.get("/__heartbeat__")

    assert len(calls) == 3


def test_hanging_check_times_out_and_heartbeat_still_answers(make_app: Any) -> None:
    """A check that hangs past DOCKERFLOW_CHECK_TIMEOUT becomes an Error; the answer comes
    while the check still hangs."""
    app = make_app(DOCKERFLOW_CHECK_TIMEOUT=0.5)
    dockerflow = Dockerflow(app)
    release = threading.Event()
    finished = threading.Event()

    @dockerflow.check
    def hangs() -> list[Any]:
        release.wait(30)
        finished.set()
        return []

    @dockerflow.check
    def quick() -> list[Any]:
        return []

    try:
        response = app.test_client().get("/__heartbeat__")
        still_hanging = not finished.is_set()
    finally:
        release.set()

    assert response.status_code == 500
    body = response.get_json()
    assert body["checks"] == {"hangs": "error", "quick": "ok"}
    assert body["details"]["hangs"]["level"] == flask_checks.ERROR
    assert still_hanging


def test_heartbeat_runs_its_checks_concurrently(make_app: Any) -> None:
    """Checks that can only pass together (a shared barrier) all pass: they run at the same time."""
    app = make_app(DOCKERFLOW_CHECK_TIMEOUT=10)
    dockerflow = Dockerflow(app)
    # Run one after another, the first check would wait for the others until
    # the barrier breaks, and fail.
    all_started = threading.Barrier(3, timeout=5)

    def meets_the_others() -> list[Any]:
        all_started.wait()
        return []

    for name in ("first", "second", "third"):
        dockerflow.check(meets_the_others, name=name)

    response = app.test_client().get("/__heartbeat__")

    assert response.get_json()["checks"] == {"first": "ok", "second": "ok", "third": "ok"}
    assert response.status_code == 200


def test_raising_check_becomes_an_error_without_traceback(app: Flask) -> None:
    """A check that raises is an Error naming the exception, with no traceback in the body."""
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def explodes() -> list[Any]:
        raise ZeroDivisionError("boom")

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 500
    details = response.get_json()["details"]["explodes"]
    assert details["status"] == "error"
    (message,) = details["messages"].values()
    assert "ZeroDivisionError" in message
    assert b"Traceback" not in response.data
    assert b'File "' not in response.data


def test_checks_run_inside_an_app_context(app: Flask) -> None:
    """Each check sees ``current_app`` (Flask-SQLAlchemy's ``db.engine`` needs it)."""
    dockerflow = Dockerflow(app)
    seen: list[str] = []

    @dockerflow.check
    def needs_app() -> list[Any]:
        seen.append(current_app.name)
        return []

    response = app.test_client().get("/__heartbeat__")

    assert response.get_json()["checks"] == {"needs_app": "ok"}
    assert seen == [app.name]


def test_async_checks_run_inside_an_app_context(app: Flask) -> None:
    """An ``async def`` check runs, inside an app context too."""
    dockerflow = Dockerflow(app)

    @dockerflow.check
    async def async_check() -> list[Any]:
        await asyncio.sleep(0)
        return [flask_checks.Warning(f"from {current_app.name}", id="a.W1")]

    response = app.test_client().get("/__heartbeat__")

    details = response.get_json()["details"]["async_check"]
    assert details["messages"] == {"a.W1": f"from {app.name}"}


def test_named_check_uses_the_given_name(app: Flask) -> None:
    """``@dockerflow.check(name=...)`` registers under that name."""
    dockerflow = Dockerflow(app)

    @dockerflow.check(name="storage")
    def storage_reachable() -> list[Any]:
        return []

    assert storage_reachable() == []
    assert app.test_client().get("/__heartbeat__").get_json()["checks"] == {"storage": "ok"}


@pytest.mark.parametrize("silenced", [["acme.E001"], ("acme.E001",), "acme.E001"])
def test_silenced_checks_are_left_out(app: Flask, silenced: Any) -> None:
    """Message ids in ``silenced_checks`` (a list, or one string) do not count."""
    dockerflow = Dockerflow(app, silenced_checks=silenced)
    dockerflow.check(lambda: [flask_checks.Error("ignored", id="acme.E001")], name="noisy")
    dockerflow.check(lambda: [flask_checks.Warning("w", id="acme.W002")], name="kept")

    response = app.test_client().get("/__heartbeat__")

    assert dockerflow.silenced_checks == ["acme.E001"]
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["checks"]) == ("warning", {"noisy": "ok", "kept": "warning"})
    assert list(body["details"]) == ["kept"]


@pytest.mark.parametrize("silenced", [42, [b"acme.W001"], ["acme.W001", None]])
def test_silenced_checks_that_are_not_ids_raise_at_construction(silenced: Any) -> None:
    """A value that is not a check id (or ids) is a TypeError, not a silent no-op."""
    with pytest.raises(TypeError, match="silenced_checks"):
        Dockerflow(silenced_checks=silenced)


def test_the_same_callable_again_is_no_duplicate(app: Flask) -> None:
    """Registering one function twice under its name keeps one check, without error."""
    dockerflow = Dockerflow(app)

    def storage() -> list[Any]:
        return []

    dockerflow.check(storage)
    dockerflow.check(storage)
    dockerflow.check(name="storage")(storage)

    assert app.test_client().get("/__heartbeat__").get_json()["checks"] == {"storage": "ok"}


def test_module_level_checks_run_in_every_app(make_app: Any) -> None:
    """Checks registered with dockerflow.checks.register (or register_partial) run in each app."""
    first, second = make_app(), make_app()
    Dockerflow(first)
    Dockerflow(second)

    @df_checks.register
    def everywhere() -> list[Any]:
        return [flask_checks.Info("hello", id="acme.I001")]

    df_checks.register_partial(lambda text: [flask_checks.Warning(text)], "hi", name="partial")

    for app in (first, second):
        checks = app.test_client().get("/__heartbeat__").get_json()["checks"]
        assert checks == {"everywhere": "info", "partial": "warning"}


def test_two_apps_keep_their_checks_apart(make_app: Any) -> None:
    """A check added through one Dockerflow object never shows in another app."""
    first, second = make_app(), make_app()
    dockerflow_one = Dockerflow(first)
    dockerflow_two = Dockerflow(second)
    dockerflow_one.check(list, name="only_first")
    dockerflow_two.check(lambda: [flask_checks.Error("x", id="e")], name="only_second")

    first_body = first.test_client().get("/__heartbeat__").get_json()
    second_response = second.test_client().get("/__heartbeat__")

    assert first_body["checks"] == {"only_first": "ok"}
    assert second_response.get_json()["checks"] == {"only_second": "error"}
    assert second_response.status_code == 500


def test_run_heartbeat_gives_the_exact_body_and_decision(app: Flask) -> None:
    """The state's run_heartbeat() returns what the endpoint serves (the CLI's API)."""
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Error("down", id="e")], name="breaks")

    result = app.extensions["dockerflow"].run_heartbeat()
    response = app.test_client().get("/__heartbeat__")

    served = response.get_json()
    assert isinstance(result, HeartbeatResult)
    assert result.payload == served
    assert (result.status_code, result.level, result.passed) == (500, flask_checks.ERROR, False)


def test_a_name_registered_again_replaces_the_check_silently(
    app: Flask, recwarn: pytest.WarningsRecorder
) -> None:
    """python-dockerflow's rule: factories re-register on every create_app(); no warning."""
    dockerflow = Dockerflow(app)
    dockerflow.check(list, name="same")
    dockerflow.check(lambda: [flask_checks.Error("down", id="e")], name="same")

    assert app.test_client().get("/__heartbeat__").get_json()["checks"] == {"same": "error"}
    assert len(recwarn) == 0


@pytest.mark.parametrize("failing", [False, True])
@pytest.mark.parametrize("signal", [heartbeat_passed, heartbeat_failed])
def test_a_raising_signal_receiver_leaves_the_answer_to_the_checks(
    app: Flask, caplog: pytest.LogCaptureFixture, signal: Any, failing: bool
) -> None:
    """A metrics receiver whose backend is down: the JSON answer stands, its error is logged."""
    dockerflow = Dockerflow(app)
    dockerflow.check(lambda: [flask_checks.Error("down", id="e")] if failing else [], name="c")

    def receiver(sender: Any, **extra: Any) -> None:
        raise ConnectionError("statsd is down")

    signal.connect(receiver, app)
    try:
        response = app.test_client().get("/__heartbeat__")
    finally:
        signal.disconnect(receiver, app)

    assert response.status_code == (500 if failing else 200)
    assert response.get_json()["checks"] == {"c": "error" if failing else "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    sent = (signal is heartbeat_failed) == failing
    logged = [r for r in caplog.records if r.name == "dockerflow.flask" and r.exc_info]
    assert [str(r.exc_info[1]) for r in logged] == (["statsd is down"] if sent else [])  # type: ignore[index]


def test_a_check_named_like_a_module_level_one_is_refused_at_registration(app: Flask) -> None:
    """The user learns of the clash when registering: one would hide the other."""
    df_checks.register(lambda: [flask_checks.Error("down", id="e")], name="storage")
    dockerflow = Dockerflow(app)

    with pytest.raises(ValueError, match="'storage' is already registered"):
        dockerflow.check(lambda: [flask_checks.Info("up", id="i")], name="storage")
    dockerflow.check(df_checks.get_checks()["storage"], name="storage")  # the same one: fine


def test_a_module_level_check_registered_later_is_not_hidden(app: Flask) -> None:
    """Registered after the app's check of the same name, it runs too, and its failure counts."""
    Dockerflow(app).check(list, name="storage")
    df_checks.register(lambda: [flask_checks.Error("down", id="e")], name="storage")

    response = app.test_client().get("/__heartbeat__")

    assert response.status_code == 500
    assert response.get_json()["checks"] == {"storage (module-level)": "error", "storage": "ok"}
