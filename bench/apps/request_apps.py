"""Flask apps measured by the request and load benchmarks.

This module imports in both benchmark environments: in ``bench``,
``dockerflow.flask`` is ours; in ``bench-upstream`` it is python-dockerflow.
Both expose ``Dockerflow(app, version_path=...)``, so one app definition serves
both sides and the only difference measured is the extension.

Under gunicorn (``bench/load.py``), ``request_apps:app`` is built from the
``BENCH_APP_KIND`` environment variable: ``bare``, ``dockerflow`` (sends
``request.summary`` as mozlog JSON to stdout) or ``dockerflow-quiet`` (the
summary logger off).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Any

from flask import Flask

APPS_DIR = os.path.dirname(os.path.abspath(__file__))
SUMMARY_LOGGER = "request.summary"
HELLO_BODY = "Hello, World!"


def implementation() -> str:
    """``upstream`` when python-dockerflow is importable as ``dockerflow``, else ``ours``."""
    import dockerflow

    # python-dockerflow is a regular package; ours is a PEP 420 namespace.
    return "upstream" if getattr(dockerflow, "__file__", None) else "ours"


def _add_hello_route(app: Flask) -> None:
    @app.route("/hello")
    def hello() -> str:
        return HELLO_BODY


def make_bare_app() -> Flask:
    """The floor: one plain Flask route and nothing else."""
    app = Flask("bench_bare")
    _add_hello_route(app)
    return app


def make_dockerflow_app() -> Flask:
    """The same route with the Dockerflow extension of this environment."""
    from dockerflow.flask import Dockerflow

    app = Flask("bench_dockerflow")
    _add_hello_route(app)
    Dockerflow(app, version_path=APPS_DIR)
    return app


def json_formatter() -> logging.Formatter:
    """The mozlog formatter under the name each implementation does not deprecate."""
    import dockerflow.logging as dflog

    if implementation() == "upstream":
        # python-dockerflow warns on JsonLogFormatter; MozlogFormatter is the same.
        formatter: logging.Formatter = dflog.MozlogFormatter()
    else:
        formatter = dflog.JsonLogFormatter()
    return formatter


def configure_summary_logging(enabled: bool, stream: IO[str] | None = None) -> None:
    """Send ``request.summary`` as JSON to ``stream`` (default /dev/null), or turn it off.

    Off means the logger's level is above INFO: the extension still runs its
    hooks, but the logging call stops at ``isEnabledFor``.
    """
    logger = logging.getLogger(SUMMARY_LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = False
    if not enabled:
        logger.setLevel(logging.WARNING)
        return
    if stream is None:
        stream = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the handler
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _app_from_environment() -> Any:
    kind = os.environ.get("BENCH_APP_KIND", "bare")
    if kind == "bare":
        return make_bare_app()
    if kind == "dockerflow":
        configure_summary_logging(True, sys.stdout)
        return make_dockerflow_app()
    if kind == "dockerflow-quiet":
        configure_summary_logging(False)
        return make_dockerflow_app()
    raise ValueError(f"unknown BENCH_APP_KIND {kind!r}")


def __getattr__(name: str) -> Any:
    # Built on first access so that importing this module never builds an app.
    if name == "app":
        app = _app_from_environment()
        globals()["app"] = app
        return app
    raise AttributeError(name)
