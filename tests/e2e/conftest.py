"""Real servers for the e2e apps in ``tests/e2e/apps``, each on a free loopback port.

``gunicorn_service`` starts gunicorn serving one of the apps, ``start_server``
any command run from ``apps/`` (``flask run``); both wait until the server
answers and stop it at teardown. The servers, their commands and the
reading of their stdout are ``testing_support.app_servers``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

from testing_support.app_servers import AppServer, gunicorn_command, serve
from testing_support.servers import find_free_port

APPS_DIR = Path(__file__).parent / "apps"


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., AppServer]]:
    """``start_server(command, port, env=None)``: run ``command`` from ``apps/`` with ``env``
    over this process's environment, once it answers on ``port``; stopped at teardown."""
    with contextlib.ExitStack() as servers:

        def start(command: list[str], port: int, env: dict[str, str] | None = None) -> AppServer:
            return servers.enter_context(
                serve(
                    command,
                    port,
                    stdout_path=tmp_path / f"{port}.stdout",
                    stderr_path=tmp_path / f"{port}.stderr",
                    cwd=APPS_DIR,
                    env={**os.environ, **(env or {})},
                )
            )

        yield start


@pytest.fixture
def gunicorn_service(start_server: Callable[..., AppServer]) -> Callable[..., AppServer]:
    """``gunicorn_service(app="service:app", env=None, **options)``: gunicorn serving ``app``
    of ``apps/``; ``options`` are ``gunicorn_command``'s (workers, worker_class, threads,
    preload)."""

    def start(
        app: str = "service:app", env: dict[str, str] | None = None, **options: Any
    ) -> AppServer:
        port = find_free_port()
        return start_server(gunicorn_command(app, port, chdir=APPS_DIR, **options), port, env)

    return start
