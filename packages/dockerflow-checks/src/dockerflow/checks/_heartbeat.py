"""The summary record of a heartbeat, on the ``dockerflow.heartbeat`` logger."""

from __future__ import annotations

import logging

from ._results import ChecksResults
from .messages import ERROR, level_to_text

__all__ = ["log_heartbeat"]

logger = logging.getLogger("dockerflow.heartbeat")


def log_heartbeat(results: ChecksResults, *, fail_level: int = ERROR) -> None:
    """Write one record summing up the heartbeat that answered ``results``.

    The heartbeat passed when ``results.level`` is below ``fail_level``: the
    record is then at INFO. A failed heartbeat is logged at ERROR when a
    check reached ``ERROR`` (or ``CRITICAL``), else at WARNING (a fail level
    of ``WARNING`` or lower). Its extra fields, under mozlog's ``Fields``:
    ``status`` (the overall status text), ``duration_ms`` (the time the call
    took), ``cached`` and ``checks``, ``{name: {"status", "duration_ms"}}``
    for every check. Call it once per heartbeat answered, cached answers
    included.
    """
    passed = results.level < fail_level
    if passed:
        record_level = logging.INFO
    elif results.level >= ERROR:
        record_level = logging.ERROR
    else:
        record_level = logging.WARNING
    if not logger.isEnabledFor(record_level):
        return
    status = level_to_text(results.level)
    checks = {
        name: {"status": check_status, "duration_ms": results.durations_ms.get(name)}
        for name, check_status in results.statuses.items()
    }
    logger.log(
        record_level,
        "Heartbeat %s: %s in %.1f ms%s",
        "passed" if passed else "failed",
        status,
        results.total_ms,
        " (cached)" if results.cached else "",
        extra={
            "status": status,
            "duration_ms": results.total_ms,
            "cached": results.cached,
            "checks": checks,
        },
    )
