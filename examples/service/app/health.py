"""The example's own heartbeat check, registered with ``dockerflow.check``."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import current_app

from dockerflow.flask import checks


def disk_space() -> list[checks.CheckMessage]:
    """Warn when the disk holding the instance folder is almost full."""
    path = Path(current_app.instance_path)
    while not path.exists():
        path = path.parent
    usage = shutil.disk_usage(path)
    free = usage.free / usage.total if usage.total else 0.0
    minimum = float(current_app.config["DISK_FREE_WARNING_RATIO"])
    if free < minimum:
        return [
            checks.Warning(
                f"{free:.1%} of the disk holding {path} is free (warning below {minimum:.1%})",
                hint="Free some space or grow the volume.",
                id="example.W001",
            )
        ]
    return []
