"""Fixtures of the hardening tests, which run at the size ``DOCKERFLOW_TEST_SIZE`` says.

``hatch test`` runs them small; ``hatch run stress:run`` at full size (see
``hardening_support/sizes.py``). Tests record what they measured in the
``figures`` fixture; a run in one process prints them at the end, in its
"reliability figures" section (docs/reliability.md quotes them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hardening_support.sizes import SIZE

FIGURES = pytest.StashKey[dict[str, dict[str, Any]]]()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A dict of this test's figures, printed at the end of the session."""
    return request.config.stash.setdefault(FIGURES, {}).setdefault(request.node.name, {})


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recorded = config.stash.get(FIGURES, {})
    if not recorded:
        return
    terminalreporter.section(f"reliability figures ({SIZE} size)")
    for name, values in recorded.items():
        terminalreporter.write_line(f"{name}: {json.dumps(values, sort_keys=True)}")
