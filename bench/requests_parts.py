"""The cost of the pieces a request goes through in a Dockerflow extension.

Run from the repository root::

    hatch run bench:python bench/requests_parts.py

Complements ``bench/requests.py`` (whole requests) and
``bench/requests_profile.py`` (cProfile). A piece timed alone in a loop looks
cheaper than it is inside a request (caches are warm), so each piece here runs
as a hook of a bare Flask app, and its cost is that app's request time minus
the same app with a no-op hook in the same place (best of 9 repetitions).
The pieces are those any implementation of the contract has to do (read or
make the id, publish it, echo it, build and log the summary), each done the
plain way, to tell which part of the extension's cost is worth working on.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import timeit
import uuid
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps"))

import request_apps
from flask import Flask, Response, g, request
from werkzeug.test import EnvironBuilder

from dockerflow.logging import (
    JsonLogFormatter,
    get_or_generate_request_id,
    request_id_context,
)

ITERATIONS = 3000


def request_us(app: Flask, environ: dict[str, Any]) -> float:
    """Best time of one request through ``app.wsgi_app``, in microseconds."""
    wsgi_app = app.wsgi_app

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        return None

    def call() -> None:
        body = wsgi_app(environ.copy(), start_response)
        for _ in body:
            pass
        body.close()  # type: ignore[attr-defined]

    return min(timeit.repeat(call, number=ITERATIONS, repeat=9)) / ITERATIONS * 1e6


def summary_logger() -> logging.Logger:
    logger = logging.getLogger("bench.parts.summary")
    logger.propagate = False
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(JsonLogFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


def summary_fields() -> dict[str, Any]:
    environ = request.environ
    return {
        "errno": 0,
        "agent": environ.get("HTTP_USER_AGENT", ""),
        "lang": environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        "method": request.method,
        "path": request.path,
        "code": 200,
        "remoteAddressChain": [environ.get("REMOTE_ADDR", "")],
        "rid": "4f6ad9a6-6b5e-4a36-9f6e-0c9a7d1c2b3e",
        "t": 0,
        "uid": "",
    }


def main() -> None:
    environ = EnvironBuilder(
        path="/hello",
        headers={"User-Agent": "bench/1.0", "Accept-Language": "en-US"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    ).get_environ()
    logger = summary_logger()

    before: dict[str, Callable[[], object]] = {
        "get_or_generate_request_id(request.headers), header absent": lambda: (
            get_or_generate_request_id(request.headers, "X-Request-ID")
        ),
        "str(uuid.uuid4())": lambda: str(uuid.uuid4()),
        "request.environ.get('HTTP_X_REQUEST_ID') or str(uuid.uuid4())": lambda: (
            request.environ.get("HTTP_X_REQUEST_ID") or str(uuid.uuid4())
        ),
        "request_id_context.set + reset": lambda: request_id_context.reset(
            request_id_context.set("x")
        ),
        "'request_id' in g, then g.request_id = ...": lambda: (
            "request_id" in g or setattr(g, "request_id", "x")
        ),
        "time.perf_counter()": time.perf_counter,
        "build the 10 summary fields from request": summary_fields,
    }
    after: dict[str, Callable[[Response], object]] = {
        "response.headers['X-Request-ID'] = rid": lambda response: response.headers.__setitem__(
            "X-Request-ID", "4f6ad9a6-6b5e-4a36-9f6e-0c9a7d1c2b3e"
        ),
        "logger.info('', extra=fields), JSON to /dev/null": lambda response: logger.info(
            "", extra=summary_fields()
        ),
        "logger.handle(logger.makeRecord(...)) (no findCaller)": lambda response: logger.handle(
            logger.makeRecord(
                logger.name,
                logging.INFO,
                "(unknown file)",
                0,
                "",
                (),
                None,
                extra=summary_fields(),
            )
        ),
    }

    def app_with(before_hook: Callable[[], object] | None, after_hook: Any = None) -> Flask:
        app = request_apps.make_bare_app()
        if before_hook is not None:

            def run_before() -> None:
                before_hook()

            app.before_request(run_before)
        if after_hook is not None:

            def run_after(response: Response) -> Response:
                after_hook(response)
                return response

            app.after_request(run_after)
        return app

    floor = request_us(app_with(None), environ)
    print(f"bare Flask request: {floor:.2f} us")
    ours = request_apps.make_dockerflow_app()
    for logging_on in (True, False):
        request_apps.configure_summary_logging(logging_on)
        state = "JSON to /dev/null" if logging_on else "off"
        print(f"  ours, request.summary {state}: {request_us(ours, environ) - floor:+.2f} us")
    hooks_floor = request_us(app_with(lambda: None, lambda response: None), environ)
    print(f"  + a no-op before_request and after_request: {hooks_floor - floor:+.2f} us\n")
    noop_before = request_us(app_with(lambda: None), environ)
    noop_after = request_us(app_with(None, lambda response: None), environ)
    rows = [
        (label, request_us(app_with(hook), environ) - noop_before) for label, hook in before.items()
    ]
    rows += [
        (label, request_us(app_with(None, hook), environ) - noop_after)
        for label, hook in after.items()
    ]
    width = max(len(label) for label, _ in rows)
    print(f"{'piece (inside a request)':<{width}}  us/request")
    for label, value in rows:
        print(f"{label:<{width}}  {value:+7.2f}")


if __name__ == "__main__":
    main()
