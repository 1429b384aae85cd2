"""Built-in check: Redis answers ``PING`` (needs the ``redis`` extra)."""

from __future__ import annotations

import inspect
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dockerflow import health

from ._masking import mask_credentials
from ._waiting import note_waiting_on
from .messages import CheckMessage, Error

__all__ = ["check_redis_connected"]


def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Send ``PING`` through a redis-py client (or a wrapper such as Flask-Redis).

    Reports ``dockerflow.health.E004`` when the server cannot be reached,
    ``E010`` for any other Redis error (a read timeout included) and ``E007``
    when the ping is not answered with PONG.

    The ping goes over a connection of its own, made with the client's
    connection settings (host, port, database, credentials, TLS, socket
    timeouts) but without its retry policy: redis-py 6 and later retry a
    failed connection ten times with backoff by default, which would turn a
    stopped server into a timeout of the heartbeat and keep the check's thread
    busy through the retries. The client's own pool is left untouched. A
    client without a connection pool (a cluster client) is pinged as it is.
    """
    if inspect.iscoroutinefunction(getattr(client, "execute_command", None)):
        raise TypeError(
            "check_redis_connected needs a synchronous redis client, not an asyncio one"
        )
    pool = getattr(client, "connection_pool", None)
    if pool is None or not hasattr(pool, "connection_class"):
        return _answer_of(lambda: client.ping())
    options = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
    connection = pool.connection_class(**options)
    note_waiting_on(f"Redis at {_address_of(options)}")
    return _answer_of(lambda: _ping_once(connection))


def _ping_once(connection: Any) -> bool:
    try:
        connection.connect()
        connection.send_command("PING")
        answer = connection.read_response()
    finally:
        connection.disconnect()
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", "replace")
    return bool(answer == "PONG")


def _answer_of(ping: Any) -> list[CheckMessage]:
    try:
        answer = ping()
    except redis.ConnectionError as exc:
        message = f"Could not connect to redis: {mask_credentials(str(exc))}"
        return [Error(message, id=health.ERROR_CANNOT_CONNECT_REDIS)]
    except redis.RedisError as exc:
        message = f'Redis error: "{mask_credentials(str(exc))}"'
        return [Error(message, id=health.ERROR_REDIS_EXCEPTION)]
    if not answer:
        return [Error("Redis ping failed", id=health.ERROR_REDIS_PING_FAILED)]
    return []


def _address_of(options: dict[str, Any]) -> str:
    if options.get("path"):
        return f"unix:{options['path']}"
    return f"{options.get('host', 'localhost')}:{options.get('port', 6379)}/{options.get('db', 0)}"
