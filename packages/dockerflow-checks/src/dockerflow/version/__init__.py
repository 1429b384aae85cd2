"""The build's ``version.json``: read it, or build and write it from the CI environment.

Reading, for a service's ``/__version__``::

    from dockerflow.version import get_version

    get_version("/app")  # the parsed /app/version.json, or None

Building, at image build time, from the variables of the CI the build runs
in (or the git checkout)::

    import os
    from dockerflow.version import build_version_object, read_git_facts, write_version_file

    version = build_version_object(os.environ, git_facts=read_git_facts)
    write_version_file("/app/version.json", version)

or from a shell: ``python -m dockerflow.version --write /app/version.json``
(:func:`main`, which ``flask dockerflow version --write`` calls too).
"""

from __future__ import annotations

from ._builder import VERSION_KEYS, MissingCommitError, build_version_object, read_git_facts
from ._command import main
from ._file import VersionFileError, get_version, write_version_file

__all__ = [
    "VERSION_KEYS",
    "MissingCommitError",
    "VersionFileError",
    "build_version_object",
    "get_version",
    "main",
    "read_git_facts",
    "write_version_file",
]
