"""Turning arbitrary objects into text without ever raising."""

from __future__ import annotations

from typing import Any


def safe_repr(obj: Any) -> str:
    """Return ``repr(obj)``, or a placeholder naming the type if ``repr`` fails."""
    try:
        text = repr(obj)
    except Exception:
        return f"<unrepresentable {_type_name(obj)} object>"
    # A broken __repr__ may return a str subclass with surprising behaviour.
    return text if type(text) is str else str.__str__(text)


def safe_str(obj: Any) -> str:
    """Return ``str(obj)``, falling back to :func:`safe_repr` if ``str`` fails."""
    if type(obj) is str:
        return obj
    try:
        text = str(obj)
    except Exception:
        return safe_repr(obj)
    return text if type(text) is str else str.__str__(text)


def _type_name(obj: Any) -> str:
    try:
        return str.__str__(type(obj).__qualname__)
    except Exception:
        return "unknown"
