"""``flask dockerflow``: run the heartbeat and handle version.json from a shell.

``flask dockerflow heartbeat`` runs the app's checks without a web server and
exits 0 when they pass, 1 when they fail: a container ``HEALTHCHECK`` or a
Kubernetes exec probe needs no HTTP client in the image. ``flask dockerflow
version`` prints the version object ``/__version__`` serves; with ``--write``
it runs ``python -m dockerflow.version`` to build ``version.json`` instead. ``flask
dockerflow doctor`` checks the app against the Dockerflow rules.

The group reaches the extension only through ``app.extensions["dockerflow"]``
(``run_heartbeat()`` and ``load_version()``).
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import click

from dockerflow.version import VersionFileError
from dockerflow.version import main as version_main
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from ._doctor import examine
from ._extension import EXTENSION_NAME

__all__ = ["dockerflow_cli"]

#: Exit status when the app is not set up for Dockerflow (a usage error).
NOT_SET_UP = 2


class NotSetUpError(click.ClickException):
    """The loaded app has no Dockerflow extension."""

    exit_code = NOT_SET_UP


dockerflow_cli = AppGroup(
    "dockerflow", help="Dockerflow heartbeat, version.json and compliance check."
)


def _extension_state() -> Any:
    state = current_app.extensions.get(EXTENSION_NAME)
    if state is None:
        raise NotSetUpError(
            f"the app {current_app.name!r} has no Dockerflow extension: "
            "create it with Dockerflow(app) or dockerflow.init_app(app)."
        )
    return state


def _dumps(data: Any, indent: int | None) -> str:
    return json.dumps(data, indent=indent, sort_keys=False)


@dockerflow_cli.command("heartbeat")
@click.option("--indent", type=int, default=None, help="Pretty-print the JSON.")
def heartbeat_command(indent: int | None) -> None:
    """Run the heartbeat checks and print the /__heartbeat__ body.

    Exits 0 when the heartbeat passes and 1 when a check reaches the fail
    level (DOCKERFLOW_HEARTBEAT_FAIL_LEVEL), as the endpoint's 200 / 500.
    Logs the heartbeat's record on dockerflow.heartbeat, as the endpoint does.
    """
    result = _extension_state().run_heartbeat()
    click.echo(_dumps(result.payload, indent))
    if not result.passed:
        raise click.exceptions.Exit(1)


@dockerflow_cli.command("version", with_appcontext=False)
@click.option(
    "--write",
    "write_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Build version.json from the environment (CI variables, git) and write it here.",
)
@click.option("--commit", default=None, help="Commit hash (default: CI variables, git).")
@click.option("--version", "version_", default=None, help="Version or tag.")
@click.option("--source", default=None, help="Repository URL.")
@click.option("--build", default=None, help="URL of the CI build.")
@click.option("--indent", type=int, default=2, show_default=True, help="JSON indentation.")
@click.pass_context
def version_command(
    ctx: click.Context,
    write_path: Path | None,
    commit: str | None,
    version_: str | None,
    source: str | None,
    build: str | None,
    indent: int,
) -> None:
    """Print the version object the app serves at /__version__.

    With --write PATH, build it instead from the environment the build runs
    in (GitHub Actions, CircleCI, GitLab CI, Taskcluster, GIT_COMMIT and
    friends, git) and write it to PATH; the options win over the environment.
    The app is not loaded then: this is ``python -m dockerflow.version --write``.
    """
    if write_path is not None:
        argv = ["--write", str(write_path), "--indent", str(indent)]
        options = {"--commit": commit, "--version": version_, "--source": source, "--build": build}
        for option, value in options.items():
            argv += [] if value is None else [option, value]
        status = version_main(argv)
        if status:
            raise click.exceptions.Exit(status)
        return
    if any(value is not None for value in (commit, version_, source, build)):
        raise click.UsageError("--commit, --version, --source and --build need --write PATH.")
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        state = _extension_state()
        try:
            version = state.load_version()
        except VersionFileError as exc:
            raise click.ClickException(f"the app's version.json is broken: {exc}") from exc
        except Exception as exc:  # a version_callback's own error
            reason = traceback.format_exception_only(type(exc), exc)[-1].strip()
            raise click.ClickException(f"the app's version callback raised {reason}") from exc
    if version is None:
        raise click.ClickException(
            "the app serves no version object: no version.json where the "
            "extension looks (the parent of the app's root_path, or "
            "version_path). Build one with: flask dockerflow version --write PATH"
        )
    try:
        click.echo(_dumps(version, indent))
    except (TypeError, ValueError, RecursionError) as exc:
        raise click.ClickException(f"the app's version object is not JSON: {exc}") from exc


@dockerflow_cli.command("doctor")
def doctor_command() -> None:
    """Check the app against the Dockerflow rules and say what to fix.

    Requests /__version__, /__lbheartbeat__ and /__heartbeat__ through the
    app, and checks that a request's id is echoed and its request.summary
    logged. Exits 0 when no rule fails and 1 when one does.
    """
    _extension_state()
    report = examine(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(report.render())
    if not report.passed:
        raise click.exceptions.Exit(1)
