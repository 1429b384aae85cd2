"""Built-in check: Redis answers ``PING`` (needs the ``redis`` extra)."""

from __future__ import annotations

import inspect
from typing import Any

import redis

from dockerflow import health

from ._masking import mask_credentials
from .messages import CheckMessage, Error

__all__ = ["check_redis_connected"]


def check_redis_connected(client: Any) -> list[CheckMessage]:
    """Send ``PING`` through a redis-py client (or a wrapper such as Flask-Redis).

    Reports ``dockerflow.health.E004`` when the server cannot be reached,
    ``E010`` for any other Redis error (a read timeout included) and ``E007``
    when the ping is not answered with PONG. The client's
    ``socket_connect_timeout``, ``socket_timeout`` and ``retry`` bound the
    attempt; the runner's timeout bounds it in any case.
    """
    try:
        answer = client.ping()
    except redis.ConnectionError as exc:
        message = f"Could not connect to redis: {mask_credentials(str(exc))}"
        return [Error(message, id=health.ERROR_CANNOT_CONNECT_REDIS)]
    except redis.RedisError as exc:
        message = f'Redis error: "{mask_credentials(str(exc))}"'
        return [Error(message, id=health.ERROR_REDIS_EXCEPTION)]
    if inspect.isawaitable(answer):
        if inspect.iscoroutine(answer):
            answer.close()
        raise TypeError(
            "check_redis_connected needs a synchronous redis client, not an asyncio one"
        )
    if not answer:
        return [Error("Redis ping failed", id=health.ERROR_REDIS_PING_FAILED)]
    return []
