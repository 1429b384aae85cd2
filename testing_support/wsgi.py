"""Calling a WSGI app in-process, without a server or werkzeug's test client."""

from __future__ import annotations

import io
import sys
from typing import Any


def wsgi_environ(
    path: str = "/", method: str = "GET", headers: dict[str, str] | None = None, query: str = ""
) -> dict[str, Any]:
    """A minimal WSGI environ, cheaper to build than werkzeug's test client.

    Text beyond latin-1 is sent as its UTF-8 bytes, as a server would.
    """
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": as_wsgi_text(path),
        "QUERY_STRING": as_wsgi_text(query),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = as_wsgi_text(value)
    return environ


def as_wsgi_text(text: str) -> str:
    """``text`` as a WSGI server hands it over: raw bytes decoded as latin-1."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("latin-1")
    return text


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Call a WSGI app once: status code, headers, body."""
    status, headers, body = call_wsgi_for_status_line(app, environ)
    return int(status.split(" ", 1)[0]), headers, body


def call_wsgi_for_status_line(
    app: Any, environ: dict[str, Any]
) -> tuple[str, dict[str, str], bytes]:
    """Call a WSGI app once as a server does (iterate the body, then close it):
    the status line (``"200 OK"``), headers, body."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"] = status
        answer["headers"] = dict(headers)
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], body
