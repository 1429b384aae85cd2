"""One side of ``bench/requests.py``: times WSGI calls in this environment.

Started by ``bench/requests.py`` once per environment (ours in ``bench``,
python-dockerflow in ``bench-upstream``). It prints one JSON line describing
itself, then answers each JSON command line on stdin
(``{"variant": ..., "iterations": N}``) with one JSON line
(``{"us_per_request": ...}``). It never runs alone in a loop: an empty line or
end of input stops it.
"""

from __future__ import annotations

import gc
import importlib.metadata
import io
import json
import os
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps"))

import request_apps
from werkzeug.test import EnvironBuilder

REQUEST_ID = "4f6ad9a6-6b5e-4a36-9f6e-0c9a7d1c2b3e"

# variant -> (app kind, path, request.summary logging: "off" or one of
# request_apps.SUMMARY_HANDLERS); a path ending in "+rid" is requested with an
# X-Request-ID header (as behind a load balancer that sets one).
VARIANTS: dict[str, tuple[str, str, str]] = {
    "bare": ("bare", "/hello", "off"),
    "log_line": ("log-line", "/hello", "off"),
    "route_json": ("dockerflow", "/hello", "stream"),
    "route_json_rid": ("dockerflow", "/hello+rid", "stream"),
    "route_mozlog": ("dockerflow", "/hello", "mozlog"),
    "route_off": ("dockerflow", "/hello", "off"),
    "lbheartbeat_off": ("dockerflow", "/__lbheartbeat__", "off"),
    "version_off": ("dockerflow", "/__version__", "off"),
    "lbheartbeat_json": ("dockerflow", "/__lbheartbeat__", "stream"),
    "version_json": ("dockerflow", "/__version__", "stream"),
}


def _start_response(status: str, headers: list[Any], exc_info: Any = None) -> Callable[..., Any]:
    return _write


def _write(data: bytes) -> None:
    pass


def _build_environ(path: str) -> dict[str, Any]:
    headers = {"User-Agent": "bench/1.0", "Accept-Language": "en-US"}
    if path.endswith("+rid"):
        path = path[: -len("+rid")]
        headers["X-Request-ID"] = REQUEST_ID
    builder = EnvironBuilder(
        path=path,
        method="GET",
        headers=headers,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


class Side:
    """The apps of this environment and a timer over their ``wsgi_app``."""

    def __init__(self) -> None:
        self.apps = {
            "bare": request_apps.make_bare_app(),
            "log-line": request_apps.make_log_line_app(),
            "dockerflow": request_apps.make_dockerflow_app(),
        }
        self.environs = {path: _build_environ(path) for _, path, _ in VARIANTS.values()}
        self.summary_logging: str | None = None

    def _set_logging(self, mode: str) -> None:
        if mode != self.summary_logging:
            if mode == "off":
                request_apps.configure_summary_logging(False)
            else:
                request_apps.configure_summary_logging(True, handler=mode)
            self.summary_logging = mode

    def check(self, variant: str) -> None:
        """Fail loudly when a variant does not answer what it should."""
        kind, path, summary_logging = VARIANTS[variant]
        self._set_logging(summary_logging)
        statuses: list[str] = []

        def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            statuses.append(status)
            return _write

        body = self.apps[kind].wsgi_app(dict(self.environs[path]), start_response)
        try:
            data = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        if not statuses or not statuses[0].startswith("200"):
            raise SystemExit(f"{variant}: status {statuses}")
        if path == "/__version__":
            with open(os.path.join(request_apps.APPS_DIR, "version.json")) as file:
                if json.loads(data) != json.load(file):
                    raise SystemExit(f"{variant}: wrong /__version__ body {data!r}")
        if path.startswith("/hello") and data.decode() != request_apps.HELLO_BODY:
            raise SystemExit(f"{variant}: wrong body {data!r}")

    def time(self, variant: str, iterations: int) -> float:
        """Microseconds per request over ``iterations`` calls of one variant."""
        kind, path, summary_logging = VARIANTS[variant]
        self._set_logging(summary_logging)
        wsgi_app = self.apps[kind].wsgi_app
        environ = self.environs[path]
        start_response = _start_response
        gc.collect()
        started = time.perf_counter_ns()
        for _ in range(iterations):
            body = wsgi_app(environ.copy(), start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        elapsed = time.perf_counter_ns() - started
        return elapsed / iterations / 1000.0


def _describe() -> dict[str, Any]:
    return {
        "implementation": request_apps.implementation(),
        "python": sys.version.split()[0],
        "flask": importlib.metadata.version("flask"),
        "werkzeug": importlib.metadata.version("werkzeug"),
        "dockerflow": _dockerflow_version(),
    }


def _dockerflow_version() -> str:
    for name in ("dockerflow", "dockerflow-flask"):
        try:
            return f"{name} {importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def main(stdin: io.TextIOBase, stdout: io.TextIOBase) -> None:
    side = Side()
    for variant in VARIANTS:
        side.check(variant)
        side.time(variant, 200)  # warm-up
    stdout.write(json.dumps(_describe()) + "\n")
    stdout.flush()
    for line in stdin:
        if not line.strip():
            break
        command = json.loads(line)
        result = {"us_per_request": side.time(command["variant"], int(command["iterations"]))}
        stdout.write(json.dumps(result) + "\n")
        stdout.flush()


if __name__ == "__main__":
    main(sys.stdin, sys.stdout)  # type: ignore[arg-type]
