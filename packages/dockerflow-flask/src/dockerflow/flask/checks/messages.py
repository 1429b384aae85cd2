"""Check message classes and levels, kept at python-dockerflow's import path.

The same objects as :mod:`dockerflow.checks`; import from there in new code.
"""

from __future__ import annotations

from dockerflow.checks.messages import *  # noqa: F403 (the names in its __all__)
from dockerflow.checks.messages import __all__ as __all__
