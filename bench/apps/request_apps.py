"""The Flask apps of the request and load benchmarks, importable in either environment.

In ``bench``, ``dockerflow.flask`` is ours; in ``bench-upstream`` it is
python-dockerflow. Both take ``Dockerflow(app, version_path=...)``, so one
definition serves both sides and the only difference measured is the
extension. Three apps, each with the same ``/hello`` route:

- ``bare``: nothing else, the floor;
- ``log-line``: the floor of logging, one constant ``request.summary``-sized
  line per request through a standard ``StreamHandler``, nothing computed;
- ``dockerflow``: the extension, its ``request.summary`` through a
  ``StreamHandler`` with the mozlog formatter (see
  :func:`configure_summary_logging`).

Under gunicorn (``bench/load.py``), ``request_apps:app`` is the app named by
``BENCH_APP``, logging to stdout.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Any

from flask import Flask

APPS_DIR = os.path.dirname(os.path.abspath(__file__))
SUMMARY_LOGGER = "request.summary"
LOG_LINE_LOGGER = "bench.log_line"
#: A request.summary line as both extensions write it for ``/hello``, fixed.
LOG_LINE = (
    '{"Timestamp":1764300000000000000,"Type":"request.summary","Logger":"Dockerflow",'
    '"Hostname":"bench-host","EnvVersion":"2.0","Severity":6,"Pid":12345,"Fields":{"errno":0,'
    '"agent":"bench/1.0","lang":"en-US","method":"GET","path":"/hello","code":200,'
    '"remoteAddressChain":["127.0.0.1"],"rid":"4f6ad9a6-6b5e-4a36-9f6e-0c9a7d1c2b3e","t":0,'
    '"uid":""}}'
)


def make_bare_app() -> Flask:
    """The floor: one plain Flask route and nothing else."""
    app = Flask("bench_bare")
    app.add_url_rule("/hello", "hello", lambda: "Hello, World!")
    return app


def make_dockerflow_app() -> Flask:
    """The same route with the Dockerflow extension of this environment."""
    from dockerflow.flask import Dockerflow

    app = make_bare_app()
    Dockerflow(app, version_path=APPS_DIR)
    return app


def make_log_line_app(stream: IO[str]) -> Flask:
    """The floor of logging: the bare route, then one constant line per request to ``stream``.

    The line takes the standard library's path a ``request.summary`` record
    takes (a LogRecord, ``Logger.handle``, a ``StreamHandler``) with nothing
    to compute: what one log line per request costs, whoever writes it.
    """
    logger = logging.getLogger(LOG_LINE_LOGGER)
    _use_only(logger, logging.StreamHandler(stream), logging.Formatter("%(message)s"))
    app = make_bare_app()
    serve = app.wsgi_app

    def wsgi_app(environ: Any, start_response: Any) -> Any:
        body = serve(environ, start_response)
        logger.handle(logger.makeRecord(LOG_LINE_LOGGER, logging.INFO, "", 0, LOG_LINE, (), None))
        return body

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
    return app


def configure_summary_logging(stream: IO[str] | None) -> None:
    """``request.summary`` as mozlog JSON to ``stream`` through a ``StreamHandler``; off if None.

    Off means the logger's level is above INFO: the extension still runs its
    hooks, but the logging call stops at ``isEnabledFor``.
    """
    from dockerflow.logging import MozlogFormatter  # both sides have it under this name

    logger = logging.getLogger(SUMMARY_LOGGER)
    if stream is None:
        _use_only(logger, None, None)
        logger.setLevel(logging.WARNING)
    else:
        _use_only(logger, logging.StreamHandler(stream), MozlogFormatter())


def _use_only(logger: logging.Logger, handler: logging.Handler | None, formatter: Any) -> None:
    """Give ``logger`` this one handler (or none), at INFO, not propagating."""
    for old in list(logger.handlers):
        logger.removeHandler(old)
    if handler is not None:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def __getattr__(name: str) -> Any:
    # gunicorn's ``request_apps:app``, built on first access (importing builds nothing).
    if name != "app":
        raise AttributeError(name)
    kind = os.environ.get("BENCH_APP", "bare")
    if kind == "bare":
        app = make_bare_app()
    elif kind == "log-line":
        app = make_log_line_app(sys.stdout)
    elif kind == "dockerflow":
        configure_summary_logging(sys.stdout)
        app = make_dockerflow_app()
    else:
        raise ValueError(f"BENCH_APP must be bare, log-line or dockerflow, not {kind!r}")
    globals()["app"] = app
    return app
