"""How big the hardening runs are: ``DOCKERFLOW_TEST_SIZE`` is ``small`` or ``full``.

``hatch test`` runs them small (seconds); ``hatch run stress:run`` sets
``DOCKERFLOW_TEST_SIZE=full`` (minutes: longer fault timelines, 100,000
requests, ten times the fuzzing cases). A test picks its figures with
:func:`scaled`, so each test is written once for both sizes.
"""

from __future__ import annotations

import os
from typing import TypeVar

from hypothesis import HealthCheck, settings

SIZES = ("small", "full")
SIZE = os.environ.get("DOCKERFLOW_TEST_SIZE", "") or "small"
if SIZE not in SIZES:
    raise ValueError(f"DOCKERFLOW_TEST_SIZE must be one of {SIZES}, not {SIZE!r}")
FULL = SIZE == "full"

T = TypeVar("T")


def scaled(small: T, full: T) -> T:
    """``full`` when the tests run at full size, else ``small``."""
    return full if FULL else small


#: The Hypothesis settings of the fuzzing tests: 150 cases each, 1,500 at full size.
FUZZ = settings(
    max_examples=scaled(150, 1500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
