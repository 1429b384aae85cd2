"""The ``DOCKERFLOW_*`` settings: defaults, validation and the per-app snapshot.

The extension reads only ``app.config``, once, in ``init_app``: set these keys
before calling ``Dockerflow(app)`` or ``init_app(app)``. A bad value raises
:class:`DockerflowConfigError` there, never at the first request.

``DOCKERFLOW_HEARTBEAT_FAIL_LEVEL`` (default ``"ERROR"``)
    The lowest check level that fails the heartbeat: ``DEBUG``, ``INFO``,
    ``WARNING``, ``ERROR`` or ``CRITICAL`` (any case), or its number.
``DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE`` (default ``500``)
    The status of a failed heartbeat, from 400 to 599.
``DOCKERFLOW_CHECK_TIMEOUT`` (default ``3.0``)
    Seconds one check may run before it counts as an error (finite, above 0).
``DOCKERFLOW_HEARTBEAT_CACHE_TTL`` (default ``0``)
    Seconds one run of the checks answers heartbeats; concurrent heartbeats
    share a run. 0 runs the checks for every request.
``DOCKERFLOW_HEARTBEAT_DETAILS`` (default ``True``)
    Include ``details`` (check messages) in the heartbeat body; False keeps
    ``status`` and ``checks`` only, for heartbeats reachable by the public.
``DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN`` (default ``None``)
    With details off, a request sending ``Authorization: Bearer <token>`` with
    this token (16 to 256 printable ASCII characters) still gets them.
``DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS`` (default ``()``)
    With details off, requests whose peer address (``REMOTE_ADDR``) is in one
    of these networks (CIDR strings, a list or one comma-separated string)
    still get them. Setting this or the token while details are on is an error.
``DOCKERFLOW_ENABLE_ERROR_ENDPOINT`` (default ``True``)
    Serve ``/__error__``; False leaves it unrouted (404).
``DOCKERFLOW_REQUEST_ID_HEADER_NAME`` (default ``"X-Request-ID"``)
    The header the request id is read from and echoed in.
``DOCKERFLOW_SUMMARY_LOG_QUERYSTRING`` (default ``False``)
    Add the percent-decoded ``querystring`` to ``request.summary`` records.
``DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS`` (default ``True``)
    Write ``request.summary`` records for ``/__version__``, ``/__heartbeat__``
    and ``/__lbheartbeat__``; False keeps load balancer polling out of the logs.

Booleans accept ``True``/``False``, ``0``/``1`` and the strings ``true``,
``false``, ``yes``, ``no``, ``on``, ``off``, ``1``, ``0`` (any case), so values
read from the environment with ``os.environ`` work as well as those from
``app.config.from_prefixed_env()``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from dockerflow.checks import CRITICAL, DEBUG, DEFAULT_CHECK_TIMEOUT, ERROR, INFO, WARNING

from ._details import DetailsAccess, IPNetwork

__all__ = ["DEFAULTS", "DockerflowConfig", "DockerflowConfigError", "read_config"]

DEFAULTS: Mapping[str, Any] = {
    "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "ERROR",
    "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": 500,
    "DOCKERFLOW_CHECK_TIMEOUT": DEFAULT_CHECK_TIMEOUT,
    "DOCKERFLOW_HEARTBEAT_CACHE_TTL": 0,
    "DOCKERFLOW_HEARTBEAT_DETAILS": True,
    "DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": None,
    "DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": (),
    "DOCKERFLOW_ENABLE_ERROR_ENDPOINT": True,
    "DOCKERFLOW_REQUEST_ID_HEADER_NAME": "X-Request-ID",
    "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": False,
    "DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS": True,
}

LEVELS_BY_NAME: Mapping[str, int] = {
    "DEBUG": DEBUG,
    "INFO": INFO,
    "WARNING": WARNING,
    "ERROR": ERROR,
    "CRITICAL": CRITICAL,
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# RFC 9110 token characters: what a header field name may contain.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII without space: what fits in an Authorization header as is.
_TOKEN = re.compile(r"[!-~]{16,256}")


class DockerflowConfigError(ValueError):
    """A ``DOCKERFLOW_*`` setting has a value the extension cannot use."""


@dataclass(frozen=True)
class DockerflowConfig:
    """The validated settings of one app, read once at ``init_app``."""

    heartbeat_fail_level: int
    heartbeat_failed_status_code: int
    check_timeout: float
    heartbeat_cache_ttl: float
    heartbeat_details: bool
    heartbeat_details_access: DetailsAccess
    """Who sees ``details``: everyone when ``heartbeat_details``, else token/networks."""
    enable_error_endpoint: bool
    request_id_header_name: str
    summary_log_querystring: bool
    summary_log_health_endpoints: bool


def read_config(config: MutableMapping[str, Any]) -> DockerflowConfig:
    """Fill in the defaults of ``config`` and return its validated snapshot."""
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)
    return DockerflowConfig(
        heartbeat_fail_level=_level(config, "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL"),
        heartbeat_failed_status_code=_status_code(
            config, "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"
        ),
        check_timeout=_seconds(config, "DOCKERFLOW_CHECK_TIMEOUT", allow_zero=False),
        heartbeat_cache_ttl=_seconds(config, "DOCKERFLOW_HEARTBEAT_CACHE_TTL", allow_zero=True),
        heartbeat_details=_boolean(config, "DOCKERFLOW_HEARTBEAT_DETAILS"),
        heartbeat_details_access=_details_access(config),
        enable_error_endpoint=_boolean(config, "DOCKERFLOW_ENABLE_ERROR_ENDPOINT"),
        request_id_header_name=_header_name(config, "DOCKERFLOW_REQUEST_ID_HEADER_NAME"),
        summary_log_querystring=_boolean(config, "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING"),
        summary_log_health_endpoints=_boolean(config, "DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS"),
    )


def _invalid(key: str, value: Any, expected: str) -> DockerflowConfigError:
    return DockerflowConfigError(f"{key} must be {expected}, got {value!r}")


def _level(config: Mapping[str, Any], key: str) -> int:
    value = config[key]
    if isinstance(value, str) and value.strip().upper() in LEVELS_BY_NAME:
        return LEVELS_BY_NAME[value.strip().upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in LEVELS_BY_NAME.values():
        return value
    raise _invalid(key, value, "one of " + ", ".join(LEVELS_BY_NAME))


def _status_code(config: Mapping[str, Any], key: str) -> int:
    value = config[key]
    code: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        code = value
    elif isinstance(value, str) and value.strip().isdigit():
        code = int(value.strip())
    if code is None or not 400 <= code <= 599:
        raise _invalid(key, value, "an HTTP error status code from 400 to 599")
    return code


def _seconds(config: Mapping[str, Any], key: str, *, allow_zero: bool) -> float:
    value = config[key]
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
    bound_ok = seconds is not None and (seconds >= 0 if allow_zero else seconds > 0)
    if seconds is None or not math.isfinite(seconds) or not bound_ok:
        expected = "a finite number of seconds, " + ("0 or more" if allow_zero else "above 0")
        raise _invalid(key, value, expected)
    return seconds


def _boolean(config: Mapping[str, Any], key: str) -> bool:
    value = config[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _invalid(key, value, "a boolean (True/False, 1/0, 'true'/'false', 'yes'/'no')")


def _header_name(config: Mapping[str, Any], key: str) -> str:
    value = config[key]
    if isinstance(value, str) and _HEADER_NAME.fullmatch(value):
        return value
    raise _invalid(key, value, "an HTTP header name such as 'X-Request-ID'")


def _details_access(config: Mapping[str, Any]) -> DetailsAccess:
    public = _boolean(config, "DOCKERFLOW_HEARTBEAT_DETAILS")
    token_key = "DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN"
    token = config[token_key]
    if token is not None and not (isinstance(token, str) and _TOKEN.fullmatch(token)):
        raise _invalid(token_key, "<hidden>", "None or 16 to 256 printable ASCII characters")
    networks = _networks(config, "DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS")
    if public and (token is not None or networks):
        raise DockerflowConfigError(
            f"{token_key} and DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS restrict who sees "
            "the heartbeat details: set DOCKERFLOW_HEARTBEAT_DETAILS to False with them"
        )
    return DetailsAccess(public=public, token=token, networks=networks)


def _networks(config: Mapping[str, Any], key: str) -> tuple[IPNetwork, ...]:
    value = config[key]
    items = value.split(",") if isinstance(value, str) else value
    try:
        texts = [item.strip() for item in items]
        return tuple(ipaddress.ip_network(text, strict=False) for text in texts if text)
    except (TypeError, ValueError, AttributeError):
        raise _invalid(key, value, "a list of networks such as ['10.0.0.0/8', '::1']") from None
