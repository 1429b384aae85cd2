"""A griffe extension: the reST bits of our docstrings, as Markdown for mkdocstrings.

The packages' docstrings are Sphinx-style (``:param x:`` fields, which
mkdocstrings' ``sphinx`` parser reads), with Sphinx roles such as
``:class:`~dockerflow.checks.Error``` and ``::`` before literal blocks. Roles
become optional cross-references (a link when the target is on the site,
plain code otherwise, never a build warning); a paragraph's closing ``::``
becomes ``:``, and a lone ``::`` line goes away. The indented block that
follows is already a Markdown code block.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|mod|attr|data|exc|obj|const|ref):"
    r"`(?P<body>[^`]+)`"
)
_EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^>]+)>$")
_LITERAL_MARKER = re.compile(r"(?m)^(?P<text>.*\S)?::[ \t]*$")


def _target_and_title(body: str) -> tuple[str, str]:
    explicit = _EXPLICIT_TITLE.match(body)
    if explicit:
        return explicit.group("target").lstrip("~."), explicit.group("title")
    target = body.lstrip("~.")
    title = target.rsplit(".", 1)[-1] if body.startswith("~") else target
    return target, title


def _qualified(target: str, obj: griffe.Object) -> str:
    """``target`` as a full dotted path, guessing from ``obj``'s module for short names."""
    if target.startswith("dockerflow."):
        return target
    first = target.split(".", 1)[0]
    if first in obj.module.members:
        return f"{obj.module.path}.{target}"
    return target


def convert(text: str, obj: griffe.Object) -> str:
    """The Markdown form of a Sphinx-flavoured docstring ``text``."""

    def role(match: re.Match[str]) -> str:
        target, title = _target_and_title(match.group("body"))
        identifier = html.escape(_qualified(target, obj), quote=True)
        if match.group("role") in ("func", "meth") and not title.endswith(")"):
            title += "()"
        code = f"<code>{html.escape(title)}</code>"
        return f'<autoref identifier="{identifier}" optional>{code}</autoref>'

    def literal(match: re.Match[str]) -> str:
        text = match.group("text")
        if text is None:
            return ""
        return text + ("" if text.endswith(":") else ":")

    return _LITERAL_MARKER.sub(literal, _ROLE.sub(role, text))


class RestRoles(griffe.Extension):
    """Rewrite every docstring once it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value, obj)
