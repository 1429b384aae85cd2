"""Long runs stay flat: memory, live objects and threads stop growing after a warm-up.

Small: 3,000 requests and 300 timing-out heartbeats; full: 100,000 and 10,000.
"""

from __future__ import annotations

from typing import Any

from hardening_support.logged_apps import detach_summary_logging, logged_app
from hardening_support.long_runs import Sample, drive_requests, drive_timing_out_heartbeats
from hardening_support.sizes import scaled

REQUESTS = scaled(3_000, 100_000)
HEARTBEATS = scaled(300, 10_000)
MiB = 2**20


def curve_figures(curve: list[Sample]) -> dict[str, Any]:
    points = [
        {
            "done": s.done,
            "rss_mib": round(s.rss / MiB, 1),
            "threads": s.threads,
            "objects": s.objects,
        }
        for s in curve
    ]
    warm, last = curve[1], curve[-1]
    return {
        "points": points,
        "rss_growth_after_warm_up_mib": round((last.rss - warm.rss) / MiB, 2),
        "object_growth_after_warm_up": last.objects - warm.objects,
        "max_threads": max(s.threads for s in curve),
    }


def test_many_requests_leave_memory_objects_and_threads_flat(figures: dict[str, Any]) -> None:
    """Mixed requests through the extension: after the first tenth, nothing grows."""
    app = logged_app("long_requests")
    try:
        drive_requests(app, 500, samples=1)  # caches and lazy imports
        curve = drive_requests(app, REQUESTS, samples=10)
    finally:
        detach_summary_logging(app)

    figures.update(requests=REQUESTS, **curve_figures(curve))
    warm, last = curve[1], curve[-1]
    assert last.done == REQUESTS
    assert last.objects - warm.objects < 1_000, curve
    assert last.rss - warm.rss < 16 * MiB, curve
    assert last.threads <= curve[0].threads + 2, curve


def test_heartbeats_with_timing_out_checks_keep_threads_and_memory_bounded(
    figures: dict[str, Any],
) -> None:
    """Heartbeats whose checks time out (0.01 s): every one answers 500, threads stay bounded."""
    curve, statuses = drive_timing_out_heartbeats(HEARTBEATS, timeout=0.01, samples=10)

    figures.update(statuses={str(k): v for k, v in statuses.items()}, **curve_figures(curve))
    warm, last = curve[1], curve[-1]
    assert statuses == {500: HEARTBEATS}
    # One thread per stuck check plus the pool's few workers (more on a loaded machine);
    # a leak would add one per heartbeat.
    assert max(s.threads for s in curve) <= curve[0].threads + 8, curve
    assert last.objects - warm.objects < 1_000, curve
    assert last.rss - warm.rss < 16 * MiB, curve
