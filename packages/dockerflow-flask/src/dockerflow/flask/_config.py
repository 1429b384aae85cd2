"""The ``DOCKERFLOW_*`` settings: defaults, validation and the per-app snapshot.

The extension reads only ``app.config``, once, in ``init_app``: set these keys
before calling ``Dockerflow(app)`` or ``init_app(app)``. A bad value raises
:class:`DockerflowConfigError` there, never at the first request, naming the
key, the type and the value it got. Any other ``DOCKERFLOW_*`` key (a typo
such as ``DOCKERFLOW_HEARTBEAT_FAIL_LEVLE``) is ignored with a
:class:`UserWarning` naming the closest known key.

``DOCKERFLOW_HEARTBEAT_FAIL_LEVEL`` (default ``"ERROR"``)
    The lowest check level that fails the heartbeat: ``DEBUG``, ``INFO``,
    ``WARNING``, ``ERROR`` or ``CRITICAL`` (any case), or its number (10, 20,
    30, 40, 50) as an int or a string.
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
``DOCKERFLOW_TRACE_CONTEXT`` (default ``True``)
    Read the request's W3C ``traceparent`` header (else Google's
    ``X-Cloud-Trace-Context``) and put its ``trace_id`` and ``span_id`` on the
    ``request.summary`` record and, through ``RequestIdLogFilter``, on every
    record logged during the request. False reads neither header.

Every key also takes its text form, so that values read with ``os.environ``
work as well as those ``app.config.from_prefixed_env()`` gives (which turns
``30`` into an int, ``1.5`` into a float and ``true`` into True). Booleans
accept ``True``/``False``, ``0``/``1`` and the strings ``true``, ``false``,
``yes``, ``no``, ``on``, ``off``, ``1``, ``0`` (any case); numbers accept an int
or a float or a string that parses as one; the token and the header name
accept an int (a token made of digits, as ``from_prefixed_env()`` parses it).
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import warnings
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from dockerflow.checks import CRITICAL, DEBUG, DEFAULT_CHECK_TIMEOUT, ERROR, INFO, WARNING
from dockerflow.logging import DEFAULT_REQUEST_ID_HEADER

from ._details import DetailsAccess, IPNetwork

__all__ = ["DEFAULTS", "DockerflowConfig", "DockerflowConfigError", "read_config"]

PREFIX = "DOCKERFLOW_"

DEFAULTS: Mapping[str, Any] = {
    "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "ERROR",
    "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": 500,
    "DOCKERFLOW_CHECK_TIMEOUT": DEFAULT_CHECK_TIMEOUT,
    "DOCKERFLOW_HEARTBEAT_CACHE_TTL": 0,
    "DOCKERFLOW_HEARTBEAT_DETAILS": True,
    "DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": None,
    "DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": (),
    "DOCKERFLOW_ENABLE_ERROR_ENDPOINT": True,
    "DOCKERFLOW_REQUEST_ID_HEADER_NAME": DEFAULT_REQUEST_ID_HEADER,
    "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": False,
    "DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS": True,
    "DOCKERFLOW_TRACE_CONTEXT": True,
}

LEVELS_BY_NAME: Mapping[str, int] = {
    "DEBUG": DEBUG,
    "INFO": INFO,
    "WARNING": WARNING,
    "ERROR": ERROR,
    "CRITICAL": CRITICAL,
}

_DIGITS = re.compile(r"[0-9]+")
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
    trace_context: bool


def read_config(config: MutableMapping[str, Any]) -> DockerflowConfig:
    """Fill in the defaults of ``config`` and return its validated snapshot.

    Warns (:class:`UserWarning`) about each ``DOCKERFLOW_*`` key that is not a
    setting, and raises :class:`DockerflowConfigError` for a bad value.
    """
    prefixed = [key for key in config if isinstance(key, str) and key.startswith(PREFIX)]
    for key in sorted(set(prefixed) - set(DEFAULTS)):
        # stacklevel 3: the line that called init_app (or Dockerflow(app))
        warnings.warn(_unknown_key_message(key), UserWarning, stacklevel=3)
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
        trace_context=_boolean(config, "DOCKERFLOW_TRACE_CONTEXT"),
    )


def _unknown_key_message(key: str) -> str:
    message = f"{key} is not a dockerflow-flask setting and is ignored"
    # Compared without the prefix, which every key shares and would match.
    names = [known[len(PREFIX) :] for known in DEFAULTS]
    closest = difflib.get_close_matches(key[len(PREFIX) :], names, n=1)
    if closest:
        message += f"; did you mean {PREFIX}{closest[0]}?"
    return message


def _invalid(key: str, value: Any, expected: str) -> DockerflowConfigError:
    return DockerflowConfigError(f"{key} must be {expected}, got {_describe(value)}")


def _describe(value: Any) -> str:
    """``int 35``, ``str 'SEVERE'``: the type, then the value."""
    return f"{type(value).__name__} {value!r}"


def _integer(value: Any) -> int | None:
    """An int, or a string of ASCII digits, as an int; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _text(value: Any) -> str | None:
    """A string, or an int written back in digits; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _level(config: Mapping[str, Any], key: str) -> int:
    value = config[key]
    if isinstance(value, str) and value.strip().upper() in LEVELS_BY_NAME:
        return LEVELS_BY_NAME[value.strip().upper()]
    number = _integer(value)
    if number is not None and number in LEVELS_BY_NAME.values():
        return number
    names = ", ".join(LEVELS_BY_NAME)
    numbers = ", ".join(str(level) for level in LEVELS_BY_NAME.values())
    raise _invalid(key, value, f"one of {names} or its number ({numbers})")


def _status_code(config: Mapping[str, Any], key: str) -> int:
    value = config[key]
    code = _integer(value)
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
    name = _text(value)
    if name is not None and _HEADER_NAME.fullmatch(name):
        return name
    raise _invalid(key, value, "an HTTP header name such as 'X-Request-ID'")


def _details_access(config: Mapping[str, Any]) -> DetailsAccess:
    public = _boolean(config, "DOCKERFLOW_HEARTBEAT_DETAILS")
    token_key = "DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN"
    value = config[token_key]
    token = None if value is None else _text(value)
    if value is not None and not (token is not None and _TOKEN.fullmatch(token)):
        raise DockerflowConfigError(
            f"{token_key} must be None or 16 to 256 printable ASCII characters, "
            f"got {type(value).__name__} <hidden>"
        )
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
