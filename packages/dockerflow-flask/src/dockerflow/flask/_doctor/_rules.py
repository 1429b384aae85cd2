"""The Dockerflow rules, each checked by requesting the app through its own test client.

The requests go through the app's whole WSGI stack (middleware, hooks,
extensions), so the doctor sees what a load balancer would.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from logging.handlers import BufferingHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dockerflow.checks import STATUSES
from dockerflow.logging import SUMMARY_LOGGER_NAME, new_request_id
from dockerflow.version import VERSION_KEYS

from .._extension import EXTENSION_NAME
from ._report import FAIL, PASS, DoctorReport, RuleResult

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from flask import Flask
    from flask.testing import FlaskClient

    from .._config import DockerflowConfig

__all__ = ["examine"]

#: Not a Dockerflow endpoint: summarised even when health endpoints are not.
PROBE_PATH = "/__dockerflow_doctor__"
_SHA1 = re.compile(r"[0-9a-f]{40}")
_STATUS_TEXTS = frozenset(STATUSES.values())
_DETAIL_KEYS = frozenset({"status", "level", "messages"})
_LOGGING_FIX = (
    "Configure logging before the app serves: a handler with "
    "dockerflow.logging.JsonLogFormatter on the root logger or on request.summary, and "
    "request.summary at INFO (see the logging guide)."
)


def examine(app: Flask) -> DoctorReport:
    """Check ``app`` against every rule, through ``app.test_client()``."""
    state = app.extensions.get(EXTENSION_NAME)
    if state is None:
        result = RuleResult(
            "Dockerflow",
            FAIL,
            f"the app {app.name!r} has no Dockerflow extension, so it serves none of the "
            "Dockerflow endpoints",
            "Create it with Dockerflow(app) or dockerflow.init_app(app).",
        )
        return DoctorReport((result,))
    client = app.test_client()
    return DoctorReport(
        (
            check_version(client, state),
            check_lbheartbeat(client),
            check_heartbeat(client, state.config),
            *check_request_id_and_summary(client, state.config),
        )
    )


def _get(client: FlaskClient, path: str, **headers: str) -> TestResponse | str:
    """The response, or what went wrong when the request raised (an app in testing mode)."""
    try:
        return client.get(path, headers=headers, buffered=True)
    except Exception as exc:
        return f"{path} raised {type(exc).__name__}: {exc}"


def _shown(response: TestResponse) -> str:
    return repr(response.get_data()[:80].decode("utf-8", "replace"))


def check_version(client: FlaskClient, state: Any) -> RuleResult:
    """``/__version__`` serves a version object with the four fields, as strings."""
    rule = "version.json"
    where = os.path.join(state.version_path, "version.json")
    fix = f"Write it at build time: python -m dockerflow.version --write {where}"
    response = _get(client, "/__version__")
    if isinstance(response, str):
        return RuleResult(rule, FAIL, response, fix)
    if response.status_code == 404:
        detail = (
            f"/__version__ answered 404: there is no {where} (the parent of app.root_path "
            "unless Dockerflow(version_path=...) or a version_callback says otherwise)"
        )
        return RuleResult(rule, FAIL, detail, fix)
    version = response.get_json(silent=True)
    if response.status_code != 200 or not isinstance(version, dict):
        why = _version_error(state)
        detail = f"/__version__ answered {response.status_code} {_shown(response)}{why}"
        return RuleResult(rule, FAIL, detail, fix)
    problems = _version_problems(version)
    if problems:
        return RuleResult(rule, FAIL, f"/__version__ served {version}: " + "; ".join(problems), fix)
    empty = [key for key in VERSION_KEYS if not version[key]]
    detail = ", ".join(f"{key} {version[key]!r}" for key in VERSION_KEYS if version[key])
    if empty:
        detail += f"; {', '.join(empty)} empty (fine for a local build, CI fills them)"
    return RuleResult(rule, PASS, detail)


def _version_error(state: Any) -> str:
    """Why the app cannot serve its version object, found by loading it here."""
    try:
        json.dumps(state.load_version())
    except Exception as exc:
        return f": the version object fails with {type(exc).__name__}: {exc}"
    return ""


def _version_problems(version: Mapping[str, Any]) -> list[str]:
    missing = [key for key in VERSION_KEYS if key not in version]
    if missing:
        return [f"it lacks {', '.join(missing)}"]
    not_text = [key for key in VERSION_KEYS if not isinstance(version[key], str)]
    if not_text:
        return [f"{', '.join(not_text)} must be strings"]
    problems = []
    if not _SHA1.fullmatch(version["commit"].lower()):
        problems.append(f"commit {version['commit']!r} is not a 40-character hex git SHA")
    for key in ("source", "build"):
        parts = urlsplit(version[key])
        if version[key] and not (parts.scheme in ("http", "https") and parts.hostname):
            problems.append(f"{key} {version[key]!r} is not an http(s) URL")
    return problems


def check_lbheartbeat(client: FlaskClient) -> RuleResult:
    """``/__lbheartbeat__`` answers 200."""
    rule = path = "/__lbheartbeat__"
    response = _get(client, path)
    fix = (
        "Let the extension's view answer it: no middleware, auth hook or view of the app's "
        "own in front of that path."
    )
    if isinstance(response, str):
        return RuleResult(rule, FAIL, response, fix)
    if response.status_code != 200:
        detail = f"{path} answered {response.status_code} {_shown(response)}, not 200"
        return RuleResult(rule, FAIL, detail, fix)
    return RuleResult(rule, PASS, "answered 200")


def check_heartbeat(client: FlaskClient, config: DockerflowConfig) -> RuleResult:
    """``/__heartbeat__`` answers JSON in the documented shape, with a matching status code."""
    rule = path = "/__heartbeat__"
    fix = (
        "Let the extension's view answer it: no view of the app's own at that path, and "
        "no after_request hook or middleware that rewrites its body or status."
    )
    response = _get(client, path)
    if isinstance(response, str):
        return RuleResult(rule, FAIL, response, fix)
    body: Any = response.get_json(silent=True)
    problems = _heartbeat_problems(body)
    failed_code = config.heartbeat_failed_status_code
    code = response.status_code
    if not problems and code not in (200, failed_code):
        problems = [f"the status code is neither 200 nor {failed_code}"]
    elif not problems and code != 200 and body["status"] == "ok":
        problems = ["the status is 'ok' with a failure status code"]
    if problems:
        detail = f"{path} answered {code} {_shown(response)}: " + "; ".join(problems)
        return RuleResult(rule, FAIL, detail, fix)
    detail = f"answered {code} with status {body['status']!r} and {len(body['checks'])} checks"
    not_ok = [name for name, status in body["checks"].items() if status != "ok"]
    if not_ok:
        detail += f"; not ok now: {', '.join(not_ok)} (flask dockerflow heartbeat says why)"
    return RuleResult(rule, PASS, detail)


def _heartbeat_problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = []
    if body.get("status") not in _STATUS_TEXTS:
        problems.append(f"status is {body.get('status')!r}, not one of {sorted(_STATUS_TEXTS)}")
    checks = body.get("checks")
    if not isinstance(checks, dict) or not set(checks.values()) <= _STATUS_TEXTS:
        problems.append("checks is not an object of check names to statuses")
    details = body.get("details", {})
    if not isinstance(details, dict) or any(
        not isinstance(entry, dict) or set(entry) != _DETAIL_KEYS for entry in details.values()
    ):
        problems.append("details is not an object of entries of exactly status, level and messages")
    return problems


def check_request_id_and_summary(
    client: FlaskClient, config: DockerflowConfig
) -> tuple[RuleResult, RuleResult]:
    """A request's id is echoed, and the request logs one ``request.summary`` record with it."""
    header = config.request_id_header_name
    request_id = new_request_id()
    logger = logging.getLogger(SUMMARY_LOGGER_NAME)
    had_handlers = logger.hasHandlers()
    capture = BufferingHandler(capacity=100)  # flushes (drops) nothing below that
    logger.addHandler(capture)
    try:
        response = _get(client, PROBE_PATH, **{header: request_id})
    finally:
        logger.removeHandler(capture)
    if isinstance(response, str):
        failed = RuleResult("request id", FAIL, response)
        return failed, RuleResult(SUMMARY_LOGGER_NAME, FAIL, response)
    echoed = response.headers.get(header)
    if echoed == request_id:
        id_result = RuleResult("request id", PASS, f"{header} echoed in the response")
    else:
        id_result = RuleResult(
            "request id",
            FAIL,
            f"GET {PROBE_PATH} with {header}: {request_id} answered {header}: {echoed}",
            "Let the extension's middleware wrap the app: nothing that replaces "
            "app.wsgi_app after Dockerflow(app) drops it, and no hook that rewrites the header.",
        )
    return id_result, _summary_result(logger, capture.buffer, request_id, had_handlers)


def _summary_result(
    logger: logging.Logger, records: list[logging.LogRecord], request_id: str, had_handlers: bool
) -> RuleResult:
    rule = SUMMARY_LOGGER_NAME
    if logger.disabled:
        return RuleResult(rule, FAIL, "the logger is disabled (by dictConfig?)", _LOGGING_FIX)
    if not logger.isEnabledFor(logging.INFO):
        level = logging.getLevelName(logger.getEffectiveLevel())
        return RuleResult(rule, FAIL, f"the logger's effective level is {level}", _LOGGING_FIX)
    if not had_handlers:
        return RuleResult(rule, FAIL, "no handler writes its records", _LOGGING_FIX)
    mine = [record for record in records if getattr(record, "rid", None) == request_id]
    if len(mine) != 1 or mine[0].levelno != logging.INFO:
        detail = f"GET {PROBE_PATH} logged {len(mine)} records with its id at INFO, not one"
        return RuleResult(rule, FAIL, detail, "Do not filter request.summary records out.")
    return RuleResult(rule, PASS, "one record at INFO per request, with its request id")
