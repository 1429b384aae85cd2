"""Turning each check's messages into the heartbeat's statuses and details."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ._masking import masked_exc_info
from .messages import CheckMessage, level_to_text

__all__ = ["CheckOutcome", "ChecksResults", "build_results"]

logger = logging.getLogger("dockerflow.checks")


@dataclass
class ChecksResults:
    """What a run of checks found.

    ``statuses`` maps every check name to its status text; ``details`` holds,
    for each check above ok only, ``{"status", "level", "messages"}`` plus
    ``"hints"`` when a message has a hint; ``level`` is the highest level.
    """

    details: dict[str, dict[str, Any]]
    statuses: dict[str, str]
    level: int


@dataclass
class CheckOutcome:
    """The messages of one check, and the exception it raised if it did."""

    name: str
    messages: list[CheckMessage]
    exception: BaseException | None = field(default=None, repr=False)


def message_keys(name: str, messages: Iterable[CheckMessage]) -> list[str]:
    """A distinct key per message: its id, or the check's name when it has none.

    A key already used by an earlier message of the same check gets ``#2``,
    ``#3``... appended, so no message hides another.
    """
    keys: list[str] = []
    used: set[str] = set()
    for message in messages:
        base = name if message.id is None else str(message.id)
        key, n = base, 1
        while key in used:
            n += 1
            key = f"{base}#{n}"
        used.add(key)
        keys.append(key)
    return keys


def build_results(
    outcomes: Iterable[CheckOutcome], silenced_check_ids: AbstractSet[str] = frozenset()
) -> ChecksResults:
    """Aggregate ``outcomes``, logging each kept message once at its level.

    Messages whose id is in ``silenced_check_ids`` are dropped (and logged at
    DEBUG only).
    """
    details: dict[str, dict[str, Any]] = {}
    statuses: dict[str, str] = {}
    max_level = 0
    for outcome in outcomes:
        kept: list[CheckMessage] = []
        exc_info = None if outcome.exception is None else masked_exc_info(outcome.exception)
        for message in outcome.messages:
            extra = {"check": outcome.name, "check_id": message.id}
            if message.id is not None and message.id in silenced_check_ids:
                logger.debug(
                    "Check %s: silenced %s: %s", outcome.name, message.id, message.msg, extra=extra
                )
                continue
            kept.append(message)
            logger.log(
                message.level,
                "Check %s: %s: %s",
                outcome.name,
                message.id or "-",
                message.msg,
                exc_info=exc_info,
                extra=extra,
            )
        level = max([0, *(message.level for message in kept)])
        statuses[outcome.name] = level_to_text(level)
        max_level = max(max_level, level)
        if level > 0:
            keys = message_keys(outcome.name, kept)
            detail: dict[str, Any] = {
                "status": level_to_text(level),
                "level": level,
                "messages": {key: message.msg for key, message in zip(keys, kept)},
            }
            hints = {key: message.hint for key, message in zip(keys, kept) if message.hint}
            if hints:
                detail["hints"] = hints
            details[outcome.name] = detail
    return ChecksResults(details=details, statuses=statuses, level=max_level)
