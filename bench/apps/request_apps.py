"""Flask apps measured by the request and load benchmarks.

This module imports in both benchmark environments: in ``bench``,
``dockerflow.flask`` is ours; in ``bench-upstream`` it is python-dockerflow.
Both expose ``Dockerflow(app, version_path=...)``, so one app definition serves
both sides and the only difference measured is the extension.

Under gunicorn (``bench/load.py``), ``request_apps:app`` is built from the
``BENCH_APP_KIND`` environment variable: ``bare``, ``dockerflow`` (sends
``request.summary`` as mozlog JSON to stdout through the handler that
``BENCH_SUMMARY_HANDLER`` names, see :data:`SUMMARY_HANDLERS`),
``dockerflow-quiet`` (the summary logger off) or ``log-line`` (the floor of
logging: the bare route and one constant JSON line per request on stdout).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import IO, Any

from flask import Flask

APPS_DIR = os.path.dirname(os.path.abspath(__file__))
SUMMARY_LOGGER = "request.summary"
HELLO_BODY = "Hello, World!"
LOG_LINE_LOGGER = "bench.log_line"
#: A request.summary line as both extensions write it for ``/hello``, fixed.
LOG_LINE = json.dumps(
    {
        "Timestamp": 1764300000000000000,
        "Type": SUMMARY_LOGGER,
        "Logger": "Dockerflow",
        "Hostname": "bench-host",
        "EnvVersion": "2.0",
        "Severity": 6,
        "Pid": 12345,
        "Fields": {
            "errno": 0,
            "agent": "bench/1.0",
            "lang": "en-US",
            "method": "GET",
            "path": "/hello",
            "code": 200,
            "remoteAddressChain": ["127.0.0.1"],
            "rid": "4f6ad9a6-6b5e-4a36-9f6e-0c9a7d1c2b3e",
            "t": 0,
            "uid": "",
        },
    },
    separators=(",", ":"),
)


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


def make_log_line_app(stream: IO[str] | None = None) -> Flask:
    """The floor of logging: the bare route, and one constant line per request.

    The line takes the standard library's path a ``request.summary`` record
    takes (a LogRecord, ``Logger.handle``, a StreamHandler writing to
    ``stream``, default /dev/null) with nothing to compute: what writing one
    log line per request costs by itself, whichever extension writes it.
    """
    logger = logging.getLogger(LOG_LINE_LOGGER)
    _replace_handlers(logger)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(_devnull() if stream is None else stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)

    app = make_bare_app()
    serve = app.wsgi_app

    def wsgi_app(environ: Any, start_response: Any) -> Any:
        body = serve(environ, start_response)
        logger.handle(logger.makeRecord(LOG_LINE_LOGGER, logging.INFO, "", 0, LOG_LINE, (), None))
        return body

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
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


#: How ``request.summary`` reaches its stream: ``stream`` is a ``StreamHandler``
#: with the mozlog formatter (what a ``dictConfig`` formatter entry gives),
#: ``mozlog`` the implementation's own ``MozlogHandler``, which both document.
SUMMARY_HANDLERS = ("stream", "mozlog")


def configure_summary_logging(
    enabled: bool, stream: IO[str] | None = None, handler: str = "stream"
) -> None:
    """Send ``request.summary`` as JSON to ``stream`` (default /dev/null), or turn it off.

    ``handler`` is one of :data:`SUMMARY_HANDLERS`. Off means the logger's
    level is above INFO: the extension still runs its hooks, but the logging
    call stops at ``isEnabledFor``.
    """
    if handler not in SUMMARY_HANDLERS:
        raise ValueError(f"unknown summary handler {handler!r}")
    logger = logging.getLogger(SUMMARY_LOGGER)
    _replace_handlers(logger)
    logger.propagate = False
    if not enabled:
        logger.setLevel(logging.WARNING)
        return
    target = _devnull() if stream is None else stream
    if handler == "mozlog":
        import dockerflow.logging as dflog

        logger.addHandler(dflog.MozlogHandler(target))
    else:
        stream_handler = logging.StreamHandler(target)
        stream_handler.setFormatter(json_formatter())
        logger.addHandler(stream_handler)
    logger.setLevel(logging.INFO)


def _replace_handlers(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def _devnull() -> IO[str]:
    return open(os.devnull, "w")


def _app_from_environment() -> Any:
    kind = os.environ.get("BENCH_APP_KIND", "bare")
    if kind == "bare":
        return make_bare_app()
    if kind == "dockerflow":
        handler = os.environ.get("BENCH_SUMMARY_HANDLER", "stream")
        configure_summary_logging(True, sys.stdout, handler)
        return make_dockerflow_app()
    if kind == "dockerflow-quiet":
        configure_summary_logging(False)
        return make_dockerflow_app()
    if kind == "log-line":
        return make_log_line_app(sys.stdout)
    raise ValueError(f"unknown BENCH_APP_KIND {kind!r}")


def __getattr__(name: str) -> Any:
    # Built on first access so that importing this module never builds an app.
    if name == "app":
        app = _app_from_environment()
        globals()["app"] = app
        return app
    raise AttributeError(name)
