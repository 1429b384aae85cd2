"""check_redis_connected against the real Redis and against a redis-server we stop and stall."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

redis = pytest.importorskip("redis")

from redis.backoff import NoBackoff  # noqa: E402
from redis.retry import Retry  # noqa: E402

from dockerflow import health  # noqa: E402
from dockerflow.checks import CheckRunner  # noqa: E402
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
    runner = CheckRunner(timeout=2)
    checks = {"redis": lambda: check_redis_connected(client)}
    assert runner.run(checks).statuses == {"redis": "ok"}

    redis_server.stop()
    started = time.monotonic()
    results = runner.run(checks)
    assert time.monotonic() - started < 2 + 0.5
    assert list(results.details["redis"]["messages"]) == [health.ERROR_CANNOT_CONNECT_REDIS]

    redis_server.start()
    assert runner.run(checks).statuses == {"redis": "ok"}


def test_stopped_server_with_default_client_is_bounded_by_runner(
    redis_server: Any, clients: list[Any]
) -> None:
    """A default client retries for seconds; the runner's timeout still bounds the heartbeat."""
    client = redis.Redis.from_url(redis_server.url)
    clients.append(client)
    runner = CheckRunner(timeout=1)
    checks = {"redis": lambda: check_redis_connected(client)}
    redis_server.stop()
    started = time.monotonic()
    results = runner.run(checks)
    assert time.monotonic() - started < 1 + 0.5
    assert results.statuses == {"redis": "error"}
    assert set(results.details["redis"]["messages"]) <= {
        health.ERROR_CANNOT_CONNECT_REDIS,
        health.ERROR_CHECK_TIMEOUT,
    }


def test_stalled_server_is_a_redis_error_then_back(redis_server: Any, clients: list[Any]) -> None:
    """A frozen server makes PING time out (E010) within the timeout; thawed, it passes."""
    client = health_client(clients, redis_server.url)
    runner = CheckRunner(timeout=2)
    checks = {"redis": lambda: check_redis_connected(client)}
    assert runner.run(checks).statuses == {"redis": "ok"}

    redis_server.stall()
    started = time.monotonic()
    results = runner.run(checks)
    assert time.monotonic() - started < 2 + 0.5
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
