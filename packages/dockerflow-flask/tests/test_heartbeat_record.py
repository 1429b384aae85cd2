"""An observable heartbeat: its record, the durations in Server-Timing, slow checks.

Real checks that sleep for a bounded, short time; only generous bounds on
the durations.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask

from dockerflow import health
from dockerflow.flask import Dockerflow, checks
from dockerflow.flask._cli import dockerflow_cli
from dockerflow.logging import JsonLogFormatter

HEARTBEAT = "dockerflow.heartbeat"
REGISTRY = "dockerflow.checks.registry"
Records = Callable[[str], "list[logging.LogRecord]"]


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Records:
    """Call it with a logger name for that logger's records of the test so far."""
    caplog.set_level(logging.DEBUG, logger=HEARTBEAT)
    caplog.set_level(logging.DEBUG, logger=REGISTRY)
    return lambda name: [record for record in caplog.records if record.name == name]


def napping(seconds: float, *messages: checks.CheckMessage) -> Callable[[], Any]:
    def check() -> list[checks.CheckMessage]:
        time.sleep(seconds)
        return list(messages)

    return check


def heartbeat_app(make_app: Any, **config: Any) -> Flask:
    """An app with a check that sleeps 0.1 s and warns, and one that is ok."""
    app = make_app(**config)
    dockerflow = Dockerflow(app)
    dockerflow.check(napping(0.1, checks.Warning("cold cache", id="acme.W001")), name="cache")
    dockerflow.check(list, name="quick")
    return app


def test_a_heartbeat_whose_status_changed_writes_a_record_with_each_checks_duration(
    make_app: Any, records: Records
) -> None:
    """Its first warning: one INFO record, every check's status and duration; then quiet."""
    app = heartbeat_app(make_app)

    statuses = [app.test_client().get("/__heartbeat__").status_code for _ in range(3)]

    assert statuses == [200] * 3
    (record,) = records(HEARTBEAT)
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("Heartbeat passed: warning in ")
    fields: dict[str, Any] = record.__dict__
    assert fields["status"] == "warning"
    assert 100 <= fields["duration_ms"] < 10_000
    assert set(fields["checks"]) == {"cache", "quick"}
    assert fields["checks"]["cache"]["status"] == "warning"
    assert fields["checks"]["quick"]["status"] == "ok"
    assert 100 <= fields["checks"]["cache"]["duration_ms"] < 10_000


def test_a_steady_passing_heartbeat_writes_no_record(make_app: Any, records: Records) -> None:
    """A service polled every few seconds and always ok logs nothing on dockerflow.heartbeat."""
    app = make_app()
    Dockerflow(app).check(list, name="quick")
    client = app.test_client()

    assert [client.get("/__heartbeat__").status_code for _ in range(5)] == [200] * 5
    assert records(HEARTBEAT) == []


@pytest.mark.parametrize(
    ("fail_level", "message", "status_code", "record_level"),
    [
        ("ERROR", checks.Warning("slow", id="acme.W001"), 200, logging.INFO),
        ("WARNING", checks.Warning("slow", id="acme.W001"), 500, logging.WARNING),
        ("ERROR", checks.Error("down", id="acme.E001"), 500, logging.ERROR),
        ("ERROR", checks.Critical("gone", id="acme.C001"), 500, logging.ERROR),
    ],
)
def test_record_level_follows_the_fail_level(
    make_app: Any,
    records: Records,
    fail_level: str,
    message: checks.CheckMessage,
    status_code: int,
    record_level: int,
) -> None:
    """INFO when the heartbeat passes; WARNING or ERROR when it fails, as the status code says."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVEL=fail_level)
    Dockerflow(app).check(lambda: [message], name="probe")

    assert app.test_client().get("/__heartbeat__").status_code == status_code
    (record,) = records(HEARTBEAT)
    assert record.levelno == record_level
    passed = status_code == 200
    assert record.getMessage().startswith("Heartbeat passed" if passed else "Heartbeat failed")


def test_details_hold_exactly_status_level_and_messages(make_app: Any) -> None:
    """python-dockerflow's entry, which services compare whole: no duration in it."""
    app = heartbeat_app(make_app)

    body = app.test_client().get("/__heartbeat__").get_json()

    assert body["details"] == {
        "cache": {"status": "warning", "level": 30, "messages": {"acme.W001": "cold cache"}}
    }


def test_server_timing_gives_each_checks_duration(make_app: Any, records: Records) -> None:
    """One Server-Timing metric per check, its duration in ms, its name made a header token."""
    app = heartbeat_app(make_app)
    app.extensions["dockerflow"].registry.register(list, name='caf\u00e9, "db";x')

    response = app.test_client().get("/__heartbeat__")

    metrics = dict(
        metric.strip().split(";dur=") for metric in response.headers["Server-Timing"].split(",")
    )
    assert list(metrics) == ["cache", "quick", "caf_db_x"]
    assert 100 <= float(metrics["cache"]) < 10_000
    (record,) = records(HEARTBEAT)
    assert float(metrics["cache"]) == record.checks["cache"]["duration_ms"]  # type: ignore[attr-defined]


def test_server_timing_goes_only_where_details_go(make_app: Any) -> None:
    """With details kept from the public, so are the checks' timings."""
    app = heartbeat_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS=False)
    client = app.test_client()

    public = client.get("/__heartbeat__")

    assert "details" not in public.get_json()
    assert "Server-Timing" not in public.headers


def test_cached_answers_share_one_run_and_one_record(make_app: Any, records: Records) -> None:
    """With DOCKERFLOW_HEARTBEAT_CACHE_TTL three answers share one run: logged once."""
    app = heartbeat_app(make_app, DOCKERFLOW_HEARTBEAT_CACHE_TTL=60)
    client = app.test_client()

    bodies = [client.get("/__heartbeat__").get_json() for _ in range(3)]

    assert len(records(HEARTBEAT)) == 1
    assert all(body == bodies[0] for body in bodies)
    assert [r.getMessage() for r in records(REGISTRY)] == ["acme.W001: cold cache"]


def test_slow_check_is_logged_at_warning_once_per_run(make_app: Any, records: Records) -> None:
    """1.05 s of a 2 s timeout: a WARNING with the duration, not repeated for cached answers."""
    app = make_app(DOCKERFLOW_CHECK_TIMEOUT=2, DOCKERFLOW_HEARTBEAT_CACHE_TTL=60)
    Dockerflow(app).check(napping(1.05), name="getting_slower")
    client = app.test_client()

    statuses = [client.get("/__heartbeat__").status_code for _ in range(2)]

    assert statuses == [200, 200]
    (slow,) = records(REGISTRY)
    assert slow.levelno == logging.WARNING
    assert slow.check_id == health.WARNING_CHECK_SLOW  # type: ignore[attr-defined]
    assert slow.check == "getting_slower"  # type: ignore[attr-defined]
    assert slow.duration_ms >= 1050  # type: ignore[attr-defined]
    assert records(HEARTBEAT) == []  # ok, as it always was


def test_record_reads_well_as_mozlog(make_app: Any, records: Records) -> None:
    """Through JsonLogFormatter the fields land in Fields, checks as an object."""
    app = heartbeat_app(make_app)
    app.test_client().get("/__heartbeat__")
    (record,) = records(HEARTBEAT)

    line = json.loads(JsonLogFormatter(logger_name="svc").format(record))

    assert line["Type"] == HEARTBEAT
    assert line["Severity"] == 6
    fields = line["Fields"]
    assert {"msg", "status", "previous_status", "duration_ms", "checks"} <= set(fields)
    assert fields["checks"]["cache"]["status"] == "warning"
    assert isinstance(fields["checks"]["cache"]["duration_ms"], float)


def test_no_record_when_the_heartbeat_logger_is_disabled(make_app: Any, records: Records) -> None:
    """A disabled dockerflow.heartbeat logger gets nothing; the answer is unchanged."""
    app = heartbeat_app(make_app)
    logger = logging.getLogger(HEARTBEAT)
    logger.disabled = True
    try:
        response = app.test_client().get("/__heartbeat__")
    finally:
        logger.disabled = False

    assert response.status_code == 200
    assert records(HEARTBEAT) == []


def test_cli_heartbeat_writes_the_record(tmp_path: Path, records: Records) -> None:
    """`flask dockerflow heartbeat` is a heartbeat too: a failing one writes its record."""
    app = Flask("cli_record_app", root_path=str(tmp_path / "pkg"))
    Dockerflow(app).check(lambda: [checks.Error("down", id="svc.E001")], name="backend")

    result = app.test_cli_runner().invoke(dockerflow_cli, ["heartbeat"])

    assert result.exit_code == 1
    body = json.loads(result.output)
    (record,) = records(HEARTBEAT)
    assert record.levelno == logging.ERROR
    assert record.status == "error"  # type: ignore[attr-defined]
    assert record.checks["backend"]["status"] == "error"  # type: ignore[attr-defined]
    assert body["details"]["backend"]["status"] == "error"
