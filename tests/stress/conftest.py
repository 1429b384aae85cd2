"""The full-size hardening runs: ``hatch run stress:run`` (minutes, not part of ``hatch test``).

Collected only when DOCKERFLOW_STRESS=1 (the stress environment sets it), so
``hatch test`` over ``tests`` skips this tree. Helpers come from
tests/hardening/support.py, loaded by path as ``dockerflow_hardening_support``.
Every test records its figures with the ``figures`` fixture; they are printed
at the end of the run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from testing_support import load_module

if os.environ.get("DOCKERFLOW_STRESS", "") != "1":
    collect_ignore_glob = ["test_*.py"]


load_module(
    "dockerflow_hardening_support",
    Path(__file__).resolve().parents[1] / "hardening" / "support.py",
)

_FIGURES: dict[str, dict[str, Any]] = {}


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A dict of this test's figures, printed at the end of the session."""
    return _FIGURES.setdefault(request.node.name, {})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, values in _FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(values, sort_keys=True)}")
