"""Tracebacks that cannot be used to forge log lines."""

from __future__ import annotations

import traceback
from types import TracebackType

from ._text import safe_repr

# Links of an exception chain printed at most, as the standard library's
# formatter stops somewhere too; a cycle ends the walk earlier.
_MAX_CHAIN = 32
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def safer_format_traceback(
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """Format an exception's traceback with each type and value passed through ``repr``.

    Chained exceptions (``raise ... from``, and an exception raised while
    handling another) come first, in the order and with the separators of
    :func:`traceback.format_exception`. An exception message may carry
    attacker-controlled text (newlines, fake log lines); ``repr`` escapes it.
    """
    parts = ["Uncaught exception:\n"]
    links = _earlier_links(exc_value)
    for exc, separator in links:
        parts.extend(_link(type(exc), exc, exc.__traceback__))
        parts.append(separator)
    parts.extend(_link(exc_type, exc_value, tb))
    return "".join(parts)


def _earlier_links(exc: BaseException | None) -> list[tuple[BaseException, str]]:
    """The exceptions ``exc`` was chained to, earliest first, each with its separator."""
    links: list[tuple[BaseException, str]] = []
    seen = {id(exc)}
    while exc is not None and len(links) < _MAX_CHAIN:
        try:
            if exc.__cause__ is not None:
                exc, separator = exc.__cause__, _CAUSE
            elif exc.__context__ is not None and not exc.__suppress_context__:
                exc, separator = exc.__context__, _CONTEXT
            else:
                break
        except Exception:  # an exception class with broken attributes
            break
        if id(exc) in seen:
            break
        seen.add(id(exc))
        links.append((exc, separator))
    links.reverse()
    return links


def _link(
    exc_type: type[BaseException] | None, exc_value: BaseException | None, tb: TracebackType | None
) -> list[str]:
    try:
        lines = traceback.format_tb(tb)
    except Exception as exc:  # a frame whose source cannot be read, say
        lines = [f"<traceback unavailable: {safe_repr(exc)}>\n"]
    return [*lines, f"{safe_repr(exc_type)}\n", f"{safe_repr(exc_value)}\n"]
