"""Builds the three wheels once and makes throwaway virtual environments."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = ("dockerflow-logging", "dockerflow-checks", "dockerflow-flask")
# What dockerflow-flask may pull from the index besides our own wheels.
THIRD_PARTY_FOR_FLASK = ("flask", "blinker")


def run(*args: str | Path, cwd: Path | None = None) -> str:
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        command = " ".join(map(str, args))
        pytest.fail(f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Venv:
    """A fresh virtual environment with pip, and nothing else."""

    def __init__(self, path: Path) -> None:
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
        self.python = path / "bin" / "python"

    def pip(self, *args: str | Path) -> str:
        return run(self.python, "-m", "pip", "--disable-pip-version-check", *args)

    def install_offline(self, wheelhouse: Path, *requirements: str) -> None:
        """Install from the local wheelhouse only: no index is consulted."""
        self.pip("install", "--no-index", "--find-links", wheelhouse, *requirements)

    def distributions(self) -> set[str]:
        """Names of the installed distributions, pip's own tooling left out."""
        code = (
            "import importlib.metadata as m;"
            "print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"
        )
        names = {n.strip().lower().replace("_", "-") for n in run(self.python, "-c", code).split()}
        return names - {"pip", "setuptools", "wheel"}

    def python_ok(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), "-c", code], capture_output=True, text=True, timeout=60
        )


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our three wheels, built from the working tree, plus Flask's own wheels."""
    house = tmp_path_factory.mktemp("wheelhouse")
    for name in DISTRIBUTIONS:
        run(
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            house,
            REPO / "packages" / name,
        )
    # Third-party wheels come from the package index once; the installs below
    # never see an index, so our siblings can only resolve to these wheels.
    downloader = Venv(tmp_path_factory.mktemp("downloader"))
    downloader.pip("download", "--only-binary=:all:", "--dest", house, *THIRD_PARTY_FOR_FLASK)
    return house


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Venv:
    """A new, empty virtual environment for one test."""
    return Venv(tmp_path / "venv")
