"""Hiding credentials in text that leaves the process (heartbeat messages, logs)."""

from __future__ import annotations

import re
from types import TracebackType
from typing import Any

__all__ = ["MASK", "MaskedException", "mask_credentials", "masked_exc_info"]

MASK = "***"

# scheme://user:password@host -- the password runs to the last "@" before the
# host, so an unescaped "@" inside it is masked too.
_URL_PASSWORD = re.compile(
    r"(?P<prefix>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:)(?P<password>[^\s/?#]*)@"
)
# password=secret in a query string or a libpq-style key/value DSN.
_KEY_VALUE_PASSWORD = re.compile(
    r"(?P<prefix>\b(?:password|passwd|pwd)\s*=\s*)(?P<password>'[^']*'|\"[^\"]*\"|[^\s&;,'\"]+)",
    re.IGNORECASE,
)


def mask_credentials(text: str) -> str:
    """``text`` with the password of every URL (and ``password=`` pair) as ``***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('prefix')}{MASK}@", text)
    return _KEY_VALUE_PASSWORD.sub(lambda m: f"{m.group('prefix')}{MASK}", text)


class MaskedException(Exception):
    """Logged in place of an exception whose text, or whose chain's, held a password.

    Its text is the original exception's qualified type name and masked
    text, its notes are the original's masked, and its traceback is the
    original's frames. Its ``__cause__`` and ``__context__`` are the stand-ins
    of the original's, so the chain is logged whole, each link masked.
    """


def masked_exc_info(
    exc: BaseException,
) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``exc_info`` to log ``exc`` with: ``exc`` itself, unless its chain's texts hold a password.

    The texts checked are those a formatter writes of ``exc`` and of each
    exception in its chain (``__cause__``, ``__context__``): ``str``,
    ``repr`` and notes, not the source lines of the frames. When masking
    changes one, every link of the chain is replaced by a
    :class:`MaskedException` with the same frames, linked as the originals
    are; the originals are left untouched.
    """
    if not any(mask_credentials(text) != text for text in _chain_texts(exc)):
        return type(exc), exc, exc.__traceback__
    stand_in = _masked_chain(exc)
    return MaskedException, stand_in, stand_in.__traceback__


def _masked_chain(exc: BaseException) -> MaskedException:
    """A :class:`MaskedException` for each link of ``exc``'s chain, linked likewise."""
    originals: dict[int, BaseException] = {}
    stand_ins: dict[int, MaskedException] = {}
    pending = [exc]
    while pending and len(stand_ins) < _MAX_CHAIN:
        current = pending.pop()
        if id(current) in stand_ins:
            continue
        originals[id(current)] = current
        stand_ins[id(current)] = _stand_in(current)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    for key, stand_in in stand_ins.items():
        original = originals[key]
        cause, context = original.__cause__, original.__context__
        stand_in.__cause__ = None if cause is None else stand_ins.get(id(cause))
        stand_in.__context__ = None if context is None else stand_ins.get(id(context))
        stand_in.__suppress_context__ = original.__suppress_context__
    return stand_ins[id(exc)]


def _stand_in(exc: BaseException) -> MaskedException:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    text = mask_credentials(_text_or_placeholder(str, exc))
    stand_in = MaskedException(f"{name}: {text}" if text else name)
    try:
        notes = getattr(exc, "__notes__", None)
    except Exception:
        notes = None
    if isinstance(notes, (list, tuple)):
        stand_in.__notes__ = [mask_credentials(n) for n in notes if isinstance(n, str)]
    return stand_in.with_traceback(exc.__traceback__)


_MAX_CHAIN = 100


def _chain_texts(exc: BaseException) -> list[str]:
    """``str``, ``repr`` and notes of ``exc`` and its chain; ``str(exc)`` first."""
    texts: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < _MAX_CHAIN:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts.append(_text_or_placeholder(str, current))
        texts.append(_text_or_placeholder(repr, current))
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        try:
            notes = getattr(current, "__notes__", None)
            group = getattr(current, "exceptions", None)  # an ExceptionGroup's members
        except Exception:
            continue
        if isinstance(notes, (list, tuple)):
            texts.extend(note for note in notes if isinstance(note, str))
        if isinstance(group, (list, tuple)):
            pending.extend(e for e in group if isinstance(e, BaseException))
    return texts


# Not dockerflow.logging's safe_str: this distribution depends on the
# standard library alone, and a text that cannot be had must give a fixed
# placeholder here, never the fallback repr, which could hold the password.
def _text_or_placeholder(convert: Any, exc: BaseException) -> str:
    try:
        return str(convert(exc))
    except Exception:  # an exception whose __str__ or __repr__ raises
        return "<exception text unavailable>"
