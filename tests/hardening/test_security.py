"""What the endpoints disclose: masked credentials, no forged log lines, no-store, /__error__."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from hardening_support.logged_apps import CollectingHandler

from dockerflow.logging import JsonLogFormatter
from testing_support.servers import find_free_port
from testing_support.wsgi import call_wsgi, wsgi_environ

PASSWORD = "hunter2-Pa55word"


def make_app(**config: Any) -> Any:
    from flask import Flask

    app = Flask("security_app")
    app.config.update(config)
    return app


@pytest.fixture
def summary_lines() -> Any:
    handler = CollectingHandler()
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("request.summary")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_builtin_check_errors_mask_passwords() -> None:
    """PostgreSQL and Redis down, passwords in their URLs: the body shows ***, not the password."""
    import redis
    import sqlalchemy

    from dockerflow.flask import Dockerflow

    closed = find_free_port()
    engine = sqlalchemy.create_engine(
        f"postgresql+psycopg://app:{PASSWORD}@127.0.0.1:{closed}/db",
        connect_args={"connect_timeout": 2},
    )
    client = redis.Redis.from_url(
        f"redis://:{PASSWORD}@127.0.0.1:{closed}/0", socket_connect_timeout=2
    )
    app = make_app()
    dockerflow = Dockerflow(app, db=engine, redis=client)

    @dockerflow.check
    def leaky() -> list[Any]:
        raise ConnectionError(f"cannot reach postgres://admin:{PASSWORD}@db/x?password={PASSWORD}")

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(JsonLogFormatter())
    checks_logger = logging.getLogger("dockerflow.checks")
    checks_logger.addHandler(handler)
    try:
        status, _, body = call_wsgi(app, wsgi_environ("/__heartbeat__"))
    finally:
        checks_logger.removeHandler(handler)

    assert status == 500
    payload = json.loads(body)
    assert set(payload["checks"].values()) == {"error"}
    assert PASSWORD.encode() not in body
    assert b"***" in body
    assert "Traceback" not in body.decode()
    # The log lines, the failing check's traceback included, are masked too.
    records = [json.loads(line) for line in log.getvalue().splitlines()]
    assert any("leaky" in record["Fields"].get("traceback", "") for record in records)
    assert PASSWORD not in log.getvalue()
    engine.dispose()


@pytest.mark.parametrize(
    "path",
    [
        '/nowhere\n{"Type":"forged"}',
        "/x\r\n\u2028\u2029\x85",
        "/\x1b[2J\x00",
    ],
)
def test_request_cannot_forge_log_lines(summary_lines: list[str], path: str) -> None:
    """Control characters and line breaks in path, agent and forwarding chain stay in one line."""
    from dockerflow.flask import Dockerflow

    app = make_app()
    Dockerflow(app)
    hostile = 'evil\n{"Type": "request.summary"}\u2028'
    call_wsgi(app, wsgi_environ(path, headers={"User-Agent": hostile, "X-Forwarded-For": hostile}))

    assert len(summary_lines) == 1
    line = summary_lines[0]
    assert line.splitlines() == [line]
    fields = json.loads(line)["Fields"]
    assert fields["path"] == path
    assert fields["agent"] == hostile.encode().decode("latin-1")  # the raw bytes, as WSGI says


def cache_control(app: Any, path: str) -> tuple[int, str | None]:
    status, headers, _ = call_wsgi(app, wsgi_environ(path))
    return status, headers.get("Cache-Control")


def test_cache_control_of_every_endpoint(tmp_path: Any) -> None:
    """no-store on the three health endpoints whatever their status; /__error__ sets none."""
    from flask import Flask

    from dockerflow.checks import Error
    from dockerflow.flask import Dockerflow

    app = Flask("cache_app", root_path=str(tmp_path / "app"))
    dockerflow = Dockerflow(app)
    failing = {"on": False}

    @dockerflow.check
    def switch() -> list[Any]:
        return [Error("down", id="x.E1")] if failing["on"] else []

    logging.getLogger("dockerflow.flask").disabled = True
    try:
        assert cache_control(app, "/__version__") == (404, "no-store")
        broken = Flask("broken_version_app", root_path=str(tmp_path / "broken" / "app"))
        (tmp_path / "broken").mkdir()
        (tmp_path / "broken" / "version.json").write_text("{broken")
        Dockerflow(broken)
        assert cache_control(broken, "/__version__") == (500, "no-store")
        assert cache_control(app, "/__heartbeat__") == (200, "no-store")
        failing["on"] = True
        assert cache_control(app, "/__heartbeat__") == (500, "no-store")
        assert cache_control(app, "/__lbheartbeat__") == (200, "no-store")
        assert cache_control(app, "/__error__") == (500, None)
    finally:
        logging.getLogger("dockerflow.flask").disabled = False


def test_error_endpoint_discloses_nothing_and_can_be_turned_off() -> None:
    """/__error__ answers a generic 500 (no exception text); turned off, the route is a 404."""
    from dockerflow.flask import Dockerflow

    app = make_app()
    Dockerflow(app)
    logging.getLogger("dockerflow.flask").disabled = True
    try:
        status, _, body = call_wsgi(app, wsgi_environ("/__error__"))
    finally:
        logging.getLogger("dockerflow.flask").disabled = False
    assert status == 500
    assert b"test exception" not in body
    assert b"Traceback" not in body

    closed = make_app(DOCKERFLOW_ENABLE_ERROR_ENDPOINT=False)
    Dockerflow(closed)
    assert call_wsgi(closed, wsgi_environ("/__error__"))[0] == 404


def test_heartbeat_details_are_hidden_from_the_public() -> None:
    """With details off, the public body names checks and statuses but no messages."""
    from dockerflow.checks import Error
    from dockerflow.flask import Dockerflow

    app = make_app(DOCKERFLOW_HEARTBEAT_DETAILS=False)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def database() -> list[Any]:
        return [Error("db.internal:5432 refused the connection", id="x.E1")]

    status, _, body = call_wsgi(app, wsgi_environ("/__heartbeat__"))

    assert status == 500
    assert json.loads(body) == {"status": "error", "checks": {"database": "error"}}
