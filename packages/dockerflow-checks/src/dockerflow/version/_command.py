"""``python -m dockerflow.version``: build the version object, print it or write it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from ._builder import MissingCommitError, build_version_object, read_git_facts
from ._file import write_version_file

__all__ = ["main"]

DESCRIPTION = """\
Build the Dockerflow version object (source, version, commit, build) from the
options, the variables GIT_COMMIT, VERSION or GIT_TAG, SOURCE_URL or GIT_URL
and BUILD_URL, the CI the build runs in (GitHub Actions, CircleCI, GitLab CI,
Taskcluster) and, last, the git checkout of the current directory. Print it,
or write it to a file with --write.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dockerflow.version", description=DESCRIPTION)
    parser.add_argument(
        "--write", metavar="PATH", help="write version.json to PATH (atomically) and print it"
    )
    parser.add_argument("--commit", help="commit hash (default: CI variables, git)")
    parser.add_argument("--version", help="version or tag")
    parser.add_argument("--source", help="repository URL")
    parser.add_argument("--build", help="URL of the CI build")
    parser.add_argument(
        "--indent", type=int, default=2, help="JSON indentation (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dockerflow.version`` with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 1 when no commit is found or the
    file cannot be written. A usage error exits 2 (from :mod:`argparse`).
    """
    args = _parser().parse_args(argv)
    try:
        version = build_version_object(
            os.environ,
            commit=args.commit,
            version=args.version,
            source=args.source,
            build=args.build,
            git_facts=read_git_facts,
        )
    except MissingCommitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.write is None:
        text = json.dumps(version, indent=args.indent) + "\n"
    else:
        try:
            text = write_version_file(args.write, version, indent=args.indent)
        except OSError as exc:
            print(f"error: cannot write {args.write}: {exc}", file=sys.stderr)
            return 1
    empty = [key for key, value in version.items() if not value]
    if empty:
        print(f"note: nothing found for {', '.join(empty)}; left empty.", file=sys.stderr)
    sys.stdout.write(text)
    return 0
