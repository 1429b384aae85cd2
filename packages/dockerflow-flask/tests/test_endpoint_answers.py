"""Small pieces of the request path answer what the general Werkzeug and Flask paths answer."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders
from werkzeug.test import EnvironBuilder

from dockerflow.flask import Dockerflow
from dockerflow.flask._request import _environ_key
from dockerflow.logging import get_or_generate_request_id

# RFC 9110 token characters: what DOCKERFLOW_REQUEST_ID_HEADER_NAME accepts.
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=40), st.text(max_size=40))
def test_the_environ_key_of_a_header_finds_what_werkzeug_headers_find(
    header_name: str, value: str
) -> None:
    environ = {_environ_key(header_name): value}
    assert EnvironHeaders(environ).get(header_name) == value


LB_APP = Flask(__name__)
Dockerflow(LB_APP)


@given(st.text(alphabet=st.characters(max_codepoint=255), max_size=140))
def test_the_middleware_keeps_exactly_the_ids_the_header_lookup_keeps(value: str) -> None:
    """A header value (as WSGI hands it over) is the request id exactly when
    get_or_generate_request_id keeps it."""
    environ = EnvironBuilder(path="/__lbheartbeat__").get_environ()
    environ["HTTP_X_REQUEST_ID"] = value
    sent: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        sent.update(headers)
        return lambda data: None

    b"".join(LB_APP(environ, start_response))
    from_headers = get_or_generate_request_id(EnvironHeaders(environ), "X-Request-ID")
    assert (sent["X-Request-ID"] == value) == (from_headers == value)


def test_version_body_is_jsonify_output_and_follows_the_payload(app: Flask) -> None:
    """/__version__ answers jsonify's bytes, re-encoded when the payload or debug mode changes."""
    dockerflow = Dockerflow(app)
    current: dict[str, Any] = {"version": "1", "commit": "abc"}
    dockerflow.version_callback(lambda root: {"version": "1", "commit": "abc"})
    client = app.test_client()

    def expected(payload: dict[str, Any]) -> tuple[bytes, str | None]:
        with app.app_context():
            model = jsonify(payload)
        return model.get_data(), model.content_type

    for _ in range(2):  # the second answer comes from the cache
        response = client.get("/__version__")
        assert (response.get_data(), response.content_type) == expected(current)
        assert response.headers["Cache-Control"] == "no-store"
    current = {"version": "2", "commit": "def"}
    dockerflow.version_callback(lambda root: {"version": "2", "commit": "def"})
    assert client.get("/__version__").get_data() == expected(current)[0]
    app.debug = True
    assert client.get("/__version__").get_data() == expected(current)[0]
    assert b"\n  " in client.get("/__version__").get_data()  # indented in debug mode


def test_lbheartbeat_answer_is_unchanged(app: Flask) -> None:
    """/__lbheartbeat__ is an empty 200 with the app's default content type and no-store."""
    Dockerflow(app)
    response = app.test_client().get("/__lbheartbeat__")
    plain = app.response_class("")
    assert (response.status_code, response.get_data()) == (200, b"")
    assert response.content_type == plain.content_type
    assert response.headers["Cache-Control"] == "no-store"
