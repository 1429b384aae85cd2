"""Each distribution installs alone from its wheel and pulls only what it must."""

from __future__ import annotations

import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from .conftest import DISTRIBUTIONS, Venv

FLASK_STACK = {"flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker"}


def wheel_of(wheelhouse: Path, name: str) -> Path:
    (wheel,) = wheelhouse.glob(name.replace("-", "_") + "-*.whl")
    return wheel


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(meta).decode())


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_wheel_ships_no_namespace_init(wheelhouse: Path, name: str) -> None:
    """No wheel ships dockerflow/__init__.py: the namespace stays implicit."""
    with zipfile.ZipFile(wheel_of(wheelhouse, name)) as archive:
        names = archive.namelist()
    assert "dockerflow/__init__.py" not in names
    part = name.removeprefix("dockerflow-")
    assert f"dockerflow/{part}/py.typed" in names


def test_logging_installs_alone_with_nothing_else(wheelhouse: Path, fresh_venv: Venv) -> None:
    """dockerflow-logging pulls in no other distribution."""
    fresh_venv.install_offline(wheelhouse, "dockerflow-logging")
    assert fresh_venv.distributions() == {"dockerflow-logging"}
    fresh_venv.pip("check")
    result = fresh_venv.python_ok("from dockerflow.logging import JsonLogFormatter")
    assert result.returncode == 0, result.stderr


def test_checks_installs_alone_without_extras(wheelhouse: Path, fresh_venv: Venv) -> None:
    """dockerflow-checks without extras pulls in no other distribution."""
    fresh_venv.install_offline(wheelhouse, "dockerflow-checks")
    assert fresh_venv.distributions() == {"dockerflow-checks"}
    fresh_venv.pip("check")
    result = fresh_venv.python_ok("import dockerflow.checks, dockerflow.health, dockerflow.version")
    assert result.returncode == 0, result.stderr


def test_flask_pulls_flask_blinker_and_its_siblings(wheelhouse: Path, fresh_venv: Venv) -> None:
    """dockerflow-flask pulls Flask (with its own needs), blinker and the two siblings."""
    fresh_venv.install_offline(wheelhouse, "dockerflow-flask")
    installed = fresh_venv.distributions()
    ours = {"dockerflow-flask", "dockerflow-logging", "dockerflow-checks"}
    assert ours <= installed
    assert installed - ours <= FLASK_STACK | {"importlib-metadata", "zipp"}
    assert {"flask", "blinker"} <= installed
    fresh_venv.pip("check")
    result = fresh_venv.python_ok("from dockerflow.flask import Dockerflow")
    assert result.returncode == 0, result.stderr


def test_each_distribution_carries_its_own_version(wheelhouse: Path) -> None:
    """Each wheel has its own version; dockerflow-flask asks a compatible range of siblings."""
    metadata = {name: wheel_metadata(wheel_of(wheelhouse, name)) for name in DISTRIBUTIONS}
    for name, meta in metadata.items():
        assert meta["Name"] == name
        assert meta["Version"]
    requires = metadata["dockerflow-flask"].get_all("Requires-Dist")
    plain = [r.split(";")[0].replace(" ", "") for r in requires if "extra ==" not in r]
    for sibling in ("dockerflow-logging", "dockerflow-checks"):
        (spec,) = [r for r in plain if r.startswith(sibling)]
        # A lower and an upper bound: pinning a sibling on its own stays possible.
        assert ">=" in spec
        assert "<" in spec.replace("<=", "")
