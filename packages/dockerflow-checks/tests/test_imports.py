"""Importing dockerflow.checks needs nothing but the standard library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
before = set(sys.modules)
import dockerflow.checks, dockerflow.health, dockerflow.version
new = sorted({name.split(".")[0] for name in set(sys.modules) - before})
print(json.dumps(new))
"""


@pytest.mark.skipif(sys.version_info < (3, 10), reason="needs sys.stdlib_module_names")
def test_importing_checks_imports_only_the_standard_library() -> None:
    """No third-party module (sqlalchemy, redis, alembic...) is imported by the package."""
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    imported = json.loads(output)
    third_party = [
        name
        for name in imported
        if name != "dockerflow" and name not in sys.stdlib_module_names  # type: ignore[attr-defined]
    ]
    assert "dockerflow" in imported
    assert third_party == []


def test_no_dockerflow_init_module() -> None:
    """dockerflow stays an implicit namespace package."""
    import dockerflow

    assert getattr(dockerflow, "__file__", None) is None
