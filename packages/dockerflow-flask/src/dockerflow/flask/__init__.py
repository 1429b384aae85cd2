"""Dockerflow for Flask: health endpoints, request ids and request.summary logs.

``from dockerflow.flask import Dockerflow`` as with python-dockerflow; the
check messages live in :mod:`dockerflow.flask.checks` and the heartbeat
signals in :mod:`dockerflow.flask.signals`. :mod:`dockerflow.flask.app` keeps
python-dockerflow's module of the extension and its other names.
"""

from __future__ import annotations

# python-dockerflow's submodules are attributes of the package once imported.
from . import app, checks, signals  # noqa: F401
from ._config import DockerflowConfig, DockerflowConfigError
from ._extension import Dockerflow
from ._request import REQUEST_ID_ENVIRON_KEY
from ._state import DockerflowState, HeartbeatResult

__all__ = [
    "REQUEST_ID_ENVIRON_KEY",
    "Dockerflow",
    "DockerflowConfig",
    "DockerflowConfigError",
    "DockerflowState",
    "HeartbeatResult",
]
