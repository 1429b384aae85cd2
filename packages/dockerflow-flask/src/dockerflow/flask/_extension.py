"""The ``Dockerflow`` Flask extension."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, overload
from weakref import WeakSet

from dockerflow.checks import CheckRegistry, get_checks
from dockerflow.logging import SUMMARY_LOGGER_NAME
from dockerflow.version import get_version

from ._config import read_config
from ._request import RequestPath, current_request_scope, flask_login_user_id
from ._state import DockerflowState
from ._views import make_blueprint
from .checks._builtins import (
    check_database_connected,
    check_migrations_applied,
    check_redis_connected,
)

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Dockerflow", "VersionCallback"]

#: The logger of everything the extension itself logs (python-dockerflow's name).
LOGGER_NAME = "dockerflow.flask"

CheckT = TypeVar("CheckT", bound=Callable[..., Any])
VersionCallback = Callable[[str], Optional[Mapping[str, Any]]]
VersionCallbackT = TypeVar("VersionCallbackT", bound=VersionCallback)

EXTENSION_NAME = "dockerflow"


class Dockerflow:
    """Dockerflow endpoints, request ids and ``request.summary`` logs for Flask.

    ::

        app = Flask(__name__)
        dockerflow = Dockerflow(app, db=db, redis=redis_client)

    or, with an application factory, ``dockerflow = Dockerflow()`` at module
    level and ``dockerflow.init_app(app)`` in the factory. One object can be
    initialised on several apps; each keeps its own state in
    ``app.extensions["dockerflow"]`` (a :class:`~dockerflow.flask.DockerflowState`).

    :param app: the app to initialise now, if any.
    :param db: a Flask-SQLAlchemy ``SQLAlchemy`` object (or an Engine): adds
        the ``check_database_connected`` check.
    :param redis: a redis-py client: adds ``check_redis_connected``.
    :param migrate: a Flask-Migrate ``Migrate`` object: adds
        ``check_migrations_applied``.
    :param silenced_checks: check message ids to leave out of the heartbeat;
        a single string is one id. Anything else than strings raises
        :class:`TypeError`.
    :param version_path: the directory holding ``version.json``; default: the
        parent of the app's ``root_path``.

    ``logger`` is the ``dockerflow.flask`` logger, where the extension logs
    everything it logs itself, and ``summary_logger`` the ``request.summary``
    logger. The extension sets neither's level nor handlers: a level the app
    sets, before or after ``init_app``, is the one that applies.
    """

    def __init__(
        self,
        app: Flask | None = None,
        db: Any = None,
        redis: Any = None,
        migrate: Any = None,
        silenced_checks: Iterable[str] | None = None,
        version_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.logger = logging.getLogger(LOGGER_NAME)
        """The ``dockerflow.flask`` logger; its level and handlers are the app's."""
        self.summary_logger = logging.getLogger(SUMMARY_LOGGER_NAME)
        """The ``request.summary`` logger; its level and handlers are the app's."""
        self._apps: WeakSet[Flask] = WeakSet()
        self.registry = CheckRegistry()
        """The checks of this object only (module-level ones run in every app)."""
        self.silenced_checks: list[str] = _check_ids(silenced_checks)
        self.version_path = None if version_path is None else os.fspath(version_path)
        self._version_callback: VersionCallback | None = None
        if db is not None:
            self.registry.register_partial(
                check_database_connected, db, name="check_database_connected"
            )
        if redis is not None:
            self.registry.register_partial(
                check_redis_connected, redis, name="check_redis_connected"
            )
        if migrate is not None:
            self.registry.register_partial(
                check_migrations_applied, migrate, name="check_migrations_applied"
            )
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the app's ``DOCKERFLOW_*`` config and add the endpoints and request path.

        Calling it again for an app this object has initialised does nothing.
        Raises :class:`~dockerflow.flask.DockerflowConfigError` for a bad
        setting and :class:`RuntimeError` when another ``Dockerflow`` object
        has initialised the app.
        """
        if app in self._apps:
            return
        if EXTENSION_NAME in app.extensions:
            raise RuntimeError(
                f"another Dockerflow object is already initialised on the app {app.name!r}"
            )
        config = read_config(app.config)
        version_path = self.version_path
        if version_path is None:
            version_path = os.path.dirname(app.root_path)
        state = DockerflowState(
            app,
            config,
            version_path,
            registry=self.registry,
            silenced_checks=self.silenced_checks,
            version_loader=self._current_version_loader,
        )
        app.register_blueprint(make_blueprint(state, self.logger))
        RequestPath(app, config, self)
        app.extensions[EXTENSION_NAME] = state
        self._apps.add(app)

    def summary_extra(self) -> dict[str, Any]:
        """The fields of the current request's ``request.summary`` record.

        Called once per request inside its request context, when the response
        starts with its final status (or an exception ended the view). Override
        it to add, change or remove fields; what it returns is what is logged::

            class AcmeDockerflow(Dockerflow):
                def summary_extra(self):
                    fields = super().summary_extra()
                    fields["client"] = flask.request.headers.get("X-Client", "")
                    return fields
        """
        return current_request_scope().summary_fields(uid=_text_or_empty(self.user_id()))

    def user_id(self) -> str | None:
        """The ``uid`` of the current request: Flask-Login's current user id, else "".

        Override it to take the id from elsewhere; ``None`` logs as "".
        """
        return flask_login_user_id(self.logger)

    @overload
    def check(self, func: CheckT, name: str | None = None) -> CheckT: ...

    @overload
    def check(self, func: None = None, name: str | None = None) -> Callable[[CheckT], CheckT]: ...

    def check(
        self, func: CheckT | None = None, name: str | None = None
    ) -> CheckT | Callable[[CheckT], CheckT]:
        """Register a check: ``@dockerflow.check`` or ``@dockerflow.check(name=...)``.

        The check runs in every app this object is initialised on, and in no
        other. It returns a list of check messages; it may be ``async def``.
        A name registered again replaces the earlier check. A name taken by
        another check of :func:`dockerflow.checks.register` raises
        :class:`ValueError`: one would hide the other.
        """
        if func is None:

            def decorator(func: CheckT) -> CheckT:
                return self.check(func, name=name)

            return decorator
        check_name = name or str(getattr(func, "__name__", ""))
        taken = get_checks().get(check_name)
        if taken is not None and taken is not func:
            raise ValueError(
                f"a check named {check_name!r} is already registered with "
                "dockerflow.checks.register; give this one another name="
            )
        self.registry.register(func, name=name)
        return func

    def version_callback(self, func: VersionCallbackT) -> VersionCallbackT:
        """Replace the version loader; it gets the version path and returns a dict or None."""
        self._version_callback = func
        return func

    def _current_version_loader(self) -> VersionCallback:
        """The version callback, else :func:`dockerflow.version.get_version`."""
        return self._version_callback or get_version

    def init_check(self, check: Callable[..., Any], obj: Any) -> None:
        """Register ``check(obj)`` with this object (python-dockerflow's old spelling)."""
        warnings.warn(
            "Dockerflow.init_check(check, obj) is deprecated; use "
            "dockerflow.registry.register_partial(check, obj)",
            DeprecationWarning,
            stacklevel=2,
        )
        self.registry.register_partial(check, obj)

    @property
    def checks(self) -> dict[str, Callable[[], Any]]:
        """The checks this object's apps run (python-dockerflow's old attribute)."""
        warnings.warn(
            "Dockerflow.checks is deprecated; use dockerflow.checks.get_checks() "
            "and Dockerflow.registry.get_checks()",
            DeprecationWarning,
            stacklevel=2,
        )
        return {**get_checks(), **self.registry.get_checks()}


def _text_or_empty(user_id: Any) -> str:
    return "" if user_id is None else str(user_id)


def _check_ids(ids: Iterable[str] | str | None) -> list[str]:
    """``silenced_checks`` as a list of ids: a string is one id, not its characters."""
    if ids is None:
        return []
    if isinstance(ids, str):
        return [ids]
    try:
        listed = list(ids)
    except TypeError:
        raise TypeError(
            f"silenced_checks must be a check id or an iterable of check ids, not {ids!r}"
        ) from None
    for check_id in listed:
        if not isinstance(check_id, str):
            raise TypeError(f"silenced_checks holds {check_id!r}; check ids are strings")
    return listed
