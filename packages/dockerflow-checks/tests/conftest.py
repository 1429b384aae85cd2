"""Fixtures of the checks tests: a redis-server of our own and a stallable TCP proxy.

The servers come from ``testing_support/servers.py`` at the repository root,
imported as ``testing_support.servers``; ``clean_default_registry``, which
empties the default check registry around every test, is in the root
conftest.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Callable
from urllib.parse import urlsplit

import pytest

from testing_support.servers import (
    RedisServer,
    TcpProxy,
    find_free_port,
)


@pytest.fixture
def start_redis_server(redis_server_executable: str) -> Iterator[Callable[..., RedisServer]]:
    """Start redis-servers (extra arguments allowed) on free loopback ports; all stopped after."""
    started: list[RedisServer] = []

    def start(*extra_args: str) -> RedisServer:
        server = RedisServer(find_free_port(), *extra_args)
        started.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def redis_server(start_redis_server: Callable[..., RedisServer]) -> RedisServer:
    """A fresh redis-server on a free loopback port, stopped afterwards."""
    return start_redis_server()


@pytest.fixture
def postgres_proxy(postgres_url: str) -> Iterator[TcpProxy]:
    """A stallable proxy in front of the real PostgreSQL, stopped afterwards."""
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event that hanging test checks wait on; set at teardown so their threads end."""
    event = threading.Event()
    try:
        yield event
    finally:
        event.set()
