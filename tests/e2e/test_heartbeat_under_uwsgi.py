"""The heartbeat under a real uWSGI, set up as docs/deploying.md says (master, no lazy-apps).

uWSGI loads the app in its master and forks the workers without running
Python's at-fork hooks. The master runs a heartbeat first (a start-up
self-check), in one case with 32 checks that hang there and pass in the
workers; ``max-requests`` makes the master fork fresh workers as the test goes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

from testing_support.app_servers import HOST, AppServer
from testing_support.servers import find_free_port

pytestmark = pytest.mark.e2e

UWSGI = Path(sys.executable).with_name("uwsgi")  # the pyuwsgi wheel's command
REQUESTS = 12


def uwsgi_command(port: int) -> list[str]:
    return [
        str(UWSGI),
        "--master", "--processes", "2", "--enable-threads", "--die-on-term", "--need-app",
        "--disable-logging", "--http-socket", f"{HOST}:{port}",
        "--module", "checks_service:app",
        "--max-requests", "3", "--min-worker-lifetime", "0",
    ]  # fmt: skip


@pytest.mark.parametrize("hanging", [0, 32])
def test_every_workers_heartbeat_passes_after_the_master_ran_one(
    start_server: Callable[..., AppServer], hanging: int
) -> None:
    """Every heartbeat of every worker, respawned ones included, is a 200 from its own checks."""
    port = find_free_port()
    env = {
        "E2E_PREFORK_HEARTBEAT": "1",
        "E2E_PREFORK_HANGING": str(hanging),
        "E2E_CHECK_TIMEOUT": "1",
    }
    server = start_server(uwsgi_command(port), port, env)

    answers = [server.get("/__heartbeat__") for _ in range(REQUESTS)]

    assert [answer.status for answer in answers] == [200] * REQUESTS, answers[0].body
    assert {answer.json()["status"] for answer in answers} == {"info"}
    assert "Respawned uWSGI worker" in server.stderr()
