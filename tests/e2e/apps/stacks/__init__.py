"""A Flask app in the WSGI stack real services build, for the e2e tests.

Inside the extension's wrapper, as a service installs them before
``Dockerflow(app)``: ``ProxyFix`` (one trusted proxy) and a
``DispatcherMiddleware`` mounting a plain WSGI app at ``/metrics`` and a
second Flask app with its own ``Dockerflow`` at ``/inner``. ``/stream``
streams its body with ``stream_with_context`` and logs from inside it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from e2e_logging import configure_logging
from flask import Flask, Response, g, request, stream_with_context
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from dockerflow.flask import Dockerflow

configure_logging()
log = logging.getLogger("e2e.stacks")


def metrics(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI app that is not Flask: the extension still logs its requests."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"metrics at {environ['SCRIPT_NAME']}{environ['PATH_INFO']}".encode()]


inner = Flask("e2e_stacks_inner")
Dockerflow(inner)


@inner.route("/where")
def where() -> dict[str, Any]:
    log.info("inner view")
    return {"request_id": g.request_id, "remote_addr": request.remote_addr}


app = Flask(__name__)
app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
    ProxyFix(app.wsgi_app, x_for=1), {"/metrics": metrics, "/inner": inner}
)
Dockerflow(app)


@app.teardown_request
def teardown(exc: BaseException | None) -> None:
    log.info("teardown")


@app.route("/stream")
def stream() -> Response:
    def chunks() -> Iterator[str]:
        for number in range(3):
            log.info("chunk %d", number)
            yield f"{number}\n"

    return Response(stream_with_context(chunks()), mimetype="text/plain")


@app.route("/who")
def who() -> dict[str, Any]:
    return {"remote_addr": request.remote_addr}
