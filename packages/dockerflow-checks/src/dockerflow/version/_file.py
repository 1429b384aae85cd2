"""``version.json`` on disk: reading it for ``/__version__``, writing it at build time."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["VersionFileError", "get_version", "write_version_file"]

VERSION_FILE_NAME = "version.json"
#: Set, it replaces the ``version`` field of the version object.
VERSION_ENV_VAR = "DOCKERFLOW_VERSION"


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

    As in python-dockerflow, the environment variable ``DOCKERFLOW_VERSION``,
    when set, replaces the object's ``version`` (and without a file gives
    ``{"version": ...}``). Raises :class:`VersionFileError` naming the path
    when the file cannot be read, is not UTF-8, is not valid JSON, or holds
    something other than an object.
    """
    version = _read_version_file(os.path.join(os.fspath(root), VERSION_FILE_NAME))
    override = os.environ.get(VERSION_ENV_VAR)
    if override is None:
        return version
    return {**(version or {}), "version": override}


def _read_version_file(path: str) -> dict[str, Any] | None:
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


def write_version_file(
    path: str | os.PathLike[str], version: Mapping[str, Any], *, indent: int | None = 2
) -> str:
    """Write ``version`` as JSON to the file ``path`` and return the text written.

    The text goes to a temporary file beside ``path`` that is then renamed, so
    a reader never sees half a file; the file is readable by everyone (mode
    0644), as the user serving it is often not the one who built it. Raises
    :class:`OSError` when the file cannot be written; nothing is left behind.
    """
    text = json.dumps(dict(version), indent=indent) + "\n"
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".version-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return text
