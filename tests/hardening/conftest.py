"""Fixtures of the hardening tests; shared helpers live in ``support.py`` beside this file.

``support.py`` is loaded by path as ``dockerflow_hardening_support`` (the test
trees are not packages), so test modules here and in tests/stress import it
by that name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerflow.checks import default_registry
from testing_support import load_module

load_module("dockerflow_hardening_support", Path(__file__).with_name("support.py"))


@pytest.fixture(autouse=True)
def _clean_default_registry() -> Iterator[None]:
    """Leave the module-level check registry as each test found it."""
    before = default_registry.get_checks()
    yield
    default_registry.clear()
    for name, check in before.items():
        default_registry.register(check, name=name)
