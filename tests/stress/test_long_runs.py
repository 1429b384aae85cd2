"""Long runs stay flat: 100,000 requests, 10,000 timing-out heartbeats, concurrent logging."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from dockerflow_hardening_support import (
    concurrent_logged_requests,
    detach_summary_logging,
    drive_requests,
    drive_timing_out_heartbeats,
    logged_app,
)

MiB = 2**20


def curve_figures(curve: list[Any]) -> dict[str, Any]:
    return {
        "points": [
            {
                "done": s.done,
                "rss_mib": round(s.rss / MiB, 1),
                "threads": s.threads,
                "objects": s.objects,
            }
            for s in curve
        ]
    }


def test_hundred_thousand_requests_stay_flat(figures: dict[str, Any]) -> None:
    """100,000 requests in-process: RSS, live objects and threads stop growing after warm-up."""
    app = logged_app("long_requests")
    try:
        curve = drive_requests(app, 100_000, samples=10)
    finally:
        detach_summary_logging(app)

    warm, last = curve[1], curve[-1]
    figures.update(curve_figures(curve))
    figures.update(
        rss_growth_after_10k_mib=round((last.rss - warm.rss) / MiB, 2),
        object_growth_after_10k=last.objects - warm.objects,
    )
    assert last.done == 100_000
    assert last.objects - warm.objects < 1_000, curve
    assert last.rss - warm.rss < 16 * MiB, curve
    assert last.threads <= curve[0].threads + 2, curve


def test_ten_thousand_timing_out_heartbeats_stay_flat(figures: dict[str, Any]) -> None:
    """10,000 heartbeats whose checks time out (0.01 s): all 500, threads and memory bounded."""
    curve, statuses = drive_timing_out_heartbeats(10_000, timeout=0.01, samples=10)

    warm, last = curve[1], curve[-1]
    figures.update(curve_figures(curve))
    figures.update(
        statuses={str(k): v for k, v in statuses.items()},
        max_threads=max(s.threads for s in curve),
        rss_growth_after_1k_mib=round((last.rss - warm.rss) / MiB, 2),
        object_growth_after_1k=last.objects - warm.objects,
    )
    assert statuses == {500: 10_000}
    assert max(s.threads for s in curve) <= curve[0].threads + 4, curve
    assert last.objects - warm.objects < 1_000, curve
    assert last.rss - warm.rss < 16 * MiB, curve


def test_concurrent_logging_loses_nothing(figures: dict[str, Any]) -> None:
    """16 threads x 2,000 requests: 32,000 parseable request.summary lines, one per request id."""
    app = logged_app("concurrent_long")
    try:
        echoed, lines = concurrent_logged_requests(app, threads=16, per_thread=2_000)
    finally:
        detach_summary_logging(app)

    rids = Counter(json.loads(line)["Fields"]["rid"] for line in lines)
    figures.update(
        requests=len(echoed), lines=len(lines), duplicate_rids=sum(n - 1 for n in rids.values())
    )
    assert len(echoed) == 32_000
    assert rids == Counter(echoed)
    assert max(rids.values()) == 1
