"""python-dockerflow's `dockerflow` distribution hides our namespace; uninstalling it fixes that."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Venv

UPSTREAM = "dockerflow==2026.3.4"
# Something only our dockerflow.checks has: the per-app check registry.
OURS_PROBE = (
    "from dockerflow.checks import CheckRegistry; import dockerflow; print(dockerflow.__path__)"
)


@pytest.fixture(scope="module")
def upstream_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """python-dockerflow's own wheel, fetched once from the package index."""
    house = tmp_path_factory.mktemp("upstream")
    downloader = Venv(tmp_path_factory.mktemp("downloader"))
    downloader.pip("download", "--no-deps", "--only-binary=:all:", "--dest", house, UPSTREAM)
    return house


def test_upstream_installed_beside_ours_breaks_the_namespace(
    wheelhouse: Path, upstream_wheelhouse: Path, fresh_venv: Venv
) -> None:
    """Beside python-dockerflow, `dockerflow` is its regular package and ours is lost."""
    fresh_venv.install_offline(wheelhouse, "dockerflow-checks")
    assert fresh_venv.python_ok(OURS_PROBE).returncode == 0
    fresh_venv.install_offline(upstream_wheelhouse, "--no-deps", UPSTREAM)
    broken = fresh_venv.python_ok(OURS_PROBE)
    assert broken.returncode != 0
    assert "ImportError" in broken.stderr or "ModuleNotFoundError" in broken.stderr
    regular = fresh_venv.python_ok("import dockerflow; print(dockerflow.__file__)")
    assert regular.stdout.strip().endswith("dockerflow/__init__.py")


def test_uninstalling_upstream_first_restores_the_namespace(
    wheelhouse: Path, upstream_wheelhouse: Path, fresh_venv: Venv
) -> None:
    """The documented migration, uninstall `dockerflow` then install ours, gives our packages."""
    fresh_venv.install_offline(upstream_wheelhouse, "--no-deps", UPSTREAM)
    fresh_venv.pip("uninstall", "--yes", "dockerflow")
    fresh_venv.install_offline(wheelhouse, "dockerflow-checks")
    fixed = fresh_venv.python_ok(OURS_PROBE)
    assert fixed.returncode == 0, fixed.stderr
    namespace = fresh_venv.python_ok("import dockerflow; print(dockerflow.__file__)")
    assert namespace.stdout.strip() == "None"
