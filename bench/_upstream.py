"""Where python-dockerflow runs: the interpreter of the ``bench-upstream`` environment.

Import it from a script in ``bench/`` as ``from _upstream import upstream_python``
(the script's directory is on ``sys.path``).
"""

from __future__ import annotations

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def upstream_python() -> str:
    """The interpreter of the ``bench-upstream`` environment (created if needed)."""
    out = subprocess.run(
        ["hatch", "run", "bench-upstream:python", "-c", "import sys; print(sys.executable)"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.stdout.strip().splitlines()[-1]
