"""Coverage-guided fuzzing (atheris) of the formatter, request ids and version.json, bounded."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "bench" / "fuzz" / "fuzz_targets.py"
RUNS = 200_000
MAX_SECONDS = 40


@pytest.mark.parametrize("target", ["formatter", "request_id", "version"])
def test_atheris_finds_no_crash(tmp_path: Path, figures: dict[str, Any], target: str) -> None:
    """libFuzzer runs the target for RUNS inputs or MAX_SECONDS without a crash."""
    pytest.importorskip("atheris")
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
