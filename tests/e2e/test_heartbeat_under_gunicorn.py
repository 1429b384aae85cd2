"""The heartbeat under real servers: gunicorn's sync, gthread and gevent workers, with and
without ``--preload``, and ``flask run``; then with Redis and PostgreSQL stopped and stalled.

Each test serves ``tests/e2e/apps/checks_service.py`` on a free loopback port.
``test_heartbeat_figures_under_faults`` prints, per configuration, the status
codes the heartbeat answered and its slowest answer; it runs one configuration
by default and all six with ``DOCKERFLOW_E2E_FIGURES=1``::

    DOCKERFLOW_E2E_FIGURES=1 hatch test -- -n 0 -s tests/e2e/test_heartbeat_under_gunicorn.py \
        -k figures
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from testing_support.app_servers import AppServer, Exchange, flask_run_command
from testing_support.servers import RedisServer, TcpProxy, find_free_port

APP = "checks_service:app"
APP_FILE = Path(__file__).parent / "apps" / "checks_service.py"
LOGGER = "e2e-checks"  # the mozlog Logger of every stdout line
WORKERS = 2

pytestmark = pytest.mark.e2e

CONFIGURATIONS = [
    (worker_class, preload)
    for worker_class in ("sync", "gthread", "gevent")
    for preload in (False, True)
]


def config_id(config: tuple[str, bool]) -> str:
    worker_class, preload = config
    return f"{worker_class}{'+preload' if preload else ''}"


def start_checks_service(
    gunicorn_service: Callable[..., AppServer], config: tuple[str, bool], env: dict[str, str]
) -> AppServer:
    """``checks_service`` under gunicorn: two workers of the class, four threads for gthread."""
    worker_class, preload = config
    return gunicorn_service(
        APP,
        env,
        workers=WORKERS,
        worker_class=worker_class,
        threads=4 if worker_class == "gthread" else None,
        preload=preload,
    )


def heartbeats_at_once(
    server: AppServer, count: int, threads: int = 4
) -> list[tuple[str, Exchange]]:
    """``count`` heartbeats over ``threads`` connections at once, each with its own request id."""
    ids = [f"e2e-hb-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with ThreadPoolExecutor(threads) as executor:
        answers = list(
            executor.map(lambda rid: server.get("/__heartbeat__", {"X-Request-ID": rid}), ids)
        )
    return list(zip(ids, answers))


@pytest.mark.parametrize("config", CONFIGURATIONS, ids=config_id)
def test_async_checks_pass_under_gunicorn(
    config: tuple[str, bool], gunicorn_service: Callable[..., AppServer]
) -> None:
    """Two async checks and a logging one pass under each worker class, with and without
    --preload (plus a heartbeat in the master before the fork); a check's log line carries
    the heartbeat request's id."""
    _, preload = config
    env = {"E2E_CHECK_TIMEOUT": "3", "E2E_PREFORK_HEARTBEAT": "1" if preload else "0"}
    server = start_checks_service(gunicorn_service, config, env)
    one_by_one = [heartbeats_at_once(server, 1, threads=1)[0] for _ in range(4)]
    answered = one_by_one + heartbeats_at_once(server, 12)
    for _, answer in answered:
        assert answer.status == 200, answer.body
        assert answer.json()["checks"] == {
            "first_async": "ok",
            "second_async": "info",
            "logs_a_line": "ok",
        }
        # Well within the 3 s timeout: no heartbeat waits for threads it will never get.
        assert answer.seconds < 2.5, answer.seconds
    check_lines = [r for r in server.log_records(LOGGER) if r.get("Type") == "e2e.checks"]
    # Only the start-up heartbeat, in the master before the fork, has no request.
    startup = [line for line in check_lines if line["Fields"].get("rid") is None]
    assert [line["Pid"] for line in startup] == ([server.process.pid] if preload else [])
    logged_ids = {line["Fields"]["rid"] for line in check_lines if line not in startup}
    # Concurrent heartbeats may share one run of the check, and so its line.
    assert logged_ids <= {rid for rid, _ in answered}
    assert logged_ids >= {rid for rid, _ in one_by_one}
    assert "asyncio.run() cannot be called" not in server.stderr()


def test_async_checks_pass_under_flask_run(
    free_port: int, start_server: Callable[..., AppServer]
) -> None:
    """The same heartbeat under Flask's development server (threaded)."""
    server = start_server(flask_run_command(APP_FILE, free_port), free_port)
    answered = heartbeats_at_once(server, 8)
    for rid, answer in answered:
        assert answer.status == 200, (rid, answer.body)
        assert answer.json()["checks"]["second_async"] == "info"


# -- faults: Redis and PostgreSQL stopped and stalled --

CHECK_TIMEOUT = 1.0
PHASE_SECONDS = 1.5


@dataclass
class Phase:
    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    slowest: float = 0.0

    def record(self, answer: Exchange) -> None:
        self.statuses[answer.status] += 1
        self.slowest = max(self.slowest, answer.seconds)


def poll(server: AppServer, phase: Phase, seconds: float = PHASE_SECONDS) -> Phase:
    """Heartbeats from two threads for ``seconds``; bounded in time and count."""
    deadline = time.monotonic() + seconds

    def loop() -> None:
        for _ in range(1000):
            if time.monotonic() >= deadline:
                return
            try:
                phase.record(server.get("/__heartbeat__", timeout=10))
            except OSError:
                phase.statuses[0] += 1  # no answer at all

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    return phase


def settle(server: AppServer, seconds: float = 10) -> bool:
    """Wait until a heartbeat passes again (a backend came back)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.get("/__heartbeat__", timeout=10).status == 200:
            return True
        time.sleep(0.1)
    return False


FIGURES = os.environ.get("DOCKERFLOW_E2E_FIGURES", "") not in ("", "0")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "config",
    CONFIGURATIONS if FIGURES else [("gevent", True)],
    ids=config_id,
)
def test_heartbeat_figures_under_faults(
    config: tuple[str, bool],
    gunicorn_service: Callable[..., AppServer],
    postgres_url: str,
    redis_server_executable: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Redis and PostgreSQL each stopped and stalled: the heartbeat answers 500 within about
    the check timeout while a backend is down, 200 otherwise, and names the cause."""
    from sqlalchemy.engine import make_url

    worker_class, preload = config
    redis_server = RedisServer(find_free_port())
    redis_server.start()
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    env = {
        "E2E_CHECK_TIMEOUT": str(CHECK_TIMEOUT),
        "E2E_GEVENT_PATCH": "1" if (worker_class, preload) == ("gevent", True) else "0",
        "E2E_REDIS_URL": redis_server.url,
        "E2E_DATABASE_URL": target.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False
        ),
        "E2E_PREFORK_HEARTBEAT": "1" if preload else "0",
    }
    phases: list[Phase] = []
    try:
        server = start_checks_service(gunicorn_service, config, env)
        phases.append(poll(server, Phase("healthy")))
        for backend, down, up in (
            ("Redis", redis_server.stop, redis_server.start),
            ("Redis", redis_server.stall, redis_server.resume),
            ("PostgreSQL", proxy.stop, proxy.start),
            ("PostgreSQL", proxy.stall, proxy.resume),
        ):
            fault = "stopped" if down in (redis_server.stop, proxy.stop) else "stalled"
            down()
            reason = server.get("/__heartbeat__", timeout=10).json()["details"]
            phases.append(poll(server, Phase(f"{backend} {fault}")))
            up()
            assert settle(server), f"no passing heartbeat after {backend} {fault} ended"
            assert_reason_names_the_backend(reason, backend, fault)
        phases.append(poll(server, Phase("healthy again")))
        server.stop()
        stderr = server.stderr()
    finally:
        redis_server.stop()
        proxy.stop()

    with capsys.disabled():
        print(f"\n{config_id(config)} (check timeout {CHECK_TIMEOUT:g} s, {WORKERS} workers)")
        for phase in phases:
            codes = ", ".join(f"{code}: {n}" for code, n in sorted(phase.statuses.items()))
            print(f"  {phase.name:<18} {codes:<20} slowest {phase.slowest:.3f} s")
    healthy = [p for p in phases if p.name.startswith("healthy")]
    faulty = [p for p in phases if not p.name.startswith("healthy")]
    assert all(set(p.statuses) == {200} for p in healthy), phases
    assert all(set(p.statuses) == {500} for p in faulty), phases
    assert max(p.slowest for p in phases) < CHECK_TIMEOUT + 1.0, phases
    assert "WORKER TIMEOUT" not in stderr


def assert_reason_names_the_backend(details: dict[str, Any], backend: str, fault: str) -> None:
    name = "check_redis_connected" if backend == "Redis" else "check_database_connected"
    (text,) = details[name]["messages"].values()
    (key,) = details[name]["messages"]
    if backend == "Redis" and fault == "stopped":
        assert key == "dockerflow.health.E004", details
    elif backend == "PostgreSQL" and fault == "stopped":
        assert key == "dockerflow.health.E008", details
    else:  # stalled: the check's own timeout, naming the backend
        assert key in ("dockerflow.health.check_timeout", "dockerflow.health.E010"), details
        assert ("Redis at" if backend == "Redis" else "the database postgresql") in text, text
