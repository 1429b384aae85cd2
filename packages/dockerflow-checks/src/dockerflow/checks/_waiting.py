"""What a running check waits on, so that a timeout can name the backend.

A built-in check notes its backend ("Redis at 127.0.0.1:6379") before it
talks to it. Each check runs in a context of its own, so the runner reads the
note back from that context when the check runs past its timeout.
"""

from __future__ import annotations

import contextvars

__all__ = ["note_waiting_on", "waiting_on"]

_waiting_on: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dockerflow_check_waiting_on", default=None
)


def note_waiting_on(backend: str) -> None:
    """Note, in the running check's context, the backend it is about to wait on."""
    _waiting_on.set(backend)


def waiting_on(context: contextvars.Context) -> str | None:
    """What the check running in ``context`` noted it waits on, if anything."""
    return context.get(_waiting_on)
