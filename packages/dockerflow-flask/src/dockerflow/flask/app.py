"""python-dockerflow's module path for the extension: ``dockerflow.flask.app``."""

from __future__ import annotations

from ._extension import Dockerflow

__all__ = ["Dockerflow"]
