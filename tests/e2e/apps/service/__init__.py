"""The Flask service the end-to-end tests run under a real gunicorn.

It is set up as a user would: logging through ``dictConfig`` with the mozlog
JSON formatter on stdout (``request.summary`` and the app's own logs), the
``Dockerflow`` extension with one custom check, and ``version.json`` in the
default place, the parent directory of this package.

Environment switches (set by the test that starts gunicorn):
``E2E_HEARTBEAT_FAIL=1`` makes the custom check report an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any, Callable

from e2e_logging import configure_logging
from flask import Flask, g

from dockerflow.checks import Error, Warning
from dockerflow.flask import Dockerflow

configure_logging()

app_logger = logging.getLogger("e2e.service")
middleware_logger = logging.getLogger("e2e.middleware")


class LogBeforeFlask:
    """WSGI middleware logging one line before the extension sees the request.

    The line's ``rid`` shows what the request id context holds between two
    requests on a worker: nothing, as the extension sets it only in the
    request's own context.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        middleware_logger.info("before flask", extra={"path": environ.get("PATH_INFO")})
        return self.wsgi_app(environ, start_response)


app = Flask(__name__)
app.config["DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"] = True
dockerflow = Dockerflow(app)
# Outside the extension's own wrapper, so it logs before the id is set.
app.wsgi_app = LogBeforeFlask(app.wsgi_app)  # type: ignore[method-assign]


@dockerflow.check
def e2e_backend() -> list[Any]:
    """Fails when the test asked for a failing heartbeat."""
    if os.environ.get("E2E_HEARTBEAT_FAIL") == "1":
        return [Error("e2e backend is down", id="e2e.E001")]
    return []


@dockerflow.check(name="e2e_cache")
def cache_is_cold() -> list[Any]:
    """Always a warning: below the default fail level, it never fails the heartbeat."""
    return [Warning("e2e cache is cold", id="e2e.W001")]


@app.route("/hello")
def hello() -> dict[str, Any]:
    app_logger.info("hello handled")
    return {"hello": "world", "request_id": g.request_id}


@app.route("/boom")
def boom() -> str:
    raise RuntimeError("e2e boom")
