"""Named collections of checks: one per web app, plus the default one."""

from __future__ import annotations

import functools
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

from ._results import ChecksResults

if TYPE_CHECKING:
    from ._runner import run_checks, run_checks_async

__all__ = [
    "CheckFn",
    "CheckFunction",
    "CheckRegistry",
    "ChecksResults",
    "clear_checks",
    "default_registry",
    "get_checks",
    "register",
    "register_partial",
    "run_checks",
    "run_checks_async",
]

logger = logging.getLogger("dockerflow.checks")

CheckFunction = Callable[[], Any]
#: python-dockerflow's name of :data:`CheckFunction`.
CheckFn = CheckFunction
F = TypeVar("F", bound=Callable[..., Any])


def _name_of(func: Callable[..., Any], name: str | None) -> str:
    if name is not None:
        return name
    found = getattr(func, "__name__", None)
    if not isinstance(found, str):
        raise ValueError(f"{func!r} has no __name__: register it with name=...")
    return found


class CheckRegistry:
    """A thread-safe mapping of check names to zero-argument callables.

    Each web app owns one; :data:`default_registry` holds the checks registered
    with the module-level functions, which every app runs as well.
    """

    def __init__(self) -> None:
        self._checks: dict[str, CheckFunction] = {}
        self._lock = threading.Lock()

    @overload
    def register(self, func: F, *, name: str | None = ...) -> F: ...

    @overload
    def register(self, func: None = ..., *, name: str | None = ...) -> Callable[[F], F]: ...

    def register(self, func: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
        """Register ``func`` under ``name`` (default: its ``__name__``).

        Works as a bare decorator, a decorator with arguments, or a direct
        call, and returns ``func`` unchanged. A name registered again
        replaces the earlier check (python-dockerflow's rule: an application
        factory registers its checks again on every call).
        """
        if func is None:
            return functools.partial(self.register, name=name)
        self._add(_name_of(func, name), func)
        return func

    def register_partial(
        self, func: Callable[..., Any], *args: Any, name: str | None = None
    ) -> CheckFunction:
        """Register ``func(*args)`` as a check, named after ``func`` by default.

        Returns the registered callable, e.g.
        ``registry.register_partial(check_redis_connected, client)``.
        """
        bound = functools.partial(func, *args)
        functools.update_wrapper(bound, func)
        self._add(_name_of(func, name), bound)
        return bound

    def _add(self, name: str, func: CheckFunction) -> None:
        if not callable(func):
            raise TypeError(f"check {name!r} is not callable: {func!r}")
        with self._lock:
            self._checks[name] = func
        logger.debug("Registered Dockerflow check %s", name)

    def unregister(self, name: str) -> None:
        """Remove the check ``name``; :class:`KeyError` if there is none."""
        with self._lock:
            del self._checks[name]

    def clear(self) -> None:
        """Remove every check."""
        with self._lock:
            self._checks.clear()

    def get_checks(self) -> dict[str, CheckFunction]:
        """A copy of the name -> callable mapping, in registration order."""
        with self._lock:
            return dict(self._checks)

    def __contains__(self, name: object) -> bool:
        return name in self._checks

    def __len__(self) -> int:
        return len(self._checks)

    def __repr__(self) -> str:
        return f"<CheckRegistry {list(self._checks)!r}>"


default_registry = CheckRegistry()
"""The registry of the module-level functions; every app runs its checks."""


@overload
def register(func: F, name: str | None = ...) -> F: ...


@overload
def register(func: None = ..., name: str | None = ...) -> Callable[[F], F]: ...


def register(func: F | None = None, name: str | None = None) -> F | Callable[[F], F]:
    """Register a check in :data:`default_registry` (see :meth:`CheckRegistry.register`)."""
    return default_registry.register(func, name=name)


def register_partial(
    func: Callable[..., Any], *args: Any, name: str | None = None
) -> CheckFunction:
    """Register ``func(*args)`` in :data:`default_registry`."""
    return default_registry.register_partial(func, *args, name=name)


def get_checks() -> dict[str, CheckFunction]:
    """A copy of :data:`default_registry`'s checks."""
    return default_registry.get_checks()


def clear_checks() -> None:
    """Remove every check from :data:`default_registry`."""
    default_registry.clear()


def __getattr__(name: str) -> Any:
    # python-dockerflow's registry module ran the checks too. The runner
    # imports this module, so its functions are looked up when first used.
    if name in ("run_checks", "run_checks_async"):
        from . import _runner

        return getattr(_runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
