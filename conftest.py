"""Fixtures shared by every test tree: real service URLs, free ports, skips.

Tests that need PostgreSQL or Redis skip with the reason when the server does
not answer. CI sets ``DOCKERFLOW_TEST_REQUIRE_SERVICES=1``, which turns those
skips into failures, so a missing service can never pass for a green run.

Servers that tests start themselves (redis-server, a stallable TCP proxy, free
ports) live in ``testing_support/servers.py``; this file registers the
``testing_support`` package by path so every test tree can import it.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def _load_testing_support() -> None:
    # The test trees are not packages and importlib mode adds nothing to
    # sys.path: register testing_support/ by path so they can all import it.
    name = "testing_support"
    if name in sys.modules:
        return
    package = Path(__file__).resolve().parent / name
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load_testing_support()

from testing_support.servers import find_free_port, redis_server_path  # noqa: E402

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
