"""Reading the build's ``version.json``."""

from __future__ import annotations

import json
import os
from typing import Any, NoReturn

__all__ = ["VersionFileError", "get_version"]

VERSION_FILE_NAME = "version.json"


class VersionFileError(ValueError):
    """``version.json`` exists but is not a UTF-8 JSON object."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def get_version(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The parsed ``root/version.json``, or None when there is no such file.

    Raises :class:`VersionFileError` naming the path when the file cannot be
    read, is not UTF-8, is not valid JSON, or holds something other than an
    object.
    """
    path = os.path.join(os.fspath(root), VERSION_FILE_NAME)
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VersionFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VersionFileError(path, f"is not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise VersionFileError(path, f"is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # "[[[[..." deeper than the parser's stack
        raise VersionFileError(path, "is nested too deeply to be a version object") from exc
    if not isinstance(data, dict):
        raise VersionFileError(path, f"holds a JSON {type(data).__name__}, not an object")
    return data
