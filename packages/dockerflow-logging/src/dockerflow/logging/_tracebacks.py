"""Tracebacks that cannot be used to forge log lines."""

from __future__ import annotations

import traceback
from types import TracebackType

from ._text import safe_repr


def safer_format_traceback(
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """Format an exception's traceback with its type and value passed through ``repr``.

    An exception message may carry attacker-controlled text (newlines, fake
    log lines); ``repr`` escapes it. The frames come from :mod:`traceback`.
    """
    parts = ["Uncaught exception:\n"]
    try:
        parts.extend(traceback.format_tb(tb))
    except Exception as exc:  # a frame whose source cannot be read, say
        parts.append(f"<traceback unavailable: {safe_repr(exc)}>\n")
    parts.append(f"{safe_repr(exc_type)}\n")
    parts.append(f"{safe_repr(exc_value)}\n")
    return "".join(parts)
