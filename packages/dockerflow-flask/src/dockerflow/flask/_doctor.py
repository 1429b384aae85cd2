"""The Dockerflow rules ``flask dockerflow doctor`` checks an app against.

:func:`examine` runs them all on a real app and returns a
:class:`~dockerflow.flask._doctor_report.DoctorReport`. The endpoints are
requested through the app's own WSGI stack (``app.test_client()``), each in a
thread the doctor stops waiting for after the check timeout plus a second, so
a hanging app cannot hang a build.

The extension is reached only through ``app.extensions["dockerflow"]``:
``load_version()``, ``version_path`` and ``config``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dockerflow.checks import STATUSES
from dockerflow.version import VersionFileError

from ._doctor_backends import RedisClient, find_redis_clients, watch_backends
from ._doctor_logging import SUMMARY_LOGGER_NAME, route_summary
from ._doctor_report import FAIL, PASS, DoctorReport, RuleResult
from ._doctor_servers import check_port

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["GRACE_SECONDS", "examine"]

#: How much longer than ``DOCKERFLOW_CHECK_TIMEOUT`` an endpoint may take to answer.
GRACE_SECONDS = 1.0
VERSION_FIELDS = ("source", "version", "commit", "build")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_LEVELS = {text: level for level, text in STATUSES.items()}


def examine(
    app: Flask,
    *,
    redis_clients: Iterable[RedisClient] = (),
    gunicorn_config: Path | None = None,
    uwsgi_config: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> DoctorReport:
    """Check ``app`` against every rule.

    ``redis_clients`` are watched during ``/__lbheartbeat__`` besides those
    found in ``app.extensions`` (SQLAlchemy engines are all watched anyway).
    The server configuration files default to ``gunicorn.conf.py`` and
    ``uwsgi.ini`` in the current directory, then in the parent of
    ``app.root_path``; ``environ`` (default ``os.environ``) gives
    ``GUNICORN_CMD_ARGS`` and the variables the configurations read.
    """
    state = app.extensions.get("dockerflow")
    if state is None:
        result = RuleResult(
            "Dockerflow",
            FAIL,
            f"the app {app.name!r} has no Dockerflow extension, so it serves none of the "
            "Dockerflow endpoints",
            "Create it with Dockerflow(app) or dockerflow.init_app(app).",
        )
        return DoctorReport((result,))
    found = find_redis_clients(app.extensions, state.registry.get_checks())
    clients = _unique([*found, *redis_clients])
    search_dirs = _unique_paths([Path.cwd(), Path(app.root_path).parent])
    return DoctorReport(
        (
            check_version(state),
            check_lbheartbeat(app, state, clients),
            check_heartbeat(app, state),
            check_summary_logging(),
            check_port(
                gunicorn_config=gunicorn_config,
                uwsgi_config=uwsgi_config,
                search_dirs=search_dirs,
                environ=os.environ if environ is None else environ,
            ),
        )
    )


def _unique(clients: list[RedisClient]) -> list[RedisClient]:
    seen: set[int] = set()
    unique = []
    for client in clients:
        if id(client.client.connection_pool) not in seen:
            seen.add(id(client.client.connection_pool))
            unique.append(client)
    return unique


def _unique_paths(paths: list[Path]) -> list[Path]:
    return list(dict.fromkeys(path.resolve() for path in paths))


# version.json ---------------------------------------------------------------


def check_version(state: Any) -> RuleResult:
    """``version.json`` is where the app looks, with plausible values for the four fields."""
    rule = "version.json"
    where = os.path.join(state.version_path, "version.json")
    write = f"Write it at build time: flask dockerflow version --write {where}"
    try:
        version = state.load_version()
    except VersionFileError as exc:
        return RuleResult(rule, FAIL, f"the app cannot read its version object: {exc}", write)
    if version is None:
        return RuleResult(
            rule,
            FAIL,
            f"the app serves no version object: there is no {where} (the version path is "
            "the parent of app.root_path unless Dockerflow(version_path=...) or a "
            "version_callback says otherwise), so /__version__ answers 404",
            write,
        )
    problems = [problem for problem in _version_problems(version) if problem]
    if problems:
        fix = (
            f"Build it from the CI's facts: flask dockerflow version --write {where} picks up "
            "the commit, tag, repository and build URL of GitHub Actions, CircleCI, GitLab "
            "CI or Taskcluster, or take --commit, --version, --source and --build."
        )
        return RuleResult(rule, FAIL, f"{where}: " + "; ".join(problems), fix)
    release = f"version {version['version']!r}" if version["version"] else "no release version"
    return RuleResult(
        rule, PASS, f"commit {version['commit']}, {release}, source {version['source']}"
    )


def _version_problems(version: Mapping[str, Any]) -> list[str | None]:
    missing = [name for name in VERSION_FIELDS if name not in version]
    if missing:
        return [f"the version object lacks {', '.join(missing)}"]
    not_text = [name for name in VERSION_FIELDS if not isinstance(version[name], str)]
    if not_text:
        return [f"{', '.join(not_text)} must be strings"]
    commit = version["commit"]
    return [
        None
        if _SHA1.fullmatch(commit.lower())
        else f"commit {commit!r} is not a 40-character hex git SHA (git rev-parse HEAD)",
        _url_problem("source", version["source"], "the repository's URL"),
        _url_problem("build", version["build"], "the URL of the CI job that built the image"),
    ]


def _url_problem(name: str, value: str, meaning: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    shown = f"{value!r}" if value else "empty"
    return f"{name} is {shown}, not an http(s) URL: it should be {meaning}"


# the endpoints --------------------------------------------------------------


@dataclass
class _Answer:
    status: int = 0
    body: bytes = b""
    error: BaseException | None = None
    seconds: float = 0.0
    finished: bool = False


def _get(app: Flask, path: str, wait: float) -> _Answer:
    """GET ``path`` through the app in a daemon thread, waiting at most ``wait`` seconds."""
    answer = _Answer()

    def request() -> None:
        started = time.monotonic()
        try:
            response = app.test_client().get(path)
            answer.body = response.get_data()
            answer.status = response.status_code
        except BaseException as exc:  # reported as the rule's result
            answer.error = exc
        answer.seconds = time.monotonic() - started
        answer.finished = True

    thread = threading.Thread(target=request, name=f"dockerflow doctor {path}", daemon=True)
    thread.start()
    thread.join(wait)
    return answer


def _unanswered(rule: str, path: str, answer: _Answer, wait: float, state: Any) -> RuleResult:
    if not answer.finished:
        return RuleResult(
            rule,
            FAIL,
            f"{path} gave no answer within {wait:.1f} s (DOCKERFLOW_CHECK_TIMEOUT "
            f"{state.config.check_timeout:g} s + {GRACE_SECONDS:g} s)",
            "Find what blocks the request before the extension answers it (a before_request "
            "hook, a middleware), or a view of the app's own at that path.",
        )
    assert answer.error is not None
    return RuleResult(
        rule,
        FAIL,
        f"{path} raised {type(answer.error).__name__}: {answer.error}",
        "Run the app with the same settings and request the path to see the traceback.",
    )


def check_lbheartbeat(app: Flask, state: Any, redis_clients: list[RedisClient]) -> RuleResult:
    """``/__lbheartbeat__`` answers 200 without touching a backing service."""
    rule = path = "/__lbheartbeat__"
    wait = state.config.check_timeout + GRACE_SECONDS
    with watch_backends(redis_clients) as use:
        answer = _get(app, path, wait)
    watched = ", ".join(use.watched) or "nothing (neither SQLAlchemy nor a redis client found)"
    if not answer.finished or answer.error is not None:
        return _unanswered(rule, path, answer, wait, state)
    if use.uses:
        touched = "; ".join(dict.fromkeys(use.uses))
        return RuleResult(
            rule,
            FAIL,
            f"{path} used a backing service: it {touched}",
            "The load balancer polls /__lbheartbeat__ to know the process is up; it must "
            "not depend on a database or cache. Find the before_request hook, middleware or "
            "view that runs for it (database-backed sessions and user loading are usual "
            "suspects) and skip it for the Dockerflow endpoints.",
        )
    if answer.status != 200:
        return RuleResult(
            rule,
            FAIL,
            f"{path} answered {answer.status}, not 200",
            "Let the extension's view answer it: no middleware, auth or view of the app's "
            "own in front of that path.",
        )
    return RuleResult(
        rule,
        PASS,
        f"answered 200 in {answer.seconds * 1000:.0f} ms and touched no backing service "
        f"(watched: {watched})",
    )


def check_heartbeat(app: Flask, state: Any) -> RuleResult:
    """``/__heartbeat__`` answers in the documented shape within the check timeout."""
    rule = path = "/__heartbeat__"
    config = state.config
    wait = config.check_timeout + GRACE_SECONDS
    answer = _get(app, path, wait)
    if not answer.finished or answer.error is not None:
        return _unanswered(rule, path, answer, wait, state)
    fix = (
        "Let the extension's view answer it: no view of the app's own at that path, and "
        "no after_request hook or middleware that rewrites its body or status."
    )
    try:
        body = json.loads(answer.body)
    except ValueError:
        shown = answer.body[:60].decode("utf-8", "replace")
        return RuleResult(rule, FAIL, f"{path} answered {answer.status} {shown!r}, not JSON", fix)
    problems = _heartbeat_shape_problems(body, details_expected=config.heartbeat_details)
    fail_level = config.heartbeat_fail_level
    if not problems:
        passed = _LEVELS[body["status"]] < fail_level
        expected = 200 if passed else config.heartbeat_failed_status_code
        if answer.status != expected:
            problems.append(f"status {body['status']!r} came with {answer.status}, not {expected}")
    if problems:
        detail = f"{path} answered {answer.status}: " + "; ".join(problems)
        return RuleResult(rule, FAIL, detail, fix)
    checks = body["checks"]
    failing = [name for name, status in checks.items() if _LEVELS[status] >= fail_level]
    summary = (
        f"answered {answer.status} in {answer.seconds * 1000:.0f} ms with status "
        f"{body['status']!r} and {len(body['checks'])} checks, in the documented shape"
    )
    if failing:
        summary += (
            f"; failing now: {', '.join(failing)} (the endpoint reports it correctly; "
            "flask dockerflow heartbeat shows why)"
        )
    return RuleResult(rule, PASS, summary)


def _heartbeat_shape_problems(body: Any, *, details_expected: bool) -> list[str]:
    if not isinstance(body, dict):
        return [f"the body is a JSON {type(body).__name__}, not an object"]
    problems = []
    statuses = ", ".join(repr(text) for text in _LEVELS)
    if body.get("status") not in _LEVELS:
        problems.append(f"status is {body.get('status')!r}, not one of {statuses}")
    checks = body.get("checks")
    if not isinstance(checks, dict):
        problems.append("checks is missing or not an object")
    else:
        wrong = [name for name, status in checks.items() if status not in _LEVELS]
        if wrong:
            problems.append(f"checks {', '.join(wrong)} have no valid status")
    if "details" not in body:
        if details_expected:
            problems.append("details is missing (DOCKERFLOW_HEARTBEAT_DETAILS is on)")
        return problems
    details = body["details"]
    if not isinstance(details, dict):
        return [*problems, "details is not an object"]
    for name, detail in details.items():
        if not (
            isinstance(detail, dict)
            and detail.get("status") in _LEVELS
            and isinstance(detail.get("level"), int)
            and isinstance(detail.get("messages"), dict)
        ):
            problems.append(f"details of {name!r} lack status, level or messages")
    return problems


# request.summary --------------------------------------------------------------


def check_summary_logging() -> RuleResult:
    """``request.summary`` reaches a mozlog JSON handler, and no other on the console."""
    rule = SUMMARY_LOGGER_NAME
    fix = (
        "Configure logging before the app serves: a StreamHandler on sys.stdout with "
        "dockerflow.logging.JsonLogFormatter, on the root logger or on request.summary, "
        "with request.summary at INFO (see the logging guide's dictConfig)."
    )
    route = route_summary()
    if route.blocked is not None:
        return RuleResult(rule, FAIL, f"no request.summary record is written: {route.blocked}", fix)
    mozlog = [verdict for verdict in route.verdicts if verdict.problem is None]
    mixed = [verdict for verdict in route.verdicts if verdict.problem and verdict.to_console]
    others = [verdict for verdict in route.verdicts if verdict.problem and not verdict.to_console]
    passed_by = f"; it passes by {', '.join(route.dropped)}" if route.dropped else ""
    if not route.verdicts:
        return RuleResult(rule, FAIL, f"the record reaches no handler{passed_by}", fix)
    if not mozlog or mixed:
        wrong_ones = mixed if mozlog else [verdict for verdict in route.verdicts if verdict.problem]
        wrong = "; ".join(f"{verdict.handler}: {verdict.problem}" for verdict in wrong_ones)
        return RuleResult(rule, FAIL, f"the record reaches {wrong}{passed_by}", fix)
    writers = ", ".join(verdict.handler for verdict in mozlog)
    detail = f"the record reaches {writers}, writing mozlog JSON{passed_by}"
    if others:
        detail += "; also " + "; ".join(f"{item.handler} ({item.problem})" for item in others)
    return RuleResult(rule, PASS, detail)
