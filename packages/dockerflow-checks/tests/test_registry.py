"""Registries: one per app, plus the default one the module-level functions use."""

from __future__ import annotations

import functools

import pytest

from dockerflow import checks
from dockerflow.checks import CheckRegistry, Error


def ok() -> list[Error]:
    return []


def failing() -> list[Error]:
    return [Error("down")]


def test_bare_decorator_registers_under_function_name() -> None:
    """@registry.register registers the function by its __name__ and returns it unchanged."""
    registry = CheckRegistry()
    decorated = registry.register(ok)
    assert decorated is ok
    assert registry.get_checks() == {"ok": ok}


def test_decorator_with_name_and_direct_call() -> None:
    """register(name=...) as a decorator and as a direct call both register."""
    registry = CheckRegistry()

    @registry.register(name="database")
    def check_db() -> list[Error]:
        return []

    registry.register(failing, name="cache")
    assert registry.get_checks() == {"database": check_db, "cache": failing}


def test_a_name_registered_again_replaces_the_check_silently(
    recwarn: pytest.WarningsRecorder,
) -> None:
    """python-dockerflow's rule: the newest check wins, with no error and no warning."""
    registry = CheckRegistry()
    registry.register(ok, name="x")
    registry.register(failing, name="x")
    registry.register_partial(print, 2, name="x")
    (check,) = registry.get_checks().values()
    assert check.args == (2,)  # type: ignore[attr-defined]
    assert len(recwarn) == 0


def test_registering_the_same_callable_again_is_harmless() -> None:
    """The identical callable under the same name is not a conflict."""
    registry = CheckRegistry()
    registry.register(ok)
    registry.register(ok)
    assert registry.get_checks() == {"ok": ok}


def test_the_same_def_run_again_by_a_factory_is_no_duplicate() -> None:
    """An app factory that defines and registers its check on every call may run twice."""
    registry = CheckRegistry()

    def create_app(answer: list[Error]) -> None:
        @registry.register
        def storage_reachable() -> list[Error]:
            return answer

    create_app([])
    create_app([Error("down")])

    (check,) = registry.get_checks().values()
    assert check() == [Error("down")]  # the newest registration is kept


def test_register_partial_binds_arguments_and_uses_function_name() -> None:
    """register_partial registers func(*args) under func's name, or name=."""
    registry = CheckRegistry()

    def check_value(value: int) -> list[Error]:
        return [Error(f"value {value}")] if value else []

    registry.register_partial(check_value, 7)
    registry.register_partial(check_value, 0, name="zero")
    found = registry.get_checks()
    assert list(found) == ["check_value", "zero"]
    assert found["check_value"]() == [Error("value 7")]
    assert found["zero"]() == []
    assert found["check_value"].__name__ == "check_value"  # type: ignore[attr-defined]


def test_callable_without_name_needs_name() -> None:
    """A callable with no __name__ (a bare partial) must be given name=."""
    registry = CheckRegistry()
    with pytest.raises(ValueError, match="name="):
        registry.register(functools.partial(failing))


def test_get_checks_returns_a_copy() -> None:
    """Changing the returned dict does not change the registry."""
    registry = CheckRegistry()
    registry.register(ok)
    registry.get_checks().clear()
    assert "ok" in registry


def test_unregister_and_clear() -> None:
    """unregister removes one check (KeyError if absent); clear removes all."""
    registry = CheckRegistry()
    registry.register(ok)
    registry.register(failing)
    registry.unregister("ok")
    assert list(registry.get_checks()) == ["failing"]
    with pytest.raises(KeyError):
        registry.unregister("ok")
    registry.clear()
    assert len(registry) == 0


def test_two_registries_are_independent() -> None:
    """A check added to one registry never appears in another or in the default one."""
    first, second = CheckRegistry(), CheckRegistry()
    first.register(ok, name="only_first")
    second.register(failing, name="only_second")
    assert list(first.get_checks()) == ["only_first"]
    assert list(second.get_checks()) == ["only_second"]
    assert "only_first" not in checks.default_registry


@pytest.mark.usefixtures("clean_default_registry")
def test_module_functions_act_on_default_registry() -> None:
    """register, register_partial, get_checks and clear_checks use default_registry."""

    @checks.register
    def module_check() -> list[Error]:
        return []

    checks.register(failing, "named_positionally")
    checks.register_partial(failing, name="partial_one")
    assert list(checks.get_checks()) == ["module_check", "named_positionally", "partial_one"]
    assert checks.get_checks() == checks.default_registry.get_checks()
    checks.clear_checks()
    assert checks.get_checks() == {}
