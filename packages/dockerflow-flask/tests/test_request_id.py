"""Request ids: read or generated, published for the request, echoed, then reset."""

from __future__ import annotations

import logging
import re
from typing import Any, Callable

import pytest
from flask import Flask, g, request

from dockerflow.flask import Dockerflow
from dockerflow.logging import RequestIdLogFilter, request_id_context

Records = Callable[[], "list[logging.LogRecord]"]


def is_new_id(value: str) -> bool:
    """Whether ``value`` is a request id we made: 32 lowercase hex digits."""
    return re.fullmatch("[0-9a-f]{32}", value) is not None


def test_request_id_header_is_kept_and_echoed(app: Flask, summary_records: Records) -> None:
    """A safe X-Request-ID is used for the request and echoed in the response."""
    Dockerflow(app)

    response = app.test_client().get("/__lbheartbeat__", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"
    assert summary_records()[0].rid == "abc-123"


def test_missing_request_id_is_generated(app: Flask) -> None:
    """Without the header a new id is made and echoed."""
    Dockerflow(app)

    response = app.test_client().get("/__lbheartbeat__")

    assert is_new_id(response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    "hostile",
    ["a" * 129, "two words", 'quote"d', "single'quote", "tab\there", "bell\x07"],
)
def test_unsafe_request_ids_are_replaced(app: Flask, hostile: str) -> None:
    """Over-long values or ones with whitespace, quotes or control characters are replaced."""
    Dockerflow(app)

    response = app.test_client().get("/__lbheartbeat__", headers={"X-Request-ID": hostile})

    echoed = response.headers["X-Request-ID"]
    assert echoed != hostile
    assert is_new_id(echoed)


def test_request_id_header_name_setting(make_app: Any, summary_records: Records) -> None:
    """DOCKERFLOW_REQUEST_ID_HEADER_NAME changes which header is read and echoed."""
    app = make_app(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Amzn-Trace-Id")
    Dockerflow(app)

    response = app.test_client().get("/__lbheartbeat__", headers={"X-Amzn-Trace-Id": "t-9"})

    assert response.headers["X-Amzn-Trace-Id"] == "t-9"
    assert "X-Request-ID" not in response.headers
    assert [record.rid for record in summary_records()] == ["t-9"]


def test_request_id_context_is_reset_after_the_request(app: Flask) -> None:
    """The id set for a request does not leak into the thread after it."""
    seen: list[Any] = []

    @app.route("/peek")
    def peek() -> str:
        seen.append(request_id_context.get())
        return "ok"

    Dockerflow(app)
    assert request_id_context.get() is None

    app.test_client().get("/peek", headers={"X-Request-ID": "leaky"})

    assert seen == ["leaky"]
    assert request_id_context.get() is None


def test_request_id_context_is_reset_after_an_unhandled_exception(make_app: Any) -> None:
    """Even a request that raises leaves no request id behind."""
    app = make_app(TESTING=True)

    @app.route("/raises")
    def raises() -> str:
        raise RuntimeError("boom")

    Dockerflow(app)

    with pytest.raises(RuntimeError):
        app.test_client().get("/raises", headers={"X-Request-ID": "leaky"})

    assert request_id_context.get() is None


def test_g_request_id_is_set(app: Flask) -> None:
    """The view sees the request id as flask.g.request_id."""

    @app.route("/g")
    def show() -> str:
        return str(g.request_id)

    Dockerflow(app)

    assert app.test_client().get("/g", headers={"X-Request-ID": "via-g"}).data == b"via-g"


def test_g_request_id_set_by_the_app_is_not_overwritten(app: Flask) -> None:
    """An id the app put in g before our hook stays there."""

    @app.url_value_preprocessor
    def choose_id(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.request_id = "app-chosen"

    @app.route("/g")
    def show() -> str:
        return str(g.request_id)

    Dockerflow(app)
    response = app.test_client().get("/g", headers={"X-Request-ID": "from-header"})

    assert response.data == b"app-chosen"
    assert response.headers["X-Request-ID"] == "from-header"


def test_every_record_of_the_request_can_carry_the_id(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Records logged by the app during the request get ``rid`` through RequestIdLogFilter."""
    app_logger = logging.getLogger("acme.views")
    request_filter = RequestIdLogFilter()
    caplog.handler.addFilter(request_filter)
    caplog.set_level(logging.INFO, logger="acme.views")

    @app.before_request
    def early() -> None:
        app_logger.info("app before_request hook")

    @app.route("/work")
    def work() -> str:
        app_logger.info("doing work")
        return "ok"

    @app.teardown_request
    def late(exc: BaseException | None) -> None:
        app_logger.info("app teardown_request hook")

    Dockerflow(app)
    try:
        app.test_client().get("/work", headers={"X-Request-ID": "carried"})
    finally:
        caplog.handler.removeFilter(request_filter)

    rids = [record.rid for record in caplog.records if record.name == "acme.views"]
    assert rids == ["carried", "carried", "carried"]


def test_an_echo_header_the_view_set_is_replaced(app: Flask) -> None:
    """The response carries the request's id once, even when the view set that header."""

    @app.route("/sets-header")
    def sets_header() -> tuple[str, dict[str, str]]:
        return "ok", {"x-request-id": "from-the-view"}

    Dockerflow(app)
    response = app.test_client().get("/sets-header", headers={"X-Request-ID": "sent"})

    assert response.headers.getlist("X-Request-ID") == ["sent"]


def test_the_request_id_is_in_the_wsgi_environ(app: Flask) -> None:
    """WSGI code inside the app reads the id as environ["dockerflow.request_id"]."""

    @app.route("/environ")
    def show() -> str:
        return str(request.environ["dockerflow.request_id"])

    Dockerflow(app)

    assert app.test_client().get("/environ", headers={"X-Request-ID": "e-1"}).data == b"e-1"


def test_g_request_id_is_set_without_the_wsgi_wrapper(app: Flask) -> None:
    """Dispatching inside test_request_context (no WSGI call) still sets g.request_id."""

    @app.route("/g")
    def show() -> str:
        return str(g.request_id)

    Dockerflow(app)
    with app.test_request_context("/g", headers={"X-Request-ID": "direct"}):
        response = app.full_dispatch_request()

    assert response.get_data() == b"direct"


def test_g_request_id_reads_like_any_g_attribute(app: Flask) -> None:
    """In a view, "request_id" in g, g.get and g.request_id agree."""

    @app.route("/g")
    def show() -> str:
        return f"{'request_id' in g} {g.get('request_id')} {g.request_id}"

    Dockerflow(app)

    assert app.test_client().get("/g", headers={"X-Request-ID": "rid"}).data == b"True rid rid"


def test_g_request_id_is_each_requests_own_under_an_outer_app_context(app: Flask) -> None:
    """With an app context pushed around the client (a test fixture), g gives each request's id."""

    @app.route("/g")
    def show() -> str:
        return f"{g.get('request_id')} {g.request_id}"

    Dockerflow(app)
    client = app.test_client()

    with app.app_context():
        first = client.get("/g", headers={"X-Request-ID": "first"}).data
        second = client.get("/g", headers={"X-Request-ID": "second"}).data

    assert (first, second) == (b"first first", b"second second")


def test_apps_with_different_headers_read_their_own(make_app: Any) -> None:
    """Two apps, each with its own id header, each read their own."""
    first = make_app(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-First-ID")
    Dockerflow(first)
    second = make_app(DOCKERFLOW_REQUEST_ID_HEADER_NAME="X-Second-ID")
    Dockerflow(second)
    for app in (first, second):

        @app.route("/g")
        def show() -> str:
            return str(g.request_id)

    assert first.test_client().get("/g", headers={"X-First-ID": "one"}).data == b"one"
    assert second.test_client().get("/g", headers={"X-Second-ID": "two"}).data == b"two"
    with second.test_request_context("/g", headers={"X-Second-ID": "direct"}):
        assert second.full_dispatch_request().get_data() == b"direct"


def test_middleware_added_later_wraps_ours(app: Flask, summary_records: Records) -> None:
    """Middleware wrapped around app.wsgi_app after init_app still gets the echo and summary."""
    Dockerflow(app)
    inner = app.wsgi_app

    def outer(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = "/__lbheartbeat__"
        return inner(environ, start_response)

    app.wsgi_app = outer  # type: ignore[method-assign]
    response = app.test_client().get("/rewritten", headers={"X-Request-ID": "mw"})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "mw"
    (record,) = summary_records()
    assert (record.path, record.rid, record.code) == ("/__lbheartbeat__", "mw", 200)


def test_summary_waits_for_a_start_response_deferred_to_the_body(
    app: Flask, summary_records: Records
) -> None:
    """Middleware inside ours that calls start_response late still gets one summary."""

    @app.route("/late")
    def late() -> tuple[str, int]:
        return "late", 202

    Dockerflow(app)
    flask_wsgi_app = app.wsgi_app.wsgi_app  # type: ignore[attr-defined]

    def deferring(environ: dict[str, Any], start_response: Any) -> Any:
        def body() -> Any:
            yield from flask_wsgi_app(environ, start_response)

        return body()

    app.wsgi_app.wsgi_app = deferring  # type: ignore[attr-defined]
    response = app.test_client().get("/late", headers={"X-Request-ID": "deferred"})

    assert (response.status_code, response.data) == (202, b"late")
    assert response.headers["X-Request-ID"] == "deferred"
    response.close()
    (record,) = summary_records()
    assert (record.code, record.rid, record.path) == (202, "deferred", "/late")
