"""Helpers shared by every test tree (not shipped: the distributions' wheels hold only src/).

The test trees are not packages and pytest's importlib mode adds nothing to
``sys.path``, so the root ``conftest.py`` registers this package by path;
tests then import ``testing_support.servers`` like any module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(name: str, path: Path) -> ModuleType:
    """Import the file at ``path`` as module ``name`` (once; later calls return it)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
