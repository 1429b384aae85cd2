"""request.summary: one record per request with the mozlog fields."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time
from typing import Any, Callable

import pytest
from flask import Flask, Response, abort

from dockerflow.flask import Dockerflow

Records = Callable[[], "list[logging.LogRecord]"]


def add_routes(app: Flask) -> None:
    @app.route("/ok")
    def ok() -> str:
        return "fine"

    @app.route("/forbidden")
    def forbidden() -> str:
        abort(403)

    @app.route("/returns-500")
    def returns_500() -> tuple[str, int]:
        return "handled badly", 500

    @app.route("/raises")
    def raises() -> str:
        raise RuntimeError("kaboom")


def test_summary_record_has_every_field(app: Flask, summary_records: Records) -> None:
    """A successful request writes one INFO record with the mozlog fields."""
    add_routes(app)
    Dockerflow(app)

    app.test_client().get(
        "/ok",
        headers={"User-Agent": "tester/1.0", "Accept-Language": "fr-CA", "X-Request-ID": "r-1"},
    )

    (record,) = summary_records()
    assert record.levelno == logging.INFO
    assert record.getMessage() == ""
    fields = {
        key: getattr(record, key)
        for key in ("errno", "agent", "lang", "method", "path", "code", "rid", "uid")
    }
    assert fields == {
        "errno": 0,
        "agent": "tester/1.0",
        "lang": "fr-CA",
        "method": "GET",
        "path": "/ok",
        "code": 200,
        "rid": "r-1",
        "uid": "",
    }
    assert isinstance(record.t, int)
    assert 0 <= record.t < 10_000
    assert record.remoteAddressChain == ["127.0.0.1"]
    assert not hasattr(record, "querystring")


@pytest.mark.parametrize(
    ("path", "status"), [("/missing", 404), ("/forbidden", 403), ("/returns-500", 500)]
)
def test_error_statuses_set_errno_and_code(
    app: Flask, summary_records: Records, path: str, status: int
) -> None:
    """404, abort(403) and a returned 500 are logged at INFO with errno = code = status."""
    add_routes(app)
    Dockerflow(app)

    assert app.test_client().get(path).status_code == status

    (record,) = summary_records()
    assert (record.levelno, record.errno, record.code) == (logging.INFO, status, status)


def test_code_is_read_from_every_status_line(app: Flask, summary_records: Records) -> None:
    """Many distinct status lines (custom reason phrases) each give their own code."""

    @app.route("/status/<int:code>/<reason>")
    def custom_status(code: int, reason: str) -> Response:
        return Response("", status=f"{code} {reason}")

    Dockerflow(app)
    client = app.test_client()
    sent = [(200 + index % 5 * 100 + index % 7, f"Reason{index}") for index in range(150)]

    for code, reason in sent:
        client.get(f"/status/{code}/{reason}")

    logged = [(record.code, record.errno) for record in summary_records()]
    assert logged == [(code, code if code >= 400 else 0) for code, _ in sent]


def test_status_line_without_a_number_gives_code_zero(app: Flask, summary_records: Records) -> None:
    """A status line whose first three characters are no number is logged with code 0."""
    Dockerflow(app)

    def odd_status(environ: Any, start_response: Any) -> Any:
        start_response("OK", [("Content-Type", "text/plain")])
        return [b""]

    app.wsgi_app.wsgi_app = odd_status  # type: ignore[attr-defined]
    app.test_client().get("/anything")

    (record,) = summary_records()
    assert (record.code, record.errno) == (0, 0)


@pytest.mark.parametrize("testing", [False, True])
def test_unhandled_exception_writes_one_error_record_and_no_info(
    make_app: Any, summary_records: Records, testing: bool
) -> None:
    """An unhandled exception gives one ERROR record, errno 500, the exception's text as message.

    No traceback: Flask logs it once ("Exception on ..."), the summary does not repeat it.
    """
    app = make_app(TESTING=testing)
    add_routes(app)
    Dockerflow(app)

    if testing:
        with pytest.raises(RuntimeError):
            app.test_client().get("/raises")
    else:
        assert app.test_client().get("/raises").status_code == 500

    (record,) = summary_records()
    assert record.levelno == logging.ERROR
    assert (record.errno, record.code) == (500, 500)
    assert record.getMessage() == "kaboom"
    assert record.path == "/raises"
    assert record.exc_info is None


def test_duration_uses_a_monotonic_clock(
    app: Flask, summary_records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wall clock jumping during the request does not distort ``t``."""
    add_routes(app)

    @app.route("/clock-jumps")
    def clock_jumps() -> str:
        monkeypatch.setattr(time, "time", lambda: 1e9 + 86_400)
        return "ok"

    monkeypatch.setattr(time, "time", lambda: 1e9)
    Dockerflow(app)

    app.test_client().get("/clock-jumps")

    (record,) = summary_records()
    assert 0 <= record.t < 10_000


def test_querystring_is_decoded_when_enabled(make_app: Any, summary_records: Records) -> None:
    """DOCKERFLOW_SUMMARY_LOG_QUERYSTRING adds the percent-decoded query string."""
    app = make_app(DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=True)
    add_routes(app)
    Dockerflow(app)

    app.test_client().get("/ok?q=caf%C3%A9%20cr%C3%A8me&x=1%2B1")

    (record,) = summary_records()
    assert record.querystring == "q=café crème&x=1+1"


def test_remote_address_chain_lists_forwarders_then_peer(
    app: Flask, summary_records: Records
) -> None:
    """remoteAddressChain holds the X-Forwarded-For chain and then the peer address."""
    add_routes(app)
    Dockerflow(app)

    app.test_client().get(
        "/ok",
        headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.2"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )

    (record,) = summary_records()
    assert record.remoteAddressChain == ["203.0.113.7", "198.51.100.2", "10.0.0.1"]


def test_health_endpoints_are_summarised_by_default(app: Flask, summary_records: Records) -> None:
    """By default load balancer polls are logged like any request."""
    Dockerflow(app)

    app.test_client().get("/__lbheartbeat__")

    assert [record.path for record in summary_records()] == ["/__lbheartbeat__"]


def test_health_endpoints_can_be_left_out_of_the_summary(
    make_app: Any, summary_records: Records
) -> None:
    """DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS=False skips the three health endpoints only."""
    app = make_app(DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS=False)
    add_routes(app)
    Dockerflow(app)
    client = app.test_client()

    for path in ("/__lbheartbeat__", "/__heartbeat__", "/__version__", "/ok"):
        for method in ("GET", "HEAD", "OPTIONS", "POST"):
            client.open(path, method=method)

    assert [(record.path, record.method) for record in summary_records()] == [
        ("/ok", method) for method in ("GET", "HEAD", "OPTIONS", "POST")
    ]


def test_no_record_is_built_when_the_logger_is_disabled(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """With request.summary above INFO, no record is written (and none built)."""
    add_routes(app)
    Dockerflow(app)
    caplog.set_level(logging.WARNING, logger="request.summary")

    app.test_client().get("/ok")

    assert [record for record in caplog.records if record.name == "request.summary"] == []


def test_extension_never_changes_logger_levels_or_handlers(app: Flask) -> None:
    """Creating and using the extension leaves every logger's level and handlers alone."""
    names = ["request.summary", "dockerflow.flask", "dockerflow", ""]
    loggers = [logging.getLogger(name) for name in names]
    before = [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    add_routes(app)
    Dockerflow(app)

    app.test_client().get("/ok")
    app.test_client().get("/__error__")

    after = [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    assert after == before


class TestFlaskLogin:
    """uid comes from Flask-Login's authenticated user, and only then."""

    @pytest.fixture(params=["login-manager-first", "dockerflow-first"])
    def login_app(self, make_app: Any, request: pytest.FixtureRequest) -> Flask:
        flask_login = pytest.importorskip("flask_login")

        class User(flask_login.UserMixin):  # type: ignore[name-defined,misc]
            def __init__(self, user_id: str) -> None:
                self.id = user_id

        app = make_app(SECRET_KEY="test-secret")
        if request.param == "dockerflow-first":
            Dockerflow(app)
        manager = flask_login.LoginManager(app)
        manager.user_loader(lambda user_id: User(user_id))

        @app.route("/login/<user_id>")
        def login(user_id: str) -> str:
            flask_login.login_user(User(user_id))
            return "in"

        @app.route("/page")
        def page() -> str:
            return "page"

        if request.param == "login-manager-first":
            Dockerflow(app)
        return app

    def test_uid_is_the_logged_in_user_id(self, login_app: Flask, summary_records: Records) -> None:
        """After login_user, later requests carry the user's id."""
        client = login_app.test_client()
        client.get("/login/42")
        client.get("/page")

        assert [record.uid for record in summary_records()] == ["42", "42"]

    def test_uid_is_empty_for_an_anonymous_user(
        self, login_app: Flask, summary_records: Records
    ) -> None:
        """Without a logged-in user uid is ""."""
        login_app.test_client().get("/page")

        assert [record.uid for record in summary_records()] == [""]

    def test_uid_is_empty_in_an_app_without_a_login_manager(
        self, login_app: Flask, make_app: Any, summary_records: Records
    ) -> None:
        """Flask-Login imported for another app: this app's uid is "" and its summary written."""
        other = make_app()
        add_routes(other)
        Dockerflow(other)
        login_app.test_client().get("/login/7")  # Flask-Login has served a request

        other.test_client().get("/ok")

        assert [(record.path, record.uid) for record in summary_records()][-1] == ("/ok", "")


def test_flask_login_is_not_imported_when_the_app_does_not_use_it() -> None:
    """An app without a LoginManager never imports flask_login (checked in a fresh process)."""
    script = textwrap.dedent(
        """
        import sys
        from flask import Flask
        from dockerflow.flask import Dockerflow
        app = Flask("plain")
        Dockerflow(app)
        assert app.test_client().get("/__lbheartbeat__").status_code == 200
        print("flask_login" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "False"


def test_summary_is_written_when_flask_login_is_not_installed() -> None:
    """Without Flask-Login installed (its import blocked, in a fresh process) uid is ""."""
    script = textwrap.dedent(
        """
        import io, json, logging, sys
        sys.modules["flask_login"] = None  # what `import flask_login` sees when it is absent
        from flask import Flask
        from dockerflow.flask import Dockerflow
        from dockerflow.logging import JsonLogFormatter
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonLogFormatter(logger_name="plain"))
        logging.getLogger("request.summary").addHandler(handler)
        logging.getLogger("request.summary").setLevel(logging.INFO)
        app = Flask("plain")
        Dockerflow(app)
        app.route("/page")(lambda: "page")
        assert app.test_client().get("/page").status_code == 200
        print(stream.getvalue())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [(line["Type"], line["Fields"]["path"], line["Fields"]["uid"]) for line in lines] == [
        ("request.summary", "/page", "")
    ]
