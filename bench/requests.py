"""Per-request cost through app.wsgi_app.

    hatch run bench:requests [--repetitions 9] [--iterations 3000]

Microseconds per request through ``app.wsgi_app`` (a prebuilt environ, a
no-op ``start_response``, the body consumed) of the apps in
``bench/apps/request_apps.py``, each side in its own process: a bare Flask
route (the floor); the same route writing one constant line per request
through a ``StreamHandler`` (the floor of logging); the route with the
extension and its ``request.summary`` as mozlog JSON; ``/__lbheartbeat__``
and ``/__version__`` with the summary off. Log lines go to /dev/null.
"Added" is a variant minus the bare route of the same process. Medians of
``--repetitions`` interleaved repetitions of ``--iterations`` requests.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any, Callable

import _runner

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps"))

LABELS = {
    "bare": "bare Flask route (floor)",
    "log_line": "bare route + one constant log line (floor of logging)",
    "route_json": "route, JSON request.summary",
    "lbheartbeat_off": "/__lbheartbeat__, summary off",
    "version_off": "/__version__, summary off",
}


def _start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
    if not status.startswith("200"):
        raise SystemExit(f"the benchmark's request answered {status}")
    return lambda data: None


def _request(app: Any, path: str, summary: IO[str] | None) -> _runner.Setup:
    """A variant: ``GET path`` on ``app``, ``request.summary`` to ``summary`` (None: off)."""
    import request_apps
    from werkzeug.test import EnvironBuilder

    headers = {"User-Agent": "bench/1.0", "Accept-Language": "en-US"}
    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"

    def call() -> None:
        body = app.wsgi_app(environ.copy(), _start_response)
        for _chunk in body:
            pass
        getattr(body, "close", lambda: None)()

    def setup() -> Callable[[], None]:
        request_apps.configure_summary_logging(summary)
        return call

    return setup


def variants() -> dict[str, _runner.Setup]:
    import request_apps

    devnull = open(os.devnull, "w")  # noqa: SIM115 (open while the worker lives)
    app = request_apps.make_dockerflow_app()
    return {
        "bare": _request(request_apps.make_bare_app(), "/hello", None),
        "log_line": _request(request_apps.make_log_line_app(devnull), "/hello", None),
        "route_json": _request(app, "/hello", devnull),
        "lbheartbeat_off": _request(app, "/__lbheartbeat__", None),
        "version_off": _request(app, "/__version__", None),
    }


def main() -> None:
    args = _runner.arguments(__doc__, repetitions=9, iterations=3000)
    if args.worker:
        _runner.serve(variants())
        return
    with _runner.workers(__file__) as sides:
        samples = _runner.interleave(_runner.timings(sides, args.iterations, 200), args.repetitions)
    us = {key: value * 1e6 for key, value in _runner.medians(samples).items()}
    added = {(side, variant): value - us[side, "bare"] for (side, variant), value in us.items()}
    ours, theirs = _runner.OURS, _runner.UPSTREAM

    def row(variant: str) -> list[str]:
        mine, their = added[ours, variant], added[theirs, variant]
        ratio = (
            f"{mine / their:.2f}" if mine > 0 and their > 0 else ""
        )  # noise can make either <= 0
        return [LABELS[variant], f"{us[ours, variant]:.1f}", f"{mine:+.1f}",
                f"{us[theirs, variant]:.1f}", f"{their:+.1f}", ratio]  # fmt: skip

    header = ["request", "ours µs", "ours added", "python-dockerflow µs", "theirs added"]
    beyond = {side: added[side, "route_json"] - added[side, "log_line"] for side in (ours, theirs)}
    lines = [
        *_runner.table([*header, "ours / theirs added"], [row(variant) for variant in LABELS]),
        "",
        f"- Beyond the floor of logging, the JSON summary adds {beyond[ours]:.1f} µs (ours) and "
        f"{beyond[theirs]:.1f} µs (python-dockerflow).",
        _runner.spread(samples),
    ]
    bars = [("floor of logging", added[ours, "log_line"], _runner.FLOOR)]
    for variant in ("route_json", "lbheartbeat_off", "version_off"):
        bars += [
            (f"{LABELS[variant]}: {side}", added[side, variant], side) for side in (ours, theirs)
        ]
    described = {side: worker.description["versions"] for side, worker in sides.items()}
    _runner.write_page("requests", __doc__, args, described, lines, bars, "µs over a bare route")


if __name__ == "__main__":
    main()
