"""A short run of the fault timeline (tests/stress has the long one): the example under gunicorn."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockerflow_hardening_support import (
    CHECK_TIMEOUT,
    assert_heartbeats_follow_faults,
    classify_heartbeats,
    faulty_backends_service,
    run_cached_flood,
    run_fault_timeline,
    worker_timeouts,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.usefixtures("redis_server_executable"),
]
PHASE = 2.0


def test_heartbeat_follows_backend_faults_and_normal_route_keeps_answering(
    tmp_path: Path, postgres_url: str
) -> None:
    """Redis stopped, PostgreSQL stalled: 500 while down, 200 after, in time; /ping never fails."""
    with faulty_backends_service(str(tmp_path), postgres_url) as (service, redis_server, proxy):
        load, outages = run_fault_timeline(service, redis_server, proxy, PHASE)
        timeouts = worker_timeouts(service)

    heartbeats = load.of("/__heartbeat__")
    classes = classify_heartbeats(heartbeats, outages, settle=CHECK_TIMEOUT + 1.0)
    assert classes["down"]
    assert classes["up"]
    assert_heartbeats_follow_faults(classes, outages)
    assert max(exchange.seconds for exchange in heartbeats) < CHECK_TIMEOUT + 1.5
    pings = load.of("/ping")
    assert pings
    assert all(exchange.status == 200 for exchange in pings)
    assert timeouts == 0


def test_cached_heartbeat_flood_costs_one_ping_per_worker_per_ttl(
    tmp_path: Path, postgres_url: str
) -> None:
    """With a 1 s cache TTL, a flood of heartbeats sends at most one PING per worker per second."""
    settings = {"FLASK_DOCKERFLOW_HEARTBEAT_CACHE_TTL": "1"}
    with faulty_backends_service(str(tmp_path), postgres_url, **settings) as (
        service,
        redis_server,
        _,
    ):
        heartbeats, pings, elapsed = run_cached_flood(service, redis_server, seconds=3.0, threads=4)

    assert heartbeats > 2 * pings
    assert pings <= 2 * (elapsed / 1.0 + 1)
