"""The Dockerflow object: application factory, per-app state, compatibility paths."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow, DockerflowState


def test_one_object_initialises_a_second_app(make_app: Any) -> None:
    """init_app on a second app works and both apps serve the endpoints."""
    dockerflow = Dockerflow()
    first, second = make_app(), make_app()

    dockerflow.init_app(first)
    dockerflow.init_app(second)

    for app in (first, second):
        assert app.test_client().get("/__lbheartbeat__").status_code == 200
        assert app.test_client().get("/__heartbeat__").status_code == 200


def test_state_lives_in_app_extensions_not_on_the_object(app: Flask) -> None:
    """app.extensions['dockerflow'] is the per-app state; the object keeps no app."""
    dockerflow = Dockerflow(app)

    state = app.extensions["dockerflow"]

    assert isinstance(state, DockerflowState)
    assert state.app is app
    assert state.registry is dockerflow.registry
    assert not hasattr(dockerflow, "app")


def test_each_app_gets_its_own_config_snapshot(make_app: Any) -> None:
    """The same object on two apps follows each app's own settings."""
    dockerflow = Dockerflow()
    strict = make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVEL="WARNING")
    lenient = make_app()
    dockerflow.init_app(strict)
    dockerflow.init_app(lenient)
    from dockerflow.flask.checks import Warning as CheckWarning

    dockerflow.check(lambda: [CheckWarning("meh", id="w")], name="warns")

    assert strict.test_client().get("/__heartbeat__").status_code == 500
    assert lenient.test_client().get("/__heartbeat__").status_code == 200


def test_initialising_the_same_app_twice_raises(app: Flask) -> None:
    """A second init_app on the same app is refused with a clear error."""
    Dockerflow(app)

    with pytest.raises(RuntimeError, match="already initialised"):
        Dockerflow(app)


def test_checks_added_after_init_app_are_run(app: Flask) -> None:
    """Checks registered after init_app still run (registry read at heartbeat time)."""
    dockerflow = Dockerflow(app)
    app.test_client().get("/__heartbeat__")

    dockerflow.check(list, name="late")

    assert app.test_client().get("/__heartbeat__").get_json()["checks"] == {"late": "ok"}


def test_an_app_is_freed_when_dropped(make_app: Any) -> None:
    """Nothing module-level (signals, registries) keeps a dropped app alive."""
    app = make_app()
    Dockerflow(app)
    app.test_client().get("/__heartbeat__")
    reference = weakref.ref(app)

    del app
    gc.collect()

    assert reference() is None


def test_init_check_still_works_with_a_deprecation_warning(app: Flask) -> None:
    """python-dockerflow's init_check(check, obj) registers check(obj) on this object."""
    dockerflow = Dockerflow(app)

    def needs_arg(value: str) -> list[Any]:
        assert value == "the-object"
        return []

    with pytest.deprecated_call():
        dockerflow.init_check(needs_arg, "the-object")

    assert app.test_client().get("/__heartbeat__").get_json()["checks"] == {"needs_arg": "ok"}
