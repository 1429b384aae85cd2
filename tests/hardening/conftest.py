"""Fixtures of the hardening tests; shared helpers live in ``support.py`` beside this file.

``support.py`` is loaded by path as ``dockerflow_hardening_support`` (the test
trees are not packages), so test modules here and in tests/stress import it
by that name.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerflow.checks import default_registry


def _load_support() -> None:
    name = "dockerflow_hardening_support"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("support.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load_support()


@pytest.fixture(autouse=True)
def _clean_default_registry() -> Iterator[None]:
    """Leave the module-level check registry as each test found it."""
    before = default_registry.get_checks()
    yield
    default_registry.clear()
    for name, check in before.items():
        default_registry.register(check, name=name)
