"""The Dockerflow extension served by a real gunicorn, read over HTTP and from stdout.

Each test starts ``tests/e2e/apps/service`` under gunicorn (see conftest.py),
makes its requests, stops the server and reads its stdout: every line must be
mozlog JSON, and every request must have left exactly one ``request.summary``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOGGER = "e2e-service"  # the mozlog Logger of every stdout line
VERSION_FILE = Path(__file__).parent / "apps" / "version.json"
SUMMARY_FIELDS = {
    "errno", "agent", "lang", "method", "path", "code", "remoteAddressChain", "rid", "t", "uid",
}  # fmt: skip
# Control characters are not here: gunicorn answers 400 before the app runs.
HOSTILE_REQUEST_IDS = [
    "two words",
    'quote"inside',
    "single'quote",
    "tab\tinside",
    "x" * 129,
]
SEVERITY_ERROR = 3
SEVERITY_INFO = 6


def is_new_id(value: Any) -> bool:
    """True for an id the service made: 32 lowercase hex digits."""
    return isinstance(value, str) and re.fullmatch("[0-9a-f]{32}", value) is not None


def records_of(records: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [record for record in records if record["Type"] == type_]


def summaries_by_request_id(service: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Check one summary per exchange (matched by the echoed request id); return them by id."""
    summaries = records_of(records, "request.summary")
    assert len(summaries) == len(service.exchanges), (
        f"{len(summaries)} request.summary lines for {len(service.exchanges)} requests"
    )
    by_id: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        fields = summary["Fields"]
        assert set(fields) >= SUMMARY_FIELDS, fields
        assert fields["rid"] not in by_id, f"two summaries for request id {fields['rid']}"
        by_id[fields["rid"]] = summary
    for exchange in service.exchanges:
        rid = exchange.request_id
        assert rid, f"no X-Request-ID echoed for {exchange.method} {exchange.path}"
        sent = exchange.sent_headers.get("X-Request-ID")
        if sent is not None and not is_new_id(rid):
            assert rid == sent
        assert rid in by_id, f"no summary for {exchange.method} {exchange.path} ({rid})"
        fields = by_id[rid]["Fields"]
        assert fields["method"] == exchange.method
        assert fields["path"] == exchange.path.split("?")[0]
        assert fields["code"] == exchange.status
        assert fields["errno"] == (exchange.status if exchange.status >= 400 else 0)
        assert type(fields["t"]) is int
        assert fields["t"] >= 0
    return by_id


def test_health_endpoints_answer_under_gunicorn(gunicorn_service: Any) -> None:
    """/__version__, /__heartbeat__, /__lbheartbeat__ answer GET and HEAD, uncached."""
    service = gunicorn_service()

    version = service.get("/__version__")
    assert version.status == 200
    assert version.headers["Content-Type"].startswith("application/json")
    assert version.json() == json.loads(VERSION_FILE.read_text())

    heartbeat = service.get("/__heartbeat__")
    assert heartbeat.status == 200
    assert "e2e_cache;dur=" in heartbeat.headers["Server-Timing"]
    assert heartbeat.json() == {
        "status": "warning",
        "checks": {"e2e_backend": "ok", "e2e_cache": "warning"},
        "details": {
            "e2e_cache": {
                "status": "warning",
                "level": 30,
                "messages": {"e2e.W001": "e2e cache is cold"},
            }
        },
    }

    lbheartbeat = service.get("/__lbheartbeat__")
    assert lbheartbeat.status == 200

    for path in ("/__version__", "/__heartbeat__", "/__lbheartbeat__"):
        head = service.request("HEAD", path)
        assert head.status == 200, path
        assert head.body == b"", path
        assert "no-store" in head.headers.get("Cache-Control", ""), path
    for exchange in (version, heartbeat, lbheartbeat):
        assert "no-store" in exchange.headers.get("Cache-Control", ""), exchange.path

    records = service.log_records(LOGGER)
    summaries = summaries_by_request_id(service, records)
    heads = [s for s in summaries.values() if s["Fields"]["method"] == "HEAD"]
    assert len(heads) == 3


def test_request_summaries_under_gunicorn(gunicorn_service: Any) -> None:
    """Routes, a 404 and an unhandled error each log one right request.summary."""
    service = gunicorn_service()

    sent = service.get(
        "/hello?name=J%C3%BCrgen&n=1",
        {
            "X-Request-ID": "e2e-sent-id-1",
            "User-Agent": "e2e-agent/1.0",
            "Accept-Language": "fr-CA",
            "X-Forwarded-For": "198.51.100.7",
        },
    )
    assert sent.status == 200
    assert sent.request_id == "e2e-sent-id-1"
    assert sent.json() == {"hello": "world", "request_id": "e2e-sent-id-1"}

    generated = service.get("/hello")
    assert generated.status == 200
    assert is_new_id(generated.request_id)
    assert generated.json()["request_id"] == generated.request_id

    longest = service.get("/hello", {"X-Request-ID": "k" * 128})
    assert longest.request_id == "k" * 128

    hostile = [service.get("/hello", {"X-Request-ID": value}) for value in HOSTILE_REQUEST_IDS]
    for exchange, value in zip(hostile, HOSTILE_REQUEST_IDS):
        assert exchange.status == 200, value
        assert is_new_id(exchange.request_id), (value, exchange.request_id)

    missing = service.get("/no-such-page", {"X-Request-ID": "e2e-404"})
    assert missing.status == 404
    boom = service.get("/boom", {"X-Request-ID": "e2e-500"})
    assert boom.status == 500

    records = service.log_records(LOGGER)
    summaries = summaries_by_request_id(service, records)

    first = summaries["e2e-sent-id-1"]["Fields"]
    assert first["agent"] == "e2e-agent/1.0"
    assert first["lang"] == "fr-CA"
    assert first["querystring"] == "name=Jürgen&n=1"
    assert first["uid"] == ""
    assert "198.51.100.7" in first["remoteAddressChain"]
    assert "127.0.0.1" in first["remoteAddressChain"]
    assert summaries["e2e-sent-id-1"]["Severity"] == SEVERITY_INFO
    assert summaries["e2e-404"]["Severity"] == SEVERITY_INFO
    assert summaries["e2e-500"]["Severity"] == SEVERITY_ERROR

    # No hostile value reaches the logs, in any field.
    raw = service.stdout_path.read_text()
    for value in HOSTILE_REQUEST_IDS:
        assert json.dumps(value) not in raw, value

    # The app's own lines carry the id of the request they were logged in.
    hello_lines = [r for r in records_of(records, "e2e.service") if r["Fields"].get("msg")]
    hello_ids = [r["Fields"]["rid"] for r in hello_lines]
    hello_exchanges = [e for e in service.exchanges if e.path.startswith("/hello")]
    assert sorted(hello_ids) == sorted(e.request_id for e in hello_exchanges)

    # Flask's log of the unhandled exception: one JSON line with the traceback and the id.
    errors = [r for r in records_of(records, "service") if "traceback" in r["Fields"]]
    assert len(errors) == 1
    assert "RuntimeError" in errors[0]["Fields"]["traceback"]
    assert errors[0]["Severity"] == SEVERITY_ERROR
    assert errors[0]["Fields"]["rid"] == "e2e-500"


def test_failing_heartbeat_returns_500_under_gunicorn(gunicorn_service: Any) -> None:
    """A check at ERROR turns /__heartbeat__ (GET and HEAD) into a 500; lbheartbeat stays 200."""
    service = gunicorn_service(env={"E2E_HEARTBEAT_FAIL": "1"})

    heartbeat = service.get("/__heartbeat__")
    assert heartbeat.status == 500
    payload = heartbeat.json()
    assert payload["status"] == "error"
    assert payload["checks"] == {"e2e_backend": "error", "e2e_cache": "warning"}
    assert payload["details"]["e2e_backend"] == {
        "status": "error",
        "level": 40,
        "messages": {"e2e.E001": "e2e backend is down"},
    }
    assert "no-store" in heartbeat.headers.get("Cache-Control", "")
    assert service.request("HEAD", "/__heartbeat__").status == 500
    assert service.get("/__lbheartbeat__").status == 200

    records = service.log_records(LOGGER)
    summaries_by_request_id(service, records)
    # One dockerflow.heartbeat record per heartbeat answered (GET and HEAD), at ERROR.
    heartbeats = records_of(records, "dockerflow.heartbeat")
    assert [record["Severity"] for record in heartbeats] == [SEVERITY_ERROR] * 2
    fields = heartbeats[0]["Fields"]
    assert fields["status"] == "error"
    assert fields["checks"]["e2e_backend"]["status"] == "error"
    assert isinstance(fields["checks"]["e2e_backend"]["duration_ms"], float)


def test_request_id_never_leaks_between_requests_with_two_workers(
    gunicorn_service: Any,
) -> None:
    """Requests without X-Request-ID never run, or log, under an earlier request's id."""
    service = gunicorn_service(workers=2)
    sent_ids = []
    for number in range(24):
        if number % 2:
            exchange = service.get("/hello")
            assert is_new_id(exchange.request_id)
        else:
            sent_ids.append(f"e2e-leak-{number}")
            exchange = service.get("/hello", {"X-Request-ID": sent_ids[-1]})
            assert exchange.request_id == sent_ids[-1]
        assert exchange.status == 200
        assert exchange.json()["request_id"] == exchange.request_id

    generated = [e.request_id for e in service.exchanges if "X-Request-ID" not in e.sent_headers]
    assert len(set(generated)) == len(generated)
    assert not set(generated) & set(sent_ids)

    records = service.log_records(LOGGER)
    summaries_by_request_id(service, records)
    hello_lines = [r for r in records_of(records, "e2e.service") if r["Fields"].get("msg")]
    assert sorted(r["Fields"]["rid"] for r in hello_lines) == sorted(
        e.request_id for e in service.exchanges if e.path == "/hello"
    )
    # Logged before the extension sees the request: the context holds no earlier id.
    before_flask = records_of(records, "e2e.middleware")
    assert len(before_flask) == len(service.exchanges)
    assert all(not r["Fields"].get("rid") for r in before_flask), [
        r["Fields"].get("rid") for r in before_flask if r["Fields"].get("rid")
    ]


def test_preloaded_app_logs_the_pid_of_each_worker(gunicorn_service: Any) -> None:
    """With --preload the formatter is built in the master; lines still carry the worker's pid."""
    service = gunicorn_service(workers=2, preload=True)
    for _ in range(12):
        assert service.get("/hello").status == 200
    master_pid = service.process.pid

    records = service.log_records(LOGGER)
    summaries = summaries_by_request_id(service, records)
    pids = {summary["Pid"] for summary in summaries.values()}
    assert master_pid not in pids
    # Every line of one request comes from the worker that served it.
    for record in records_of(records, "e2e.service"):
        assert record["Pid"] == summaries[record["Fields"]["rid"]]["Pid"]
