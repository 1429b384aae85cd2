"""Hiding credentials in text that leaves the process (heartbeat messages, logs)."""

from __future__ import annotations

import re
import traceback
from types import TracebackType

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
    """Logged in place of a check's exception whose text held a password.

    Its text is the original exception's qualified type name and masked
    text; its traceback is the original's frames, without the exception's
    chain (whose texts could hold the password too).
    """


def masked_exc_info(
    exc: BaseException,
) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``exc_info`` to log ``exc`` with: ``exc`` itself, unless its text holds a password.

    The text checked is what :mod:`traceback` prints for ``exc`` and its
    chain (``__cause__``, ``__context__``). When masking changes it, the
    result is a :class:`MaskedException` with the same frames instead.
    """
    try:
        printed = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # an exception whose str() raises: print nothing of it
        printed = None
    if printed is not None and mask_credentials(printed) == printed:
        return type(exc), exc, exc.__traceback__
    try:
        text = mask_credentials(str(exc))
    except Exception:
        text = "<exception text unavailable>"
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    stand_in = MaskedException(f"{name}: {text}" if text else name)
    stand_in.__suppress_context__ = True
    return MaskedException, stand_in.with_traceback(exc.__traceback__), exc.__traceback__
