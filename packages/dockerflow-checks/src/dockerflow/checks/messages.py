"""Check levels and the messages a check returns."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "STATUSES",
    "WARNING",
    "CheckMessage",
    "Critical",
    "Debug",
    "Error",
    "Info",
    "Warning",
    "level_to_text",
]

DEBUG = 10
INFO = 20
WARNING = 30
ERROR = 40
CRITICAL = 50

STATUSES = {
    0: "ok",
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warning",
    ERROR: "error",
    CRITICAL: "critical",
}


def level_to_text(level: int) -> str:
    """The status text of ``level`` ("ok" for 0), or ``"unknown"``."""
    return STATUSES.get(level, "unknown")


class CheckMessage:
    """One finding of a check: a message with a level and an optional id and hint.

    Use the subclasses :class:`Debug`, :class:`Info`, :class:`Warning`,
    :class:`Error` and :class:`Critical`, which carry their level. The base
    class needs ``level=`` explicitly.
    """

    level: int

    def __init__(
        self,
        msg: Any,
        level: int | None = None,
        hint: str | None = None,
        obj: Any = None,
        id: str | None = None,  # python-dockerflow's keyword
    ) -> None:
        self.msg = msg
        if level is not None:
            self.level = int(level)
        elif not hasattr(self, "level"):
            raise TypeError(f"{type(self).__name__} needs a level; use Error(...), Warning(...)")
        self.hint = hint
        self.obj = obj
        self.id = id

    def _fields(self) -> tuple[Any, ...]:
        return (self.level, self.msg, self.hint, self.obj, self.id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckMessage):
            return NotImplemented
        if not isinstance(other, type(self)) and not isinstance(self, type(other)):
            return False
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like python-dockerflow's

    def __str__(self) -> str:
        obj = "?" if self.obj is None else self.obj
        ident = f"({self.id}) " if self.id else ""
        hint = f"\n\tHINT: {self.hint}" if self.hint else ""
        return f"{obj}: {ident}{self.msg}{hint}"

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}: level={self.level!r}, msg={self.msg!r}, "
            f"hint={self.hint!r}, obj={self.obj!r}, id={self.id!r}>"
        )

    def is_serious(self, level: int = ERROR) -> bool:
        """Whether this message is at ``level`` (default ERROR) or above."""
        return self.level >= level


class Debug(CheckMessage):
    """A debugging finding."""

    level = DEBUG


class Info(CheckMessage):
    """An informational finding."""

    level = INFO


class Warning(CheckMessage):  # shadows the builtin, as in python-dockerflow
    """A finding that needs attention but does not fail the heartbeat by default."""

    level = WARNING


class Error(CheckMessage):
    """A finding that fails the heartbeat."""

    level = ERROR


class Critical(CheckMessage):
    """A finding worse than an error."""

    level = CRITICAL
