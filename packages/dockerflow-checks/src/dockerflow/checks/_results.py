"""Turning each check's messages into the heartbeat's statuses and details."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from dockerflow import health

from ._masking import masked_exc_info
from .messages import ERROR, CheckMessage, level_to_text

__all__ = ["CheckOutcome", "ChecksResults", "build_results"]

# python-dockerflow's logger for these records, which log-based alerting watches.
logger = logging.getLogger("dockerflow.checks.registry")


@dataclass
class ChecksResults:
    """What a run of checks found.

    ``statuses`` maps every check name to its status text; ``details`` holds,
    for each check above ok only, exactly ``{"status", "level", "messages"}``;
    ``level`` is the highest level.
    These three are python-dockerflow's, in its order; the others have
    defaults, so ``ChecksResults(details, statuses, level)`` still works.
    """

    details: dict[str, dict[str, Any]]
    statuses: dict[str, str]
    level: int
    durations_ms: dict[str, float] = field(default_factory=dict)
    """How long each check ran, in milliseconds, by check name (every check).

    A check that timed out ran until the runner gave up on it; one still
    running from an earlier run, as long as it has been running.
    """
    total_ms: float = 0.0
    """How long the call that returned these results took, in milliseconds."""
    cached: bool = False
    """True when the call reused another call's run (``cache_ttl``); the
    ``durations_ms`` are then those of that run."""
    fail_level: int = ERROR
    """The level from which the heartbeat fails."""

    @property
    def passed(self) -> bool:
        """Whether the heartbeat passed: ``level`` is below ``fail_level``."""
        return self.level < self.fail_level


@dataclass
class CheckOutcome:
    """The messages of one check, how long it ran, and the exception it raised if it did."""

    name: str
    messages: list[CheckMessage]
    exception: BaseException | None = field(default=None, repr=False)
    duration_ms: float = 0.0
    timed_out: bool = False
    """The runner gave up waiting for it (its duration is the time until then)."""


def message_keys(name: str, messages: Iterable[CheckMessage]) -> list[str]:
    """A distinct key per message: its id, or the check's name when it has none.

    A key already used by an earlier message of the same check gets ``#2``,
    ``#3``... appended, so no message hides another.
    """
    keys: list[str] = []
    used: set[str] = set()
    for message in messages:
        base = name if message.id is None else _id_text(message.id)
        key, n = base, 1
        while key in used:
            n += 1
            key = f"{base}#{n}"
        used.add(key)
        keys.append(key)
    return keys


def build_results(
    outcomes: Iterable[CheckOutcome],
    silenced_check_ids: AbstractSet[str] = frozenset(),
    timeout: float | None = None,
) -> ChecksResults:
    """Aggregate ``outcomes`` and log each message that is not silenced.

    Each such message is logged once, at its level, on the
    ``dockerflow.checks.registry`` logger as ``"<id>: <msg>"`` (python-dockerflow's
    format: ``"None: <msg>"`` for a message without an id), with the check's
    name as the record's ``check`` attribute; the message of a check that
    raised carries its traceback, credentials masked. Messages whose id is in
    ``silenced_check_ids`` are dropped, and not logged. A ``msg``
    that cannot be written as JSON is replaced by its ``str()``.

    With a ``timeout`` (seconds), a check that finished but ran over half of
    it is logged there too, at WARNING, as
    ``"dockerflow.health.check_slow: Check <name> took <n> ms, ..."`` with
    the extra fields ``check``, ``check_id`` and ``duration_ms``, unless that
    id is silenced.
    """
    details: dict[str, dict[str, Any]] = {}
    statuses: dict[str, str] = {}
    durations: dict[str, float] = {}
    max_level = 0
    for outcome in outcomes:
        kept = [
            message
            for message in outcome.messages
            if not (isinstance(message.id, str) and message.id in silenced_check_ids)
        ]
        exc_info = None if outcome.exception is None else masked_exc_info(outcome.exception)
        texts = [json_safe(message.msg) for message in kept]
        for message, text in zip(kept, texts):
            logger.log(
                message.level,
                "%s: %s",
                None if message.id is None else _id_text(message.id),
                text,
                exc_info=exc_info,
                extra={"check": outcome.name, "check_id": message.id},
            )
        durations[outcome.name] = outcome.duration_ms
        if (
            timeout is not None
            and not outcome.timed_out
            and outcome.duration_ms > timeout * 1000 / 2
            and health.WARNING_CHECK_SLOW not in silenced_check_ids
        ):
            _log_slow(outcome, timeout)
        level = max([0, *(message.level for message in kept)])
        statuses[outcome.name] = level_to_text(level)
        max_level = max(max_level, level)
        if level > 0:
            keys = message_keys(outcome.name, kept)
            details[outcome.name] = {
                "status": level_to_text(level),
                "level": level,
                "messages": dict(zip(keys, texts)),
            }
    return ChecksResults(
        details=details, statuses=statuses, level=max_level, durations_ms=durations
    )


def _log_slow(outcome: CheckOutcome, timeout: float) -> None:
    logger.warning(
        "%s: Check %s took %.0f ms, over half its timeout of %gs",
        health.WARNING_CHECK_SLOW,
        outcome.name,
        outcome.duration_ms,
        timeout,
        extra={
            "check": outcome.name,
            "check_id": health.WARNING_CHECK_SLOW,
            "duration_ms": outcome.duration_ms,
        },
    )


def json_safe(value: Any) -> Any:
    """``value`` if JSON can hold it as it is, else its ``str()`` (or a placeholder)."""
    try:
        # As strict as any encoder the answer may meet: no NaN, sortable keys.
        json.dumps(value, allow_nan=False, sort_keys=True)
    except Exception:  # TypeError, ValueError, RecursionError, a raising __str__ ...
        pass
    else:
        return value
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__} that cannot be shown>"


def _id_text(message_id: object) -> str:
    return str(json_safe(message_id))
