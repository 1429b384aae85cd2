"""check_redis_connected against the real Redis and against a redis-server we stop and stall."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

redis = pytest.importorskip("redis")
redis_asyncio = pytest.importorskip("redis.asyncio")

from redis.backoff import NoBackoff  # noqa: E402
from redis.retry import Retry  # noqa: E402

from dockerflow import health  # noqa: E402
from dockerflow.checks import Heartbeat  # noqa: E402
from dockerflow.checks.redis import check_redis_connected  # noqa: E402

pytestmark = pytest.mark.redis

PASSWORD = "Redis-Secret-Pw"


@pytest.fixture
def clients() -> Iterator[list[Any]]:
    """Clients created by a test, closed afterwards."""
    created: list[Any] = []
    yield created
    for client in created:
        client.close()


def health_client(clients: list[Any], url: str, **kwargs: Any) -> Any:
    """A client configured as the README recommends for health checks: short timeouts, no retry."""
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": Retry(NoBackoff(), 0)}
    client = redis.Redis.from_url(url, **{**options, **kwargs})
    clients.append(client)
    return client


def test_real_redis_answers_ping(redis_url: str, clients: list[Any]) -> None:
    """The shared Redis server answers PING: no message."""
    client = redis.Redis.from_url(redis_url)
    clients.append(client)
    assert check_redis_connected(client) == []


def test_stopped_server_is_cannot_connect_then_back(redis_server: Any, clients: list[Any]) -> None:
    """A stopped server is E004 within the timeout; restarted, the check passes again."""
    client = health_client(clients, redis_server.url)
    runner = Heartbeat(timeout=2)
    checks = {"redis": lambda: check_redis_connected(client)}
    assert runner.run(checks).statuses == {"redis": "ok"}

    redis_server.stop()
    results = runner.run(checks)
    assert list(results.details["redis"]["messages"]) == [health.ERROR_CANNOT_CONNECT_REDIS]

    redis_server.start()
    assert runner.run(checks).statuses == {"redis": "ok"}


@pytest.mark.parametrize(
    "make_client",
    [
        lambda port: redis.Redis(host="127.0.0.1", port=port),
        lambda port: redis.Redis.from_url(f"redis://127.0.0.1:{port}/0"),
    ],
    ids=["Redis(host, port)", "Redis.from_url"],
)
def test_stopped_server_with_a_default_client_is_E004_within_the_timeout(
    redis_server: Any, clients: list[Any], make_client: Any
) -> None:
    """A client built with no options (redis-py 6+ retries with backoff) still gives E004 at once.

    The check returns, so its thread is free again: the next heartbeat runs it anew.
    """
    client = make_client(redis_server.port)
    clients.append(client)
    runner = Heartbeat(timeout=2)
    checks = {"redis": lambda: check_redis_connected(client)}
    assert runner.run(checks).statuses == {"redis": "ok"}

    redis_server.stop()
    for _ in range(2):
        results = runner.run(checks)
        messages = results.details["redis"]["messages"]
        assert list(messages) == [health.ERROR_CANNOT_CONNECT_REDIS], messages
        assert f"127.0.0.1:{redis_server.port}" in messages[health.ERROR_CANNOT_CONNECT_REDIS]

    redis_server.start()
    assert runner.run(checks).statuses == {"redis": "ok"}


def test_stalled_server_with_a_default_client_times_out_naming_redis(
    redis_server: Any, clients: list[Any]
) -> None:
    """A frozen server and a client without a read timeout: the timeout names the server."""
    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=None)
    clients.append(client)
    runner = Heartbeat(timeout=0.5)
    checks = {"redis": lambda: check_redis_connected(client)}
    redis_server.stall()
    results = runner.run(checks)
    text = results.details["redis"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert f"waiting on Redis at 127.0.0.1:{redis_server.port}/0" in text
    again = runner.run(checks).details["redis"]["messages"][health.ERROR_CHECK_TIMEOUT]
    assert "still running" in again
    assert f"Redis at 127.0.0.1:{redis_server.port}/0" in again
    redis_server.resume()


def test_ping_leaves_the_clients_pool_alone(redis_server: Any, clients: list[Any]) -> None:
    """The check's connection is its own: the client's pool neither grows nor loses one."""
    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    clients.append(client)
    client.set("key", "value")
    pool = client.connection_pool
    before = (len(pool._available_connections), len(pool._in_use_connections))
    assert check_redis_connected(client) == []
    assert (len(pool._available_connections), len(pool._in_use_connections)) == before


def test_asyncio_client_is_refused_with_a_clear_error() -> None:
    """An asyncio client needs an async check of its own: TypeError saying so."""

    async def main() -> None:
        # Made on a running loop: on Python 3.9 it would otherwise make one of its own.
        client = redis_asyncio.Redis(host="127.0.0.1", port=1)
        try:
            with pytest.raises(TypeError, match="synchronous redis client"):
                check_redis_connected(client)
        finally:
            await client.connection_pool.disconnect()

    asyncio.run(main())


def test_stalled_server_is_a_redis_error_then_back(redis_server: Any, clients: list[Any]) -> None:
    """A frozen server makes PING time out (E010) within the timeout; thawed, it passes."""
    client = health_client(clients, redis_server.url)
    runner = Heartbeat(timeout=2)
    checks = {"redis": lambda: check_redis_connected(client)}
    assert runner.run(checks).statuses == {"redis": "ok"}

    redis_server.stall()
    results = runner.run(checks)
    text = results.details["redis"]["messages"][health.ERROR_REDIS_EXCEPTION]
    assert "Timeout" in text

    redis_server.resume()
    assert runner.run(checks).statuses == {"redis": "ok"}


def test_wrong_password_fails_without_showing_it(
    start_redis_server: Any, clients: list[Any]
) -> None:
    """A refused AUTH is E004 and the URL's password is not in the message."""
    server = start_redis_server("--requirepass", "the-right-one")
    client = health_client(clients, f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0")
    messages = check_redis_connected(client)
    assert [message.id for message in messages] == [health.ERROR_CANNOT_CONNECT_REDIS]
    assert PASSWORD not in messages[0].msg


def test_password_url_to_stopped_server_is_masked(free_port: int, clients: list[Any]) -> None:
    """Nothing listening at a password-bearing URL: E004 without the password."""
    client = health_client(clients, f"redis://:{PASSWORD}@127.0.0.1:{free_port}/0")
    messages = check_redis_connected(client)
    assert [message.id for message in messages] == [health.ERROR_CANNOT_CONNECT_REDIS]
    assert PASSWORD not in messages[0].msg
