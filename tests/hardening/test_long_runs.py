"""Short versions of the long runs (tests/stress has the full sizes): nothing grows."""

from __future__ import annotations

from dockerflow_hardening_support import (
    detach_summary_logging,
    drive_requests,
    drive_timing_out_heartbeats,
    logged_app,
)

REQUESTS = 3_000
HEARTBEATS = 300


def test_many_requests_leave_objects_and_threads_flat() -> None:
    """3,000 requests through the extension: live objects and threads stay where they were."""
    app = logged_app("long_requests_fast")
    try:
        drive_requests(app, 500, samples=1)  # warm up caches and lazy imports
        curve = drive_requests(app, REQUESTS, samples=3)
    finally:
        detach_summary_logging(app)

    first, last = curve[0], curve[-1]
    assert last.done == REQUESTS
    assert last.objects - first.objects < 500, curve
    assert last.threads <= first.threads + 2, curve


def test_heartbeats_with_a_timing_out_check_keep_threads_bounded() -> None:
    """300 heartbeats whose checks time out: every one fails, threads stay bounded."""
    curve, statuses = drive_timing_out_heartbeats(HEARTBEATS, samples=3)

    assert statuses == {500: HEARTBEATS}
    assert max(sample.threads for sample in curve) <= curve[0].threads + 4, curve
    assert curve[-1].objects - curve[1].objects < 100, curve
