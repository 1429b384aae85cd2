"""The request path in the WSGI stacks real services build: streaming, middleware, nesting."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from flask import Flask, Response, g, request, send_file, stream_with_context
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder

from dockerflow.flask import Dockerflow
from testing_support.wsgi import call_wsgi_for_status_line

Records = Callable[[], "list[logging.LogRecord]"]


def call_wsgi_at(app: Any, path: str, **environ: Any) -> tuple[str, dict[str, str], bytes]:
    """Call ``app`` at ``path`` as a WSGI server does; ``environ`` keys go over werkzeug's."""
    builder = EnvironBuilder(path=path, headers=environ.pop("headers", None))
    return call_wsgi_for_status_line(app, {**builder.get_environ(), **environ})


@pytest.mark.parametrize("with_context", [False, True], ids=["generator", "stream_with_context"])
def test_records_logged_while_the_body_streams_carry_the_request_id(
    app: Flask, app_records: list[logging.LogRecord], with_context: bool
) -> None:
    """The server iterates the body after the view returned: the id is still set then,
    and in the teardown that stream_with_context runs when the body is closed."""
    log = logging.getLogger("app")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.info("teardown")

    @app.get("/stream")
    def stream() -> Response:
        def chunks() -> Iterator[str]:
            for number in range(3):
                log.info("chunk %d", number)
                yield f"{number}\n"

        return Response(stream_with_context(chunks()) if with_context else chunks())

    Dockerflow(app)
    status, _, body = call_wsgi_at(app, "/stream", headers={"X-Request-ID": "streamed"})

    assert (status, body) == ("200 OK", b"0\n1\n2\n")
    messages = [(record.getMessage(), record.rid) for record in app_records]  # type: ignore[attr-defined]
    chunks = [("chunk 0", "streamed"), ("chunk 1", "streamed"), ("chunk 2", "streamed")]
    assert [message for message in messages if message[0] != "teardown"] == chunks
    # Flask 3 tears down once more when stream_with_context's body is closed; Flask 2.3 only then.
    teardowns = [message for message in messages if message[0] == "teardown"]
    assert teardowns in ([("teardown", "streamed")], [("teardown", "streamed")] * 2)
    if with_context:
        assert messages[-1] == ("teardown", "streamed")  # the one the body's close ran


def test_the_request_id_is_gone_once_the_body_is_closed(app: Flask) -> None:
    from dockerflow.logging import request_id_context

    @app.get("/stream")
    def stream() -> Response:
        return Response(iter(["a", "b"]))

    Dockerflow(app)
    call_wsgi_at(app, "/stream", headers={"X-Request-ID": "gone-after"})

    assert request_id_context.get() is None


def test_the_app_and_its_body_share_a_context_that_the_server_never_sees(app: Flask) -> None:
    """A variable the view sets is there while the body streams, and gone after."""
    tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant", default=None)

    @app.get("/stream")
    def stream() -> Response:
        tenant.set("acme")

        def chunks() -> Iterator[str]:
            yield str(tenant.get())

        return Response(chunks())

    Dockerflow(app)
    status, _, body = call_wsgi_at(app, "/stream")

    assert (status, body) == ("200 OK", b"acme")
    assert tenant.get() is None


def test_a_body_whose_iter_runs_code_runs_it_with_the_request_id(
    app: Flask, app_records: list[logging.LogRecord]
) -> None:
    """A body's ``__iter__`` may run app code (a lazy body of an inner middleware)."""
    log = logging.getLogger("app")

    class LazyBody:
        def __iter__(self) -> Iterator[bytes]:
            log.info("rendering")
            return iter([b"lazy"])

    def lazy(environ: dict[str, Any], start_response: Any) -> LazyBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return LazyBody()

    app.wsgi_app = lazy  # type: ignore[assignment]
    Dockerflow(app)
    status, _, body = call_wsgi_at(app, "/", headers={"X-Request-ID": "lazy-1"})

    assert (status, body) == ("200 OK", b"lazy")
    assert [(record.getMessage(), record.rid) for record in app_records] == [  # type: ignore[attr-defined]
        ("rendering", "lazy-1")
    ]


def test_a_dispatched_path_is_logged_as_it_arrived(app: Flask, summary_records: Records) -> None:
    """DispatcherMiddleware installed before Dockerflow: the summary has the full path."""

    def metrics(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/metrics": metrics})  # type: ignore[method-assign]
    Dockerflow(app)

    status, headers, body = call_wsgi_at(app, "/metrics/extra", headers={"X-Request-ID": "m-1"})

    assert (status, body, headers["X-Request-ID"]) == ("200 OK", b"/metrics|/extra", "m-1")
    (record,) = summary_records()
    assert (record.path, record.code, record.rid) == ("/metrics/extra", 200, "m-1")


@pytest.mark.parametrize("order", ["proxy-fix-inside", "proxy-fix-outside"])
def test_the_address_chain_ends_with_the_real_peer_behind_proxy_fix(
    app: Flask, summary_records: Records, order: str
) -> None:
    """ProxyFix rewrites REMOTE_ADDR to the client: the chain still lists client, then proxy."""

    @app.get("/who")
    def who() -> str:
        return str(request.remote_addr)

    if order == "proxy-fix-inside":
        app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
        Dockerflow(app)
    else:
        Dockerflow(app)
        app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]

    _, _, body = call_wsgi_at(
        app, "/who", headers={"X-Forwarded-For": "203.0.113.9"}, REMOTE_ADDR="10.0.0.2"
    )

    assert body == b"203.0.113.9"  # what ProxyFix is for
    (record,) = summary_records()
    assert record.remoteAddressChain == ["203.0.113.9", "10.0.0.2"]


def test_an_app_dispatched_inside_another_shares_its_request_id(
    make_app: Any, summary_records: Records, app_records: list[logging.LogRecord]
) -> None:
    """Outer and inner Dockerflow apps: one request id everywhere, one summary per app."""
    outer, inner = make_app(), make_app()

    @inner.get("/where")
    def where() -> str:
        logging.getLogger("app").info("inner view")
        return str(g.request_id)

    Dockerflow(inner)
    outer.wsgi_app = DispatcherMiddleware(outer.wsgi_app, {"/inner": inner})  # type: ignore[method-assign]
    Dockerflow(outer)

    _, headers, body = call_wsgi_at(outer, "/inner/where")

    request_id = headers["X-Request-ID"]
    assert body.decode() == request_id
    assert [record.rid for record in app_records] == [request_id]  # type: ignore[attr-defined]
    summaries = sorted((record.path, record.rid) for record in summary_records())
    assert summaries == [("/inner/where", request_id), ("/where", request_id)]


def test_code_is_the_status_an_error_handler_sent(app: Flask, summary_records: Records) -> None:
    """A view raises and @errorhandler(500) answers 503: the summary says 503."""

    @app.get("/raises")
    def raises() -> str:
        raise RuntimeError("kaboom")

    @app.errorhandler(500)
    def unavailable(error: Exception) -> tuple[str, int]:
        return "try later", 503

    Dockerflow(app)
    response = app.test_client().get("/raises")

    assert response.status_code == 503
    (record,) = summary_records()
    assert (record.levelno, record.code, record.errno) == (logging.ERROR, 503, 503)
    assert (record.getMessage(), record.exc_info) == ("kaboom", None)


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no text for you")


@pytest.mark.parametrize("testing", [False, True])
def test_an_exception_whose_str_raises_keeps_its_summary(
    make_app: Any, summary_records: Records, testing: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(TESTING=testing)

    @app.get("/unprintable")
    def unprintable() -> str:
        raise UnprintableError

    Dockerflow(app)
    if testing:
        with pytest.raises(UnprintableError):
            app.test_client().get("/unprintable")
    else:
        assert app.test_client().get("/unprintable").status_code == 500

    (record,) = summary_records()
    assert (record.levelno, record.code) == (logging.ERROR, 500)
    assert "UnprintableError" in record.getMessage()
    assert "request.summary record failed" not in capsys.readouterr().err


def test_a_base_exception_from_the_view_keeps_its_summary(
    app: Flask, summary_records: Records, capsys: pytest.CaptureFixture[str]
) -> None:
    """asyncio.CancelledError is no Exception: Flask lets it through, the summary is written."""

    @app.get("/cancelled")
    def cancelled() -> str:
        raise asyncio.CancelledError("client went away")

    Dockerflow(app)
    with pytest.raises(asyncio.CancelledError):
        app.test_client().get("/cancelled", headers={"X-Request-ID": "c-1"})

    (record,) = summary_records()
    assert (record.levelno, record.code, record.rid) == (logging.ERROR, 500, "c-1")
    assert record.getMessage() == "client went away"
    assert "request.summary record failed" not in capsys.readouterr().err


class TestSummaryHooks:
    """``summary_extra()`` and ``user_id()`` are overridden by real services."""

    def test_what_summary_extra_returns_is_what_is_logged(
        self, app: Flask, summary_records: Records
    ) -> None:
        class AcmeDockerflow(Dockerflow):
            def summary_extra(self) -> dict[str, Any]:
                fields = super().summary_extra()
                fields["client"] = request.headers.get("X-Client", "")
                fields["from_g"] = g.get("tenant")
                fields["agent"] = "hidden"
                del fields["lang"]
                return fields

        @app.before_request
        def tenant() -> None:
            g.tenant = "acme"

        @app.get("/ok")
        def ok() -> str:
            return "ok"

        AcmeDockerflow(app)
        app.test_client().get("/ok", headers={"X-Client": "mobile", "Accept-Language": "fr"})

        (record,) = summary_records()
        assert (record.client, record.from_g, record.agent) == ("mobile", "acme", "hidden")
        assert not hasattr(record, "lang")
        assert (record.path, record.code) == ("/ok", 200)

    def test_summary_extra_sees_the_final_status_of_an_error(
        self, app: Flask, summary_records: Records
    ) -> None:
        seen: list[tuple[int, bool]] = []

        class Watching(Dockerflow):
            def summary_extra(self) -> dict[str, Any]:
                fields = super().summary_extra()
                seen.append((fields["code"], request.path == "/raises"))
                return fields

        @app.get("/raises")
        def raises() -> str:
            raise RuntimeError("kaboom")

        Watching(app)
        app.test_client().get("/raises")

        assert seen[-1] == (500, True)
        (record,) = summary_records()
        assert (record.levelno, record.errno) == (logging.ERROR, 500)

    def test_an_overridden_user_id_is_the_uid(self, app: Flask, summary_records: Records) -> None:
        class HeaderUser(Dockerflow):
            def user_id(self) -> str | None:
                return request.headers.get("X-User")

        HeaderUser(app)
        client = app.test_client()
        client.get("/__lbheartbeat__", headers={"X-User": "u-7"})
        client.get("/__lbheartbeat__")

        assert [record.uid for record in summary_records()] == ["u-7", ""]

    def test_a_failing_summary_extra_gives_the_default_fields_and_an_error(
        self, app: Flask, summary_records: Records, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Broken(Dockerflow):
            def summary_extra(self) -> dict[str, Any]:
                raise KeyError("missing")

        Broken(app)
        response = app.test_client().get("/__lbheartbeat__", headers={"X-Request-ID": "b-1"})

        assert response.status_code == 200
        (record,) = summary_records()
        assert (record.path, record.rid, record.code) == ("/__lbheartbeat__", "b-1", 200)
        errors = [r for r in caplog.records if r.name == "dockerflow.flask"]
        assert [r.levelno for r in errors] == [logging.ERROR]
        assert "summary_extra" in errors[0].getMessage()

    def test_a_field_named_like_a_record_attribute_is_kept_under_another_name(
        self, app: Flask, summary_records: Records
    ) -> None:
        class Clashing(Dockerflow):
            def summary_extra(self) -> dict[str, Any]:
                return {**super().summary_extra(), "name": "acme", "msg": "hi"}

        Clashing(app)
        app.test_client().get("/__lbheartbeat__")

        (record,) = summary_records()
        assert (record.name, record.getMessage()) == ("request.summary", "")
        assert (record.name_, record.msg_) == ("acme", "hi")  # type: ignore[attr-defined]

    def test_summary_extra_called_in_a_test_request_context(self, app: Flask) -> None:
        """python-dockerflow users' tests call it directly: it answers for that request."""
        dockerflow = Dockerflow(app)

        with app.test_request_context("/some/path", headers={"User-Agent": "t/1"}):
            fields = dockerflow.summary_extra()

        assert (fields["path"], fields["agent"], fields["uid"]) == ("/some/path", "t/1", "")


@pytest.mark.parametrize("server", ["uwsgi-function", "gunicorn-class"])
def test_a_send_file_body_reaches_the_server_as_its_file_wrapper_made_it(
    app: Flask, summary_records: Records, tmp_path: Any, server: str
) -> None:
    """The server sends such a body with sendfile() only when it gets its own object back.

    uWSGI's ``wsgi.file_wrapper`` is a function returning the file itself;
    gunicorn's is a class.
    """
    document = tmp_path / "document.txt"
    document.write_bytes(b"sent by the server")

    class GunicornLikeWrapper:
        def __init__(self, filelike: Any, blksize: int = 8192) -> None:
            self.filelike = filelike

        def __iter__(self) -> Iterator[bytes]:
            return iter(lambda: self.filelike.read(8192), b"")

        def close(self) -> None:
            self.filelike.close()

    def uwsgi_like_wrapper(filelike: Any, blksize: int = 8192) -> Any:
        return filelike

    @app.get("/document")
    def send() -> Response:
        return send_file(document, mimetype="text/plain")

    Dockerflow(app)
    wrapper = uwsgi_like_wrapper if server == "uwsgi-function" else GunicornLikeWrapper
    environ = EnvironBuilder(path="/document", headers={"X-Request-ID": "f-1"}).get_environ()
    environ["wsgi.file_wrapper"] = wrapper
    sent: list[str] = []

    body = app(environ, lambda status, headers, exc_info=None: sent.append(status))
    try:
        if server == "uwsgi-function":
            assert body.fileno() >= 0  # type: ignore[attr-defined]
        else:
            assert isinstance(body, GunicornLikeWrapper)
        assert b"".join(body) == b"sent by the server"
    finally:
        body.close()  # type: ignore[attr-defined]

    assert sent == ["200 OK"]
    (record,) = summary_records()
    assert (record.path, record.code, record.rid) == ("/document", 200, "f-1")
