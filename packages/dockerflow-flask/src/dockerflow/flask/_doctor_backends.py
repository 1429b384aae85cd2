"""Watching backing services while the doctor sends one request.

SQLAlchemy is watched through its own events, on the ``Engine`` and ``Pool``
classes, so every engine of the process is covered (a Flask-SQLAlchemy
``db``, an engine passed to ``Dockerflow(db=...)``, one a custom check
creates). redis-py has no such events: each redis client the doctor knows of
has its pool's ``get_connection`` (and a single-connection client's
``send_packed_command``) wrapped for the duration, the way tracing libraries
instrument redis-py; the wrapper counts the call and calls through, so the
real client still talks to the real server.

The doctor knows the redis clients that are values of ``app.extensions``
(Flask-Redis's ``redis``, or one an app stores there itself), those the app's
checks were registered with (``Dockerflow(redis=...)``,
``registry.register_partial(check, client)``) and those given to it
explicitly.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

__all__ = [
    "BackendUse",
    "RedisClient",
    "find_redis_clients",
    "import_backend",
    "redis_clients_of",
    "watch_backends",
]


@dataclass(frozen=True)
class RedisClient:
    """A redis-py client to watch, and the words that name it in a report."""

    label: str
    client: Any

    @property
    def address(self) -> str:
        kwargs = getattr(self.client.connection_pool, "connection_kwargs", {})
        if kwargs.get("path"):
            return f"unix:{kwargs['path']}"
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"

    def describe(self) -> str:
        return f"redis client {self.label} ({self.address})"


class BackendUse:
    """What the watched backends were asked to do, in the order it happened."""

    def __init__(self, watched: list[str]) -> None:
        self.watched = watched
        """What was watched, in words."""
        self.uses: list[str] = []
        self._lock = threading.Lock()

    def record(self, use: str) -> None:
        with self._lock:
            self.uses.append(use)


def _redis_pool_class() -> type | None:
    try:
        import redis
    except ImportError:
        return None
    pool_class: type = redis.ConnectionPool
    return pool_class


def _is_redis_client(candidate: Any, pool_class: type) -> bool:
    try:
        pool = getattr(candidate, "connection_pool", None)
    except Exception:  # an extension's __getattr__ may raise anything
        return False
    return isinstance(pool, pool_class)


def find_redis_clients(
    extensions: Mapping[str, Any], checks: Mapping[str, Callable[..., Any]]
) -> list[RedisClient]:
    """The redis-py clients among the values of ``app.extensions`` and the
    arguments the app's checks were registered with (``functools.partial``)."""
    pool_class = _redis_pool_class()
    if pool_class is None:
        return []
    candidates = [(f"app.extensions[{name!r}]", value) for name, value in extensions.items()]
    for name, check in checks.items():
        if isinstance(check, functools.partial):
            candidates.extend((f"the argument of the check {name!r}", arg) for arg in check.args)
    return [
        RedisClient(label, value)
        for label, value in candidates
        if _is_redis_client(value, pool_class)
    ]


def redis_clients_of(backends: Iterable[tuple[str, Any]]) -> list[RedisClient]:
    """The redis clients among the ``(label, backend)`` pairs.

    SQLAlchemy engines (and Flask-SQLAlchemy ``db`` objects) are accepted and
    need nothing: every engine is watched. Anything else raises
    :class:`TypeError`.
    """
    pool_class = _redis_pool_class()
    clients = []
    for label, backend in backends:
        if pool_class is not None and _is_redis_client(backend, pool_class):
            clients.append(RedisClient(label, backend))
        elif not _is_sqlalchemy(backend):
            raise TypeError(
                f"the doctor cannot watch {label} ({backend!r}): give it a redis-py client, "
                "a SQLAlchemy engine or a Flask-SQLAlchemy db"
            )
    return clients


def _is_sqlalchemy(backend: Any) -> bool:
    try:
        from sqlalchemy.engine import Engine
    except ImportError:
        return False
    # a Flask-SQLAlchemy db: its engine property needs an app context, so the class is asked
    return isinstance(backend, Engine) or hasattr(type(backend), "engine")


def import_backend(spec: str) -> Any:
    """The object named by ``"package.module:attribute"`` (dots allowed after the colon)."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{spec!r} is not MODULE:NAME, e.g. myservice.cache:redis_client")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


@contextmanager
def watch_backends(redis_clients: Iterable[RedisClient]) -> Iterator[BackendUse]:
    """Record every use of SQLAlchemy and of ``redis_clients`` inside the block."""
    redis_clients = list(redis_clients)
    watched = [client.describe() for client in redis_clients]
    sqlalchemy_watched = _sqlalchemy_available()
    if sqlalchemy_watched:
        watched.insert(0, "every SQLAlchemy engine")
    use = BackendUse(watched)
    undo: list[Callable[[], None]] = []
    try:
        if sqlalchemy_watched:
            undo.extend(_watch_sqlalchemy(use))
        for client in redis_clients:
            undo.extend(_watch_redis(client, use))
        yield use
    finally:
        for step in reversed(undo):
            step()


def _sqlalchemy_available() -> bool:
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        return False
    return True


def _watch_sqlalchemy(use: BackendUse) -> list[Callable[[], None]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        use.record("checked out a SQLAlchemy database connection")

    def on_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        url = conn.engine.url.render_as_string(hide_password=True)
        use.record(f"ran {' '.join(statement.split())[:200]!r} on {url}")

    event.listen(Pool, "checkout", on_checkout)
    event.listen(Engine, "before_cursor_execute", on_execute)
    return [
        lambda: event.remove(Pool, "checkout", on_checkout),
        lambda: event.remove(Engine, "before_cursor_execute", on_execute),
    ]


def _watch_redis(client: RedisClient, use: BackendUse) -> list[Callable[[], None]]:
    pool = client.client.connection_pool
    steps = [_wrap(pool, "get_connection", use, f"took a connection from {client.describe()}")]
    single = getattr(client.client, "connection", None)
    if single is not None:  # single_connection_client=True: the pool is not asked
        steps.append(
            _wrap(single, "send_packed_command", use, f"sent a command to {client.describe()}")
        )
    return steps


_MISSING = object()


def _wrap(target: Any, name: str, use: BackendUse, words: str) -> Callable[[], None]:
    """Count the calls of ``target.name`` through an instance attribute; return the undo."""
    own = vars(target).get(name, _MISSING)
    original = getattr(target, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        use.record(words)
        return original(*args, **kwargs)

    setattr(target, name, counting)

    def undo() -> None:
        if own is _MISSING:
            delattr(target, name)
        else:
            setattr(target, name, own)

    return undo
