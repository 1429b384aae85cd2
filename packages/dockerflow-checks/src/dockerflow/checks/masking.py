"""Hiding credentials in text that leaves the process (heartbeat messages)."""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_credentials"]

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
