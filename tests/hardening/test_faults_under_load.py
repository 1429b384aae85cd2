"""The example under gunicorn while Redis stops and PostgreSQL stalls, at either size.

Small: 2 s phases and a 3 s flood; full: 6 s phases (about 32 s of load) and
10 s floods at two cache TTLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hardening_support.example_under_faults import (
    CHECK_TIMEOUT,
    assert_heartbeats_follow_faults,
    classify_heartbeats,
    faulty_backends_service,
    run_cached_flood,
    run_fault_timeline,
    worker_timeouts,
)
from hardening_support.sizes import scaled

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.usefixtures("redis_server_executable"),
]
PHASE = scaled(2.0, 6.0)  # seconds per phase: 5 phases + 2 s of load
FLOOD_SECONDS = scaled(3.0, 10.0)
FLOOD_THREADS = scaled(4, 6)
WORKERS = 2  # the example's gunicorn workers (WEB_CONCURRENCY)


def test_heartbeat_follows_backend_faults_and_normal_route_keeps_answering(
    tmp_path: Path, postgres_url: str, figures: dict[str, Any]
) -> None:
    """Redis stopped, PostgreSQL stalled: 500 while down, 200 after, in time; /ping never fails."""
    with faulty_backends_service(str(tmp_path), postgres_url) as (service, redis_server, proxy):
        load, outages = run_fault_timeline(service, redis_server, proxy, PHASE)
        timeouts = worker_timeouts(service)

    heartbeats = load.of("/__heartbeat__")
    pings = load.of("/ping")
    classes = classify_heartbeats(heartbeats, outages, settle=CHECK_TIMEOUT + 1.0)
    figures.update(
        heartbeats=len(heartbeats),
        down=len(classes["down"]),
        up=len(classes["up"]),
        transition=len(classes["transition"]),
        heartbeat_max_s=round(max(e.seconds for e in heartbeats), 3),
        pings=len(pings),
        ping_failures=sum(1 for e in pings if e.status != 200),
        ping_max_s=round(max(e.seconds for e in pings), 3),
        worker_timeouts=timeouts,
        check_timeout_s=CHECK_TIMEOUT,
    )
    assert classes["down"]
    assert classes["up"]
    assert_heartbeats_follow_faults(classes, outages)
    assert max(e.seconds for e in heartbeats) < CHECK_TIMEOUT + 1.5
    assert pings
    assert figures["ping_failures"] == 0
    assert timeouts == 0


@pytest.mark.parametrize("ttl", scaled([1.0], [1.0, 2.0]))
def test_cached_heartbeat_flood_costs_one_ping_per_worker_per_ttl(
    tmp_path: Path, postgres_url: str, figures: dict[str, Any], ttl: float
) -> None:
    """With a cache TTL, a flood of heartbeats sends at most one Redis PING per worker per TTL."""
    settings = {"FLASK_DOCKERFLOW_HEARTBEAT_CACHE_TTL": str(ttl)}
    with faulty_backends_service(str(tmp_path), postgres_url, **settings) as (
        service,
        redis_server,
        proxy,
    ):
        chunks_before = proxy.client_chunks
        heartbeats, pings, elapsed = run_cached_flood(
            service, redis_server, seconds=FLOOD_SECONDS, threads=FLOOD_THREADS
        )
        database_chunks = proxy.client_chunks - chunks_before

    bound = WORKERS * (elapsed / ttl + 1)
    figures.update(
        ttl_s=ttl,
        seconds=round(elapsed, 1),
        heartbeats_per_s=round(heartbeats / elapsed, 1),
        redis_pings=pings,
        redis_pings_per_s=round(pings / elapsed, 2),
        bound_per_s=round(bound / elapsed, 2),
        postgres_client_reads=database_chunks,
    )
    assert heartbeats > 5 * pings
    assert pings <= bound
