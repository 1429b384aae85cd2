"""get_version reads version.json and names what is wrong with it; write_version_file writes it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from dockerflow.version import VersionFileError, get_version, write_version_file


def test_returns_the_parsed_object(tmp_path: Path) -> None:
    """A valid version.json is returned as a dict."""
    data = {"source": "https://github.com/x/y", "version": "1.2.3", "commit": "abc", "build": ""}
    (tmp_path / "version.json").write_text(json.dumps(data), encoding="utf-8")
    assert get_version(tmp_path) == data
    assert get_version(str(tmp_path)) == data


def test_returns_none_when_absent(tmp_path: Path) -> None:
    """No version.json: None."""
    assert get_version(tmp_path) is None


def test_accepts_utf8_with_bom(tmp_path: Path) -> None:
    """A UTF-8 byte order mark, as some editors write, is accepted."""
    (tmp_path / "version.json").write_bytes(b'\xef\xbb\xbf{"version": "1"}')
    assert get_version(tmp_path) == {"version": "1"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"version": ', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'["1.0"]', "not an object"),
        (b'"1.0"', "not an object"),
        (b'{"version": NaN}', "not valid JSON"),
        (b'{"version": "caf\xe9"}', "not UTF-8"),
    ],
)
def test_broken_file_raises_version_file_error_naming_path(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """Invalid JSON, a non-object or non-UTF-8 bytes raise VersionFileError with the path."""
    path = tmp_path / "version.json"
    path.write_bytes(content)
    with pytest.raises(VersionFileError, match=reason) as info:
        get_version(tmp_path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_directory_in_place_of_file_raises(tmp_path: Path) -> None:
    """A directory named version.json is a broken file, not a missing one."""
    (tmp_path / "version.json").mkdir()
    with pytest.raises(VersionFileError, match="cannot be read"):
        get_version(tmp_path)


def test_deeply_nested_file_raises_version_file_error(tmp_path: Path) -> None:
    """A file nested deeper than the JSON parser's stack is a VersionFileError, not a crash."""
    (tmp_path / "version.json").write_text("[" * 100_000, encoding="utf-8")

    with pytest.raises(VersionFileError, match="nested too deeply"):
        get_version(tmp_path)


def test_write_version_file_round_trips_through_get_version(tmp_path: Path) -> None:
    """What write_version_file writes, get_version reads back; the text is returned."""
    data = {"source": "https://github.com/x/y", "version": "1.2.3", "commit": "abc", "build": ""}
    text = write_version_file(tmp_path / "version.json", data)

    assert get_version(tmp_path) == data
    assert text == (tmp_path / "version.json").read_text(encoding="utf-8")
    assert text == json.dumps(data, indent=2) + "\n"
    assert write_version_file(str(tmp_path / "version.json"), data, indent=None).count("\n") == 1


def test_write_version_file_replaces_the_file_whole_and_readable(tmp_path: Path) -> None:
    """An existing file is replaced by a rename (a new inode, mode 0644, no temporary left)."""
    path = tmp_path / "version.json"
    path.write_text('{"version": "old"}', encoding="utf-8")
    os.chmod(path, 0o600)
    old_inode = path.stat().st_ino

    write_version_file(path, {"version": "new"})

    assert get_version(tmp_path) == {"version": "new"}
    assert path.stat().st_ino != old_inode
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["version.json"]


def test_write_version_file_into_a_missing_directory_raises_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """A directory that does not exist: OSError, and no file anywhere."""
    with pytest.raises(OSError):
        write_version_file(tmp_path / "missing" / "version.json", {"commit": "abc"})
    assert list(tmp_path.iterdir()) == []


def test_write_version_file_onto_a_directory_removes_its_temporary(tmp_path: Path) -> None:
    """The rename fails onto a directory: OSError, and the temporary file is gone."""
    (tmp_path / "version.json").mkdir()
    with pytest.raises(OSError):
        write_version_file(tmp_path / "version.json", {"commit": "abc"})
    assert [p.name for p in tmp_path.iterdir()] == ["version.json"]


def test_dockerflow_version_replaces_the_version_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-dockerflow's override: the environment variable wins over the file's version."""
    (tmp_path / "version.json").write_text('{"version": "1.0", "commit": "abc"}')
    monkeypatch.setenv("DOCKERFLOW_VERSION", "2.0-hotfix")
    assert get_version(tmp_path) == {"version": "2.0-hotfix", "commit": "abc"}


def test_dockerflow_version_without_a_file_gives_the_version_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERFLOW_VERSION", "2.0")
    assert get_version(tmp_path) == {"version": "2.0"}
    monkeypatch.delenv("DOCKERFLOW_VERSION")
    assert get_version(tmp_path) is None
