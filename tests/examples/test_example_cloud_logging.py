"""The example service's LOG_FORMAT=cloud-logging setting, in a fresh interpreter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "service"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
# One request through the app's test client; every line the app logs goes to stdout.
SCRIPT = textwrap.dedent(
    f"""
    from app import create_app

    app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://"}})
    app.test_client().get(
        "/__lbheartbeat__",
        headers={{"traceparent": "{TRACEPARENT}", "User-Agent": "probe/1"}},
    )
    """
)


def run_example(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "app"
    ignore = shutil.ignore_patterns("instance", "__pycache__", "*.whl")
    shutil.copytree(EXAMPLE, copy, ignore=ignore)
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FLASK_", "LOG_", "GOOGLE_")) and name != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=copy,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def summary_line(completed: subprocess.CompletedProcess[str]) -> dict:
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    [summary] = [line for line in lines if line["Type"] == "request.summary"]
    return summary


def test_cloud_logging_setting_adds_cloud_keys_to_the_summary(tmp_path: Path):
    summary = summary_line(
        run_example(tmp_path, LOG_FORMAT="cloud-logging", GOOGLE_CLOUD_PROJECT="notes-prod")
    )
    assert summary["Logger"] == "example-service"  # the mozlog envelope is kept
    assert summary["severity"] == "INFO"
    assert summary["logging.googleapis.com/trace"] == (
        "projects/notes-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert summary["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    # known while the request's trace is set when the summary is handled
    assert summary.get("logging.googleapis.com/trace_sampled", True) is True
    http_request = summary["httpRequest"]
    assert {key: http_request[key] for key in ("requestMethod", "requestUrl", "status")} == {
        "requestMethod": "GET",
        "requestUrl": "/__lbheartbeat__",
        "status": 200,
    }
    assert http_request["userAgent"] == "probe/1"
    assert http_request["latency"].endswith("s")


def test_by_default_the_example_writes_plain_mozlog(tmp_path: Path):
    summary = summary_line(run_example(tmp_path))
    assert "severity" not in summary
    assert "httpRequest" not in summary


def test_an_unknown_log_format_is_a_clear_error(tmp_path: Path):
    completed = run_example(tmp_path, LOG_FORMAT="gcp")
    assert completed.returncode != 0
    assert "LOG_FORMAT must be one of ['cloud-logging', 'mozlog'], not 'gcp'" in completed.stderr
