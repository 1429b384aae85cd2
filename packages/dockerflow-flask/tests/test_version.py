"""/__version__: found, absent, broken, kept fresh, and the two ways to override it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dockerflow.flask import Dockerflow
from dockerflow.flask._state import VERSION_RECHECK_SECONDS
from dockerflow.version import VersionFileError
from testing_support.servers import wait_until

VERSION = {
    "source": "https://github.com/mozilla-services/example",
    "version": "2024.1.0",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "build": "https://ci.example.com/build/1",
}


def write_version(directory: Path, content: Any) -> Path:
    path = directory / "version.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_version_served_from_parent_of_root_path(app: Flask) -> None:
    """By default version.json is read from the parent directory of app.root_path."""
    write_version(Path(app.root_path).parent, VERSION)
    Dockerflow(app)

    response = app.test_client().get("/__version__")

    assert response.status_code == 200
    assert response.get_json() == VERSION
    assert response.headers["Cache-Control"] == "no-store"


def test_version_absent_gives_404(app: Flask) -> None:
    """Without a version.json the endpoint answers 404 "version.json not found"."""
    Dockerflow(app)

    response = app.test_client().get("/__version__")

    assert (response.status_code, response.get_data(as_text=True)) == (
        404,
        "version.json not found",
    )


def test_broken_version_file_gives_json_500_and_one_logged_error(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Invalid JSON answers 500 with a JSON error body and logs exactly one error."""
    write_version(Path(app.root_path).parent, "{not json")
    Dockerflow(app)
    caplog.set_level(logging.INFO)

    response = app.test_client().get("/__version__")

    assert response.status_code == 500
    assert response.is_json
    assert "error" in response.get_json()
    assert b"Traceback" not in response.data
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "dockerflow.flask"
    assert "version.json" in errors[0].getMessage()


def test_version_file_that_appears_changes_and_disappears_is_followed(app: Flask) -> None:
    """404 until version.json appears, then 200; a changed file is served; a removed one 404s."""
    path = Path(app.root_path).parent / "version.json"
    Dockerflow(app)
    client = app.test_client()

    assert client.get("/__version__").status_code == 404
    write_version(path.parent, VERSION)
    assert wait_until(lambda: client.get("/__version__").status_code == 200, timeout=10)
    assert client.get("/__version__").get_json() == VERSION

    changed = {**VERSION, "version": "2024.2.0"}
    write_version(path.parent, changed)
    assert wait_until(lambda: client.get("/__version__").get_json() == changed, timeout=10)

    path.unlink()
    assert wait_until(lambda: client.get("/__version__").status_code == 404, timeout=10)


def test_version_loader_runs_at_most_once_a_second(app: Flask) -> None:
    """Many requests share one load: the loader runs once per recheck interval at most."""
    dockerflow = Dockerflow(app)
    calls: list[str] = []

    @dockerflow.version_callback
    def counting_loader(root: str) -> dict[str, Any]:
        calls.append(root)
        return {"version": "1"}

    client = app.test_client()
    started = time.monotonic()
    for _ in range(300):
        assert client.get("/__version__").get_json() == {"version": "1"}
    elapsed = time.monotonic() - started

    assert 1 <= len(calls) <= elapsed / VERSION_RECHECK_SECONDS + 1


def test_broken_version_file_is_read_again_on_the_next_request(app: Flask) -> None:
    """A broken file is not kept: once fixed, the next request serves it."""
    path = write_version(Path(app.root_path).parent, "{not json")
    Dockerflow(app)
    client = app.test_client()

    assert client.get("/__version__").status_code == 500
    path.write_text(json.dumps(VERSION))
    response = client.get("/__version__")

    assert (response.status_code, response.get_json()) == (200, VERSION)


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def raising(error: Exception) -> Any:
    def loader(root: str) -> dict[str, Any]:
        raise error

    return loader


@pytest.mark.parametrize(
    "loader",
    [
        raising(RuntimeError("boom")),
        raising(KeyError("commit")),
        raising(ValueError("bad")),
        raising(UnprintableError()),
        lambda root: {"commit": "abc", "tags": {"a"}},  # a set JSON cannot encode
    ],
    ids=["RuntimeError", "KeyError", "ValueError", "unprintable", "unencodable"],
)
def test_broken_version_callback_gives_json_500_and_one_logged_error(
    app: Flask, caplog: pytest.LogCaptureFixture, loader: Any
) -> None:
    """A version_callback that raises or returns what JSON cannot hold: the JSON 500 with
    no-store and one error record, no HTML page."""
    Dockerflow(app).version_callback(loader)

    caplog.set_level(logging.INFO)
    response = app.test_client().get("/__version__")

    assert response.status_code == 500
    assert response.get_json() == {"error": "version.json could not be read"}
    assert response.headers["Cache-Control"] == "no-store"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.name for record in errors] == ["dockerflow.flask"]
    assert "/__version__" in errors[0].getMessage()


def test_version_path_overrides_the_location(app: Flask, tmp_path: Path) -> None:
    """``version_path=`` names the directory holding version.json."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_version(elsewhere, {**VERSION, "version": "from-elsewhere"})
    write_version(Path(app.root_path).parent, VERSION)
    Dockerflow(app, version_path=str(elsewhere))

    assert app.test_client().get("/__version__").get_json()["version"] == "from-elsewhere"


def test_version_callback_replaces_the_loader_and_gets_the_path(app: Flask, tmp_path: Path) -> None:
    """``@dockerflow.version_callback`` is called with the version path."""
    dockerflow = Dockerflow(app, version_path=str(tmp_path))
    calls: list[str] = []

    @dockerflow.version_callback
    def my_version(root: str) -> dict[str, Any]:
        calls.append(root)
        return {"version": "from-callback"}

    response = app.test_client().get("/__version__")

    assert response.get_json() == {"version": "from-callback"}
    assert calls == [str(tmp_path)]
    assert callable(my_version)  # the decorator gives the function back


def test_version_callback_returning_none_gives_404(app: Flask) -> None:
    """A callback that finds nothing answers 404."""
    dockerflow = Dockerflow(app)
    dockerflow.version_callback(lambda root: None)

    assert app.test_client().get("/__version__").status_code == 404


def test_load_version_raises_version_file_error_for_a_broken_file(app: Flask) -> None:
    """The state's load_version() (used by the CLI) raises VersionFileError."""
    write_version(Path(app.root_path).parent, "[1, 2]")
    Dockerflow(app)

    with pytest.raises(VersionFileError):
        app.extensions["dockerflow"].load_version()


def test_each_app_reads_its_own_version_file(make_app: Any, tmp_path: Path) -> None:
    """One Dockerflow object on two apps uses each app's own default location."""
    first_root, second_root = tmp_path / "one", tmp_path / "two"
    for root, version in ((first_root, "1"), (second_root, "2")):
        (root / "app").mkdir(parents=True)
        write_version(root, {"version": version})
    first = Flask("first", root_path=str(first_root / "app"))
    second = Flask("second", root_path=str(second_root / "app"))
    dockerflow = Dockerflow()
    dockerflow.init_app(first)
    dockerflow.init_app(second)

    assert first.test_client().get("/__version__").get_json() == {"version": "1"}
    assert second.test_client().get("/__version__").get_json() == {"version": "2"}
