"""The summary is handled inside its request: what the request's other records see, it sees."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from flask import Flask, g, has_request_context, request

from dockerflow.flask import Dockerflow
from dockerflow.logging import JsonLogFormatter, RequestIdLogFilter

Records = Callable[[], "list[logging.LogRecord]"]


@pytest.fixture
def summary_lines() -> Iterator[io.StringIO]:
    """Every record of ``request.summary`` and ``dockerflow.flask``, and Flask's own, as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter(logger_name="test"))
    handler.addFilter(RequestIdLogFilter())
    loggers = [logging.getLogger(name) for name in ("request.summary", "dockerflow.flask")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_a_handler_filter_reading_flask_request_sees_the_summarys_request(
    app: Flask, summary_records: Records
) -> None:
    """Flask's logging docs' filter (has_request_context, request.endpoint) fills the summary."""

    class RequestInfo(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.endpoint = request.endpoint if has_request_context() else None
            return True

    @app.get("/notes")
    def notes() -> str:
        return "notes"

    request_info = RequestInfo()
    logging.getLogger("request.summary").addFilter(request_info)
    try:
        Dockerflow(app)
        app.test_client().get("/notes")
    finally:
        logging.getLogger("request.summary").removeFilter(request_info)

    (record,) = summary_records()
    assert record.endpoint == "notes"  # type: ignore[attr-defined]


def test_a_context_variable_set_in_before_request_is_on_the_summary(
    app: Flask, summary_records: Records
) -> None:
    """structlog's contextvars style: a variable bound in before_request reaches the summary."""
    tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant", default=None)

    class Tenant(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.tenant = tenant.get()
            return True

    Dockerflow(app)

    @app.before_request
    def bind_tenant() -> None:
        tenant.set(request.headers.get("X-Tenant"))

    tenant_filter = Tenant()
    logging.getLogger("request.summary").addFilter(tenant_filter)
    try:
        app.test_client().get("/__lbheartbeat__", headers={"X-Tenant": "acme"})
    finally:
        logging.getLogger("request.summary").removeFilter(tenant_filter)

    (record,) = summary_records()
    assert record.tenant == "acme"  # type: ignore[attr-defined]
    assert tenant.get() is None  # and it never leaked out of the request


def test_the_summary_comes_before_other_extensions_teardown_functions(
    app: Flask, summary_records: Records
) -> None:
    """A teardown function registered before or after Dockerflow runs after the summary."""
    order: list[str] = []

    @app.teardown_request
    def before(exc: BaseException | None) -> None:
        order.append(f"teardown before, {len(summary_records())} summary")

    Dockerflow(app)

    @app.teardown_request
    def after(exc: BaseException | None) -> None:
        order.append(f"teardown after, {len(summary_records())} summary")

    app.test_client().get("/__lbheartbeat__")

    assert sorted(order) == ["teardown after, 1 summary", "teardown before, 1 summary"]


def test_the_error_endpoint_logs_its_traceback_once(
    make_app: Any, summary_lines: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    """/__error__: one ERROR line with the traceback (Flask's), the summary has the text only."""
    app = make_app()
    app.logger.addHandler(logging.StreamHandler(summary_lines))
    Dockerflow(app)

    assert app.test_client().get("/__error__").status_code == 500

    output = summary_lines.getvalue()
    assert output.count("Traceback (most recent call last)") == 1
    summary = [json.loads(line) for line in output.splitlines() if '"request.summary"' in line]
    (line,) = summary
    assert line["Severity"] == 3
    assert line["Fields"]["msg"] == "This is a test exception from the /__error__ endpoint."
    assert "traceback" not in line["Fields"]
    assert "error" not in line["Fields"]


class Customflow(Dockerflow):
    """How tlscs-dockerflow and dependency-observatory subclass it."""


def test_init_app_again_on_the_same_app_does_nothing(
    app: Flask, summary_records: Records, tmp_path: Any
) -> None:
    """Customflow(app, ...) then init_app(app): no error, one set of hooks, one summary."""
    dockerflow = Customflow(app, silenced_checks=["W001"])
    hooks = (
        list(app.before_request_funcs[None]),
        list(app.teardown_request_funcs[None]),
        app.wsgi_app,
        dict(app.blueprints),
    )

    dockerflow.init_app(app)

    assert hooks == (
        list(app.before_request_funcs[None]),
        list(app.teardown_request_funcs[None]),
        app.wsgi_app,
        dict(app.blueprints),
    )
    response = app.test_client().get("/__lbheartbeat__", headers={"X-Request-ID": "once"})
    assert response.headers.getlist("X-Request-ID") == ["once"]
    assert [record.rid for record in summary_records()] == ["once"]  # type: ignore[attr-defined]


def test_another_dockerflow_object_on_the_same_app_is_an_error(app: Flask) -> None:
    """Two objects would write two summaries per request: the second init_app says so."""
    Dockerflow(app)
    with pytest.raises(RuntimeError, match="another Dockerflow object"):
        Dockerflow(app)


def test_g_start_timestamp_is_the_time_the_request_started(app: Flask) -> None:
    """python-dockerflow's g._start_timestamp and g._request_id, read by services' own tests."""
    seen: dict[str, Any] = {}

    @app.get("/seen")
    def view() -> str:
        seen.update(start=g._start_timestamp, request_id=g._request_id)
        return "ok"

    Dockerflow(app)
    before = time.time()
    app.test_client().get("/seen", headers={"X-Request-ID": "ts-1"})
    after = time.time()

    assert isinstance(seen["start"], float)
    assert before <= seen["start"] <= after
    assert seen["request_id"] == "ts-1"


def test_the_error_endpoint_logs_through_logging_as_it_is_when_the_extension_is_made(
    tmp_path: Any,
) -> None:
    """python-dockerflow's suite reloads ``logging``, then makes a Dockerflow: it logs there."""
    script = textwrap.dedent(
        """
        import importlib, logging
        from flask import Flask
        from dockerflow.flask import Dockerflow

        importlib.reload(logging)
        records = []

        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record)

        logging.getLogger("dockerflow.flask").addHandler(Keep())
        app = Flask("reloaded")
        Dockerflow(app)
        assert app.test_client().get("/__error__").status_code == 500
        print([(r.levelname, r.getMessage()) for r in records][0])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('ERROR', 'The __error__ endpoint was called')"


@pytest.mark.parametrize("registered", ["before", "after"])
def test_a_re_raised_exception_is_summarised_before_other_teardown_functions(
    make_app: Any, summary_records: Records, registered: str
) -> None:
    """Testing mode: Flask re-raises, and the summary still precedes every teardown."""
    app = make_app(TESTING=True)
    order: list[str] = []

    @app.get("/raises")
    def raises() -> str:
        raise RuntimeError("kaboom")

    def other_extension(exc: BaseException | None) -> None:
        order.append(f"teardown after {len(summary_records())} summary")

    if registered == "before":
        app.teardown_request(other_extension)
        Dockerflow(app)
    else:
        Dockerflow(app)
        app.teardown_request(other_extension)

    with pytest.raises(RuntimeError):
        app.test_client().get("/raises")

    assert order == ["teardown after 1 summary"]
    (record,) = summary_records()
    assert (record.levelno, record.code, record.getMessage()) == (logging.ERROR, 500, "kaboom")


def test_an_error_inside_another_request_context_of_the_view_is_not_the_requests(
    app: Flask, summary_records: Records
) -> None:
    """A view pushes test_request_context() for other work, catches its error, answers 200."""

    @app.get("/mail")
    def mail() -> str:
        try:
            with app.test_request_context("/render"):
                raise ValueError("template failed")
        except ValueError:
            return "sent anyway"

    Dockerflow(app)
    assert app.test_client().get("/mail").status_code == 200

    (record,) = summary_records()
    assert (record.levelno, record.code, record.path) == (logging.INFO, 200, "/mail")


def test_a_status_the_server_refuses_is_summarised_as_the_error_it_becomes(
    app: Flask, summary_records: Records
) -> None:
    Dockerflow(app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/__lbheartbeat__", "SERVER_NAME": "x",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http"}  # fmt: skip

    def refusing(status: str, headers: Any, exc_info: Any = None) -> Any:
        raise ValueError("header refused")

    with pytest.raises(ValueError, match="header refused"):
        app(environ, refusing)

    (record,) = summary_records()
    assert (record.levelno, record.code, record.getMessage()) == (
        logging.ERROR,
        500,
        "header refused",
    )


def test_each_dispatch_outside_the_wrapper_reads_its_own_header(app: Flask) -> None:
    """extract_request_id leaves its id in the context; the next request still reads its header."""
    from dockerflow.flask.app import extract_request_id

    Dockerflow(app)
    ids: list[str] = []

    def dispatch_twice() -> None:
        for sent in ("first", "second"):
            with app.test_request_context("/", headers={"X-Request-ID": sent}):
                ids.append(extract_request_id())
                app.preprocess_request()
                ids.append(g.request_id)

    # In a context of its own: extract_request_id leaves the id set, as
    # python-dockerflow's did, and the next test must not see it.
    contextvars.copy_context().run(dispatch_twice)

    assert ids == ["first", "first", "second", "second"]


class TestPythonDockerflowsOwnTestPattern:
    """test_request_context(), preprocess_request(), process_response() or handle_exception()."""

    def test_a_response_gets_one_info_summary(self, app: Flask, summary_records: Records) -> None:
        from flask import Response

        Dockerflow(app)
        with app.test_request_context("/", headers={"X-Request-ID": "pd-1"}):
            app.preprocess_request()
            app.process_response(Response(""))

        (record,) = summary_records()
        assert (record.levelno, record.rid, record.path, record.code) == (
            logging.INFO,
            "pd-1",
            "/",
            200,
        )

    def test_an_exception_gets_one_error_summary(
        self, app: Flask, summary_records: Records
    ) -> None:
        from flask import Response

        Dockerflow(app)
        with app.test_request_context("/"):
            app.preprocess_request()
            app.handle_exception(ValueError("exception message"))
            app.process_response(Response(""))

        (record,) = summary_records()
        assert (record.levelno, record.errno, record.getMessage()) == (
            logging.ERROR,
            500,
            "exception message",
        )
