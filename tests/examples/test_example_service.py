"""The example service, started the way the README starts it, answers as documented.

The commands are read from ``[envs.example.scripts] serve`` in hatch.toml and
run from a copy of the repository's ``examples/service`` (so the SQLite file
and version.json land in tmp), with ``PORT`` set to a free port: the version
file is written, the migrations applied, then gunicorn serves with the
example's ``gunicorn.conf.py``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testing_support.app_servers import MOZLOG_KEYS, AppServer, serve
from testing_support.servers import find_free_port

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "service"
VERSION = {
    "source": "https://github.com/acme/notes",
    "version": "v9.8.7",
    "commit": "52ce614fbf99540a1bf6228e36be6cef63b4d73b",
    "build": "https://ci.example.com/builds/42",
}
API_TOKEN = "t0ken-for-alice"
STARTUP_TIMEOUT = 60.0


@dataclass
class Example:
    """The copy of the example, the environment it runs with, and its gunicorn."""

    root: Path
    environ: dict[str, str]
    server: AppServer


def serve_commands() -> list[str]:
    """The commands of `hatch run example:serve`."""
    config = tomllib.loads((REPO_ROOT / "hatch.toml").read_text())
    commands = config["envs"]["example"]["scripts"]["serve"]
    return [commands] if isinstance(commands, str) else list(commands)


def as_argv(command: str) -> tuple[list[str], bool]:
    """The argv of one hatch script command, run with this interpreter; and ignore-errors."""
    ignore_errors = command.startswith("- ")
    argv = shlex.split(command[2:] if ignore_errors else command)
    assert argv[0] in ("flask", "gunicorn"), f"unexpected serve command: {command}"
    return [sys.executable, "-m", *argv], ignore_errors


def server_environ(root: Path, port: int) -> dict[str, str]:
    environ = {
        name: value
        for name, value in os.environ.items()
        # the example's own settings and anything the version builder reads
        if not name.startswith(("FLASK_", "GITHUB_", "CIRCLE", "CI_", "TASK"))
        and name not in ("DATABASE_URL", "REDIS_URL", "PORT", "WEB_CONCURRENCY", "VERSION")
        and not name.endswith("_HEAD_REV")
    }
    environ.update(
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
        GIT_CEILING_DIRECTORIES=str(root.parent),
        GIT_COMMIT=VERSION["commit"],
        VERSION=VERSION["version"],
        SOURCE_URL=VERSION["source"],
        BUILD_URL=VERSION["build"],
        FLASK_API_TOKENS=json.dumps({API_TOKEN: "alice"}),
    )
    return environ


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    """The example served by the README's command line, on a free port."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(
        EXAMPLE,
        root / "examples" / "service",
        ignore=shutil.ignore_patterns("instance", "version.json", "__pycache__", "*.whl"),
    )
    port = find_free_port()
    environ = server_environ(root, port)
    *setup, serve_argv = [as_argv(command) for command in serve_commands()]
    outputs = []
    for argv, ignore_errors in setup:
        completed = subprocess.run(
            argv, cwd=root, env=environ, capture_output=True, text=True, timeout=120, check=False
        )
        outputs.append(completed.stdout + completed.stderr)
        assert ignore_errors or completed.returncode == 0, outputs[-1]
    # stderr into the same file: every line gunicorn and the app write must be mozlog
    with serve(
        serve_argv[0],
        port,
        stdout_path=root / "stdout.log",
        cwd=root,
        env=environ,
        start_timeout=STARTUP_TIMEOUT,
    ) as server:
        yield Example(root, environ, server)


def test_serve_script_writes_version_and_applies_migrations(example: Example):
    """The setup commands leave version.json and a migrated SQLite file in the example."""
    service = example.root / "examples" / "service"
    assert json.loads((service / "version.json").read_text()) == VERSION
    assert (service / "instance" / "service.sqlite").stat().st_size > 0


def test_version_endpoint_serves_the_built_version(example: Example):
    """/__version__ serves what `flask dockerflow version --write` built."""
    response = example.server.get("/__version__")
    assert response.status == 200
    assert response.json() == VERSION


def test_heartbeat_is_healthy_with_database_and_migrations(example: Example):
    """/__heartbeat__ runs the database, migration and custom checks and passes."""
    response = example.server.get("/__heartbeat__")
    assert response.status == 200, response.body
    body = response.json()
    assert body["status"] in ("ok", "warning")  # warning only if the disk is nearly full
    assert "disk_space" in body["checks"]
    others = {name: status for name, status in body["checks"].items() if name != "disk_space"}
    assert len(others) >= 2, body  # the database and migrations checks
    assert set(others.values()) == {"ok"}, body
    assert response.headers["Cache-Control"] == "no-store"


def test_lbheartbeat_answers(example: Example):
    """/__lbheartbeat__ answers 200 and is never cached."""
    response = example.server.get("/__lbheartbeat__")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_page_suggests_a_curl_command_with_the_host(example: Example):
    """The page's example command names the URL it was served from, host included."""
    body = example.server.get("/").body.decode()
    assert re.search(r"""hello"\}' http://127\.0\.0\.1:\d+/api/notes</code>""", body), body


def test_hashed_static_file_is_cached_for_years(example: Example):
    """The stylesheet linked from the page has a hashed name and far-future caching."""
    page = example.server.get("/")
    assert page.status == 200
    match = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page.body.decode())
    assert match, page.body
    css = example.server.get(match.group(1))
    assert css.status == 200
    cache_control = css.headers["Cache-Control"]
    assert "immutable" in cache_control
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 365 * 24 * 3600


def test_unhashed_static_file_is_cached_briefly(example: Example):
    """A file without a hash in its name is not marked immutable."""
    response = example.server.get("/static/robots.txt")
    assert response.status == 200
    assert b"User-agent" in response.body
    cache_control = response.headers["Cache-Control"]
    assert "immutable" not in cache_control
    assert "max-age=60" in cache_control


def test_hashed_static_file_name_matches_its_content():
    """site.<hash>.css is named by the SHA-256 of its content (edit => rename)."""
    import hashlib

    (css,) = (EXAMPLE / "app" / "static" / "css").glob("site.*.css")
    digest = hashlib.sha256(css.read_bytes()).hexdigest()[:12]
    assert css.name == f"site.{digest}.css"


def test_api_and_request_summary_logs(example: Example):
    """A request's request.summary line is mozlog JSON carrying its rid and uid."""
    request_id = "e2e-note-request-1"
    response = example.server.request(
        "POST",
        "/api/notes",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {API_TOKEN}",
            "X-Request-ID": request_id,
        },
        body=json.dumps({"text": "hello from the e2e test"}).encode(),
    )
    assert response.status == 201, response.body
    assert response.json()["author"] == "alice"
    assert response.headers["X-Request-ID"] == request_id
    notes = example.server.get("/api/notes").json()
    assert "hello from the e2e test" in [note["text"] for note in notes]

    summaries = []
    deadline = time.monotonic() + 10
    while not summaries and time.monotonic() < deadline:
        summaries = [
            record
            for record in example.server.stdout_records()
            if record["Type"] == "request.summary" and record["Fields"].get("rid") == request_id
        ]
        time.sleep(0.1)
    assert len(summaries) == 1
    fields = summaries[0]["Fields"]
    assert fields["path"] == "/api/notes"
    assert fields["method"] == "POST"
    assert fields["code"] == 201
    assert fields["uid"] == "alice"
    assert summaries[0]["Logger"] == "example-service"
    # the app's own log line of that request carries the same request id
    added = [r for r in example.server.stdout_records() if r["Fields"].get("msg") == "note added"]
    assert [r["Fields"]["rid"] for r in added] == [request_id]


def test_every_stdout_line_is_mozlog_and_request_summary_is_the_access_log(example: Example):
    """gunicorn's and the app's lines are mozlog JSON; gunicorn writes no second access line."""
    example.server.get("/__lbheartbeat__")
    records = example.server.stdout_records()  # fails if a line is not JSON
    assert records
    for record in records:
        assert set(record) >= MOZLOG_KEYS, record
        assert record["EnvVersion"] == "2.0"
    types = {record["Type"] for record in records}
    assert "gunicorn.error" in types  # "Listening at ...", "Booting worker ..."
    assert "gunicorn.access" not in types
    assert "request.summary" in types


def test_polled_heartbeats_stay_quiet(example: Example):
    """Polls of a healthy service: no dockerflow.heartbeat record each time, no Alembic line."""
    for _ in range(6):
        assert example.server.get("/__heartbeat__").status == 200
    records = example.server.stdout_records()
    assert [r for r in records if r["Type"].startswith("alembic")] == []
    heartbeats = [r for r in records if r["Type"] == "dockerflow.heartbeat"]
    assert len(heartbeats) <= 2  # at most a first non-ok status per worker, not one per poll


def test_a_static_file_gets_a_request_id_and_a_summary(example: Example):
    """WhiteNoise sits inside Dockerflow's middleware: static files are logged like pages."""
    response = example.server.request(
        "GET", "/static/robots.txt", headers={"X-Request-ID": "e2e-static-1"}
    )
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "e2e-static-1"
    summaries: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not summaries and time.monotonic() < deadline:
        summaries = [
            record
            for record in example.server.stdout_records()
            if record["Type"] == "request.summary" and record["Fields"].get("rid") == "e2e-static-1"
        ]
        time.sleep(0.1)
    assert [record["Fields"]["path"] for record in summaries] == ["/static/robots.txt"]


def run_heartbeat_command(example: Example, **env: str) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, run against the example from its copy."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "examples/service/wsgi",
            "dockerflow",
            "heartbeat",
        ],
        cwd=example.root,
        env={**example.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_healthcheck_command_passes(example: Example):
    """`flask dockerflow heartbeat` exits 0 and prints the heartbeat body."""
    completed = run_heartbeat_command(example)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    body = json.loads(completed.stdout.splitlines()[-1])
    assert body["status"] in ("ok", "warning")
    assert "disk_space" in body["checks"]


def test_healthcheck_command_fails_when_the_database_is_down(example: Example):
    """With the database unreachable the command exits 1 and says which check failed."""
    completed = run_heartbeat_command(
        example, DATABASE_URL=f"postgresql://postgres:hunter2@127.0.0.1:{find_free_port()}/test"
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    body = json.loads(completed.stdout.splitlines()[-1])
    assert body["status"] in ("error", "critical")
    failing = [name for name, status in body["checks"].items() if status in ("error", "critical")]
    assert any("database" in name for name in failing), body
    assert "hunter2" not in completed.stdout
