"""What the extension keeps for one Flask app: ``app.extensions["dockerflow"]``."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from dockerflow.checks import CheckRegistry, Heartbeat, get_checks, level_to_text
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
    durations_ms: dict[str, float]
    """How long each check ran, in milliseconds, by check name."""


class DockerflowState:
    """The per-app side of a :class:`~dockerflow.flask.Dockerflow` object.

    One ``Dockerflow`` object can serve several apps; each gets its own state
    with its own config snapshot, :class:`~dockerflow.checks.Heartbeat` and
    version cache.
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
        self.heartbeat = Heartbeat(
            config.check_timeout,
            config.heartbeat_cache_ttl,
            fail_level=config.heartbeat_fail_level,
            context=app.app_context,
        )
        self._version: _LoadedVersion | None = None

    def get_checks(self) -> dict[str, Callable[[], Any]]:
        """Every check this app runs: the module-level ones, then its ``Dockerflow`` object's.

        A module-level check (:func:`dockerflow.checks.register`) whose name
        another check of the app has runs too, as ``"<name> (module-level)"``:
        neither hides the other.
        """
        own = self.registry.get_checks()
        checks = {
            name if own.get(name, check) is check else f"{name} (module-level)": check
            for name, check in get_checks().items()
        }
        checks.update(own)
        return checks

    def run_heartbeat(self, *, details: bool | None = None) -> HeartbeatResult:
        """Run the checks (or share a cached run) and build the heartbeat answer.

        ``details`` says whether the body includes ``details``; None follows
        ``DOCKERFLOW_HEARTBEAT_DETAILS``. A failing run, or one whose status
        changed, is logged on the ``dockerflow.heartbeat`` logger.
        """
        results = self.heartbeat.run(self.get_checks(), self.silenced_checks)
        payload: dict[str, Any] = {
            "status": level_to_text(results.level),
            "checks": results.statuses,
        }
        if self.config.heartbeat_details if details is None else details:
            payload["details"] = results.details
        return HeartbeatResult(
            payload=payload,
            status_code=200 if results.passed else self.config.heartbeat_failed_status_code,
            level=results.level,
            passed=results.passed,
            durations_ms=results.durations_ms,
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
