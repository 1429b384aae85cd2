"""Coverage-guided fuzzing (atheris) of the formatter, request ids and version.json, bounded.

atheris is installed in the stress environment only (``hatch run stress:run``):
elsewhere these tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hardening_support.sizes import scaled

HARNESS = Path(__file__).with_name("atheris_targets.py")
RUNS = scaled(20_000, 200_000)
MAX_SECONDS = scaled(10, 40)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is installed in the stress environment only: hatch run stress:run",
)


@pytest.mark.parametrize("target", ["formatter", "request_id", "version"])
def test_atheris_finds_no_crash(tmp_path: Path, figures: dict[str, Any], target: str) -> None:
    """libFuzzer runs the target for RUNS inputs or MAX_SECONDS without a crash."""
    completed = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            target,
            f"-runs={RUNS}",
            f"-max_total_time={MAX_SECONDS}",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
        ],
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS + 60,
        check=False,
    )
    output = completed.stdout + completed.stderr
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", output)
    figures.update(executed=int(runs.group(1)) if runs else None, seconds_max=MAX_SECONDS)
    assert completed.returncode == 0, output[-4000:]
    assert runs
    assert int(runs.group(1)) > 1000
