"""What the extension keeps for one Flask app: ``app.extensions["dockerflow"]``."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from dockerflow.checks import (
    CheckRegistry,
    CheckRunner,
    ChecksResults,
    get_checks,
    is_async_check,
    level_to_text,
    log_heartbeat,
)
from dockerflow.version import VersionFileError

if TYPE_CHECKING:
    from flask import Flask

    from ._config import DockerflowConfig

__all__ = ["DockerflowState", "HeartbeatResult"]

#: Seconds a loaded version object is served before the loader runs again.
VERSION_RECHECK_SECONDS = 1.0


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
        self._version: _LoadedVersion | None = None

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
        ``DOCKERFLOW_HEARTBEAT_DETAILS``. Each call writes one summary record
        on the ``dockerflow.heartbeat`` logger
        (:func:`dockerflow.checks.log_heartbeat`).
        """
        results = self.runner.run(self.get_checks(), silenced_check_ids=self.silenced_checks)
        log_heartbeat(results, fail_level=self.config.heartbeat_fail_level)
        payload: dict[str, Any] = {
            "status": level_to_text(results.level),
            "checks": results.statuses,
        }
        if self.config.heartbeat_details if details is None else details:
            payload["details"] = _details_with_durations(results)
        passed = results.level < self.config.heartbeat_fail_level
        return HeartbeatResult(
            payload=payload,
            status_code=200 if passed else self.config.heartbeat_failed_status_code,
            level=results.level,
            passed=passed,
        )

    def load_version(self) -> dict[str, Any] | None:
        """The version object, or None when there is none.

        The loader (``get_version`` or the ``version_callback``) runs again
        when its last answer is :data:`VERSION_RECHECK_SECONDS` old, so a
        ``version.json`` that appears, changes or goes away is seen within a
        second, for the price of one small file read a second. A new
        ``version_callback`` is used at once.

        Raises :class:`~dockerflow.version.VersionFileError` when the loader
        cannot read or parse it, and whatever else a ``version_callback``
        raises; errors are not kept, the next call loads again.
        """
        loader = self._version_loader()
        now = time.monotonic()
        loaded = self._version
        if loaded is None or loaded.loader is not loader or now >= loaded.expires:
            version = _load(loader, self.version_path)
            loaded = _LoadedVersion(loader, version, now + VERSION_RECHECK_SECONDS)
            self._version = loaded
        return None if loaded.version is None else dict(loaded.version)


def _details_with_durations(results: ChecksResults) -> dict[str, dict[str, Any]]:
    """``results.details`` with each check's ``duration_ms`` (new dicts: results may be cached)."""
    return {
        name: {**detail, "duration_ms": results.durations_ms[name]}
        for name, detail in results.details.items()
    }


class _LoadedVersion(NamedTuple):
    """What a version loader answered, and until when to serve it."""

    loader: Callable[[str], Any]
    version: dict[str, Any] | None
    expires: float
    """A ``time.monotonic()`` value."""


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
