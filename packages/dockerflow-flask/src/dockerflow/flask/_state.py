"""What the extension keeps for one Flask app: ``app.extensions["dockerflow"]``."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from dockerflow.checks import CheckRegistry, CheckRunner, get_checks, is_async_check, level_to_text
from dockerflow.version import VersionFileError

if TYPE_CHECKING:
    from flask import Flask

    from ._config import DockerflowConfig

__all__ = ["DockerflowState", "HeartbeatResult"]


@dataclass(frozen=True)
class HeartbeatResult:
    """One run of the heartbeat: the response body and what it decided."""

    payload: dict[str, Any]
    """The exact ``/__heartbeat__`` body."""
    status_code: int
    level: int
    """The highest level any check reported (0 when all are ok)."""
    passed: bool
    """True when ``level`` is below ``DOCKERFLOW_HEARTBEAT_FAIL_LEVEL``."""


class DockerflowState:
    """The per-app side of a :class:`~dockerflow.flask.Dockerflow` object.

    One ``Dockerflow`` object can serve several apps; each gets its own state
    with its own config snapshot, check runner and version cache.
    """

    def __init__(
        self,
        app: Flask,
        config: DockerflowConfig,
        version_path: str,
        *,
        registry: CheckRegistry,
        silenced_checks: Collection[str],
        version_loader: Callable[[], Callable[[str], Any]],
    ) -> None:
        self.app = app
        self.config = config
        self.version_path = version_path
        self.registry = registry
        """The checks of the app's ``Dockerflow`` object (it may add more later)."""
        self.silenced_checks = silenced_checks
        # The extension's current version loader: a version_callback may be
        # set after init_app.
        self._version_loader = version_loader
        self.runner = CheckRunner(
            timeout=config.check_timeout, cache_ttl=config.heartbeat_cache_ttl
        )
        # name -> (check, wrapper): the runner knows a check by its callable's
        # identity (cache key, "still running"), so each wrapper is made once.
        self._wrappers: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
        self._wrappers_lock = threading.Lock()
        # (loader, result): a new version_callback invalidates the cached result.
        self._version: tuple[Callable[..., Any], dict[str, Any] | None] | None = None

    def get_checks(self) -> dict[str, Callable[[], Any]]:
        """Every check this app runs, each wrapped to run inside an app context.

        Checks registered with :func:`dockerflow.checks.register` come first;
        those of this app's ``Dockerflow`` object win a name clash.
        """
        checks = {**get_checks(), **self.registry.get_checks()}
        wrapped: dict[str, Callable[[], Any]] = {}
        with self._wrappers_lock:
            for name, check in checks.items():
                known = self._wrappers.get(name)
                if known is None or known[0] is not check:
                    known = self._wrappers[name] = (check, _in_app_context(self.app, check))
                wrapped[name] = known[1]
        return wrapped

    def run_heartbeat(self, *, details: bool | None = None) -> HeartbeatResult:
        """Run the checks (or reuse a cached run) and build the heartbeat answer.

        ``details`` says whether the body includes ``details``; None follows
        ``DOCKERFLOW_HEARTBEAT_DETAILS``.
        """
        results = self.runner.run(self.get_checks(), silenced_check_ids=self.silenced_checks)
        payload: dict[str, Any] = {
            "status": level_to_text(results.level),
            "checks": results.statuses,
        }
        if self.config.heartbeat_details if details is None else details:
            payload["details"] = results.details
        passed = results.level < self.config.heartbeat_fail_level
        return HeartbeatResult(
            payload=payload,
            status_code=200 if passed else self.config.heartbeat_failed_status_code,
            level=results.level,
            passed=passed,
        )

    def load_version(self) -> dict[str, Any] | None:
        """The version object, read once and then cached; None when there is none.

        Raises :class:`~dockerflow.version.VersionFileError` when the loader
        cannot read or parse it (a broken file is not cached: it is read again
        on the next call).
        """
        loader = self._version_loader()
        cached = self._version
        if cached is None or cached[0] is not loader:
            cached = (loader, _load(loader, self.version_path))
            self._version = cached
        version = cached[1]
        return None if version is None else dict(version)


def _load(loader: Callable[[str], Any], version_path: str) -> dict[str, Any] | None:
    try:
        version = loader(version_path)
    except VersionFileError:
        raise
    except (ValueError, OSError) as exc:
        raise VersionFileError(version_path, f"cannot be loaded ({exc})") from exc
    if version is None:
        return None
    if not isinstance(version, Mapping):
        raise VersionFileError(
            version_path, f"the version loader returned a {type(version).__name__}, not a mapping"
        )
    return dict(version)


def _in_app_context(app: Flask, check: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap ``check`` so it runs inside ``app.app_context()`` in any thread.

    An async check (``async def``, or an object with ``async def __call__``)
    gets an async wrapper, so the context is pushed where its coroutine runs;
    so does the awaitable a plain callable returns.
    """
    if is_async_check(check):

        async def run_async_check() -> Any:
            with app.app_context():
                return await check()

        return run_async_check

    def run_check() -> Any:
        with app.app_context():
            result = check()
        if inspect.isawaitable(result):
            return _awaited_in_app_context(app, result)
        return result

    return run_check


async def _awaited_in_app_context(app: Flask, awaitable: Awaitable[Any]) -> Any:
    with app.app_context():
        return await awaitable
