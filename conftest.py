"""Fixtures shared by every test tree: real service URLs, free ports, skips.

Tests that need PostgreSQL or Redis skip with the reason when the server does
not answer. CI sets ``DOCKERFLOW_TEST_REQUIRE_SERVICES=1``, which turns those
skips into failures, so a missing service can never pass for a green run.

Servers that tests start themselves (redis-server, a stallable TCP proxy, free
ports) live in ``testing_support/servers.py``; pytest.ini's ``pythonpath``
makes ``testing_support`` importable from every test tree.

``clean_default_registry`` runs around every test: dockerflow.checks'
module-level registry is empty when a test starts and as it was when it ends.
It needs nothing but this file, so dockerflow-logging's tests still run where
dockerflow-checks is not installed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from testing_support.servers import find_free_port, redis_server_path

POSTGRES_URL = os.environ.get(
    "DOCKERFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("DOCKERFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVICES_REQUIRED = os.environ.get("DOCKERFLOW_TEST_REQUIRE_SERVICES", "") not in ("", "0")


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> str:
    """Return ``url`` when its server answers; skip (or fail in CI) otherwise."""
    if _answers(url, default_port):
        return url
    reason = f"{name} is not reachable at {url}"
    if SERVICES_REQUIRED:
        pytest.fail(f"{reason} and DOCKERFLOW_TEST_REQUIRE_SERVICES is set")
    pytest.skip(f"{reason}; start it (see DEVELOPERS.md) or set the URL variable")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of the real PostgreSQL test database."""
    return require_service("PostgreSQL", POSTGRES_URL, 5432)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server."""
    return require_service("Redis", REDIS_URL, 6379)


@pytest.fixture
def free_port() -> int:
    """A free loopback port for a server the test starts itself."""
    return find_free_port()


@pytest.fixture(scope="session")
def redis_server_executable() -> str:
    """Path of ``redis-server`` for tests that start their own; skips when it is not installed."""
    path = redis_server_path()
    if path is None:
        pytest.skip("redis-server is not installed")
    return path


@pytest.fixture(autouse=True)
def clean_default_registry() -> Iterator[None]:
    """Empty ``dockerflow.checks.default_registry`` for the test; restore its checks afterwards.

    Does nothing where dockerflow-checks is not installed (dockerflow-logging alone).
    """
    try:
        from dockerflow.checks import default_registry
    except ImportError:
        yield
        return
    saved = default_registry.get_checks()
    default_registry.clear()
    try:
        yield
    finally:
        default_registry.clear()
        for name, check in saved.items():
            default_registry.register(check, name=name)
