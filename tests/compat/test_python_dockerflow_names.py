"""Every public name of python-dockerflow's modules imports from ours.

The names are those of python-dockerflow's ``__all__`` lists, its API
documentation and the definitions of its modules (``dockerflow.flask``,
``.app``, ``.checks``, ``.checks.messages``, ``.signals``,
``dockerflow.logging``, ``dockerflow.checks``, ``.registry``, ``.messages``,
``dockerflow.health`` and ``dockerflow.version``). Names that were only
imported there (``flask``, ``os``, ``time``...) are not part of it.
"""

from __future__ import annotations

import importlib
import json

import pytest

MESSAGE_NAMES = (
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckMessage",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "level_to_text",
)
FLASK_CHECKS = ("check_database_connected", "check_migrations_applied", "check_redis_connected")
REGISTRY_NAMES = (
    "clear_checks",
    "get_checks",
    "register",
    "register_partial",
    "run_checks",
    "run_checks_async",
)
HEALTH_IDS = {
    "INFO_CANT_CHECK_MIGRATIONS": "dockerflow.health.I001",
    "WARNING_UNAPPLIED_MIGRATION": "dockerflow.health.W001",
    "ERROR_CANNOT_CONNECT_DATABASE": "dockerflow.health.E001",
    "ERROR_UNUSABLE_DATABASE": "dockerflow.health.E002",
    "ERROR_MISCONFIGURED_DATABASE": "dockerflow.health.E003",
    "ERROR_CANNOT_CONNECT_REDIS": "dockerflow.health.E004",
    "ERROR_MISSING_REDIS_CLIENT": "dockerflow.health.E005",
    "ERROR_MISCONFIGURED_REDIS": "dockerflow.health.E006",
    "ERROR_REDIS_PING_FAILED": "dockerflow.health.E007",
    "ERROR_DB_API_EXCEPTION": "dockerflow.health.E008",
    "ERROR_SQLALCHEMY_EXCEPTION": "dockerflow.health.E009",
    "ERROR_REDIS_EXCEPTION": "dockerflow.health.E010",
}

PUBLIC_NAMES = {
    "dockerflow.flask": ("Dockerflow",),
    "dockerflow.flask.app": (
        "Dockerflow",
        "HeartbeatFailure",
        "extract_request_id",
        "heartbeat_failed",
        "heartbeat_passed",
        "get_or_generate_request_id",
        "request_id_context",
        *FLASK_CHECKS,
    ),
    "dockerflow.flask.checks": (*MESSAGE_NAMES, *FLASK_CHECKS),
    "dockerflow.flask.checks.messages": MESSAGE_NAMES,
    "dockerflow.flask.signals": ("dockerflow_signals", "heartbeat_failed", "heartbeat_passed"),
    "dockerflow.logging": (
        "JsonLogFormatter",
        "MozlogFormatter",
        "MozlogHandler",
        "RequestIdLogFilter",
        "SafeJSONEncoder",
        "get_or_generate_request_id",
        "request_id_context",
        "safer_format_traceback",
    ),
    "dockerflow.checks": (*MESSAGE_NAMES, *REGISTRY_NAMES),
    "dockerflow.checks.messages": MESSAGE_NAMES,
    "dockerflow.checks.registry": (*REGISTRY_NAMES, "ChecksResults", "CheckFn"),
    "dockerflow.health": tuple(HEALTH_IDS),
    "dockerflow.version": ("get_version",),
}


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in PUBLIC_NAMES.items() for name in names],
)
def test_python_dockerflow_name_imports(module: str, name: str) -> None:
    """``from <module> import <name>`` works for each of python-dockerflow's names."""
    namespace: dict[str, object] = {}

    exec(f"from {module} import {name}", namespace)

    assert namespace[name] is getattr(importlib.import_module(module), name)


def test_flask_submodules_are_attributes_after_importing_the_package() -> None:
    """``import dockerflow.flask`` makes ``.app``, ``.checks`` and ``.signals`` reachable."""
    import dockerflow.flask

    assert dockerflow.flask.app.Dockerflow is dockerflow.flask.Dockerflow
    assert dockerflow.flask.checks.Error is dockerflow.flask.checks.messages.Error
    assert dockerflow.flask.signals.heartbeat_passed is not None


def test_the_aliases_are_the_same_objects() -> None:
    """Each name has one object, whichever python-dockerflow path imports it."""
    from dockerflow import checks
    from dockerflow.checks import registry
    from dockerflow.flask import app, signals
    from dockerflow.flask import checks as flask_checks
    from dockerflow.flask.checks import messages as flask_messages

    for name in MESSAGE_NAMES:
        assert getattr(flask_checks, name) is getattr(checks, name)
        assert getattr(flask_messages, name) is getattr(checks.messages, name)
    for name in REGISTRY_NAMES:
        assert getattr(registry, name) is getattr(checks, name)
    for name in FLASK_CHECKS:
        assert getattr(app, name) is getattr(flask_checks, name)
    assert app.heartbeat_passed is signals.heartbeat_passed
    assert app.heartbeat_failed is signals.heartbeat_failed


def test_health_ids_keep_python_dockerflows_values() -> None:
    """The check ids are the strings python-dockerflow's checks reported."""
    from dockerflow import health

    assert {name: getattr(health, name) for name in HEALTH_IDS} == HEALTH_IDS


def test_an_unknown_registry_name_is_an_attribute_error() -> None:
    """The lazily found runner names do not hide a typo."""
    from dockerflow.checks import registry

    with pytest.raises(AttributeError, match="run_check_async"):
        registry.run_check_async  # noqa: B018


def test_safe_json_encoder_turns_unknown_objects_into_their_repr() -> None:
    """``json.dumps(..., cls=SafeJSONEncoder)`` as python-dockerflow's encoder did."""
    from dockerflow.logging import SafeJSONEncoder

    class Unrepresentable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    marker = object()
    encoded = json.loads(
        json.dumps({"obj": marker, "set": {1}, "bad": Unrepresentable()}, cls=SafeJSONEncoder)
    )

    assert encoded["obj"] == repr(marker)
    assert encoded["set"] == "{1}"
    assert "Unrepresentable" in encoded["bad"]
