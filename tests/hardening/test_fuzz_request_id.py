"""Hostile request ids never reach a log line or a response header unvalidated."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from hardening_support.logged_apps import CollectingHandler
from hardening_support.sizes import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from dockerflow.logging import JsonLogFormatter, RequestIdLogFilter, get_or_generate_request_id
from testing_support.wsgi import call_wsgi, wsgi_environ

SAFE = re.compile(r"[!#-&(-_a-~]{1,128}")
# What a WSGI server can hand over: the raw header bytes decoded as latin-1.
wsgi_text = st.binary(max_size=300).map(lambda raw: raw.decode("latin-1"))
header_values = st.one_of(
    st.text(max_size=300),
    wsgi_text,
    st.binary(max_size=200),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=120, max_size=140
    ),
    st.sampled_from(
        ["", " ", "a b", 'a"b', "a'b", "a`b", "ok\r\nSet-Cookie: x=1", "\x00", "x" * 129]
    ),
)


def is_new_id(value: str) -> bool:
    """Whether ``value`` is a request id we made: 32 lowercase hex digits."""
    return re.fullmatch("[0-9a-f]{32}", value) is not None


@FUZZ
@given(value=header_values, name=st.sampled_from(["X-Request-ID", "x-request-id", "X-Trace"]))
def test_request_id_is_the_header_only_when_safe(value: Any, name: str) -> None:
    """The result is the sent value when it is safe, else a new id; always safe."""
    result = get_or_generate_request_id({name: value}, "X-Trace" if name == "X-Trace" else None)

    assert SAFE.fullmatch(result)
    if isinstance(value, bytes) and value.isascii():
        value = value.decode("ascii")  # bytes are read as ASCII, as documented
    if isinstance(value, str) and SAFE.fullmatch(value):
        assert result == value
    else:
        assert is_new_id(result)


@pytest.fixture(scope="module")
def app_and_lines() -> Any:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("fuzz_request_id")
    Dockerflow(app)

    @app.get("/hello")
    def hello() -> str:
        logging.getLogger("fuzz.app").info("inside the view")
        return "hello"

    handler = CollectingHandler()
    handler.setFormatter(JsonLogFormatter(logger_name="fuzz"))
    handler.addFilter(RequestIdLogFilter())
    loggers = [logging.getLogger("request.summary"), logging.getLogger("fuzz.app")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield app, handler.lines
    for logger in loggers:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


@FUZZ
@given(
    value=wsgi_text,
    path=st.sampled_from(["/hello", "/__lbheartbeat__", "/__heartbeat__", "/nowhere"]),
)
def test_hostile_request_id_through_flask(app_and_lines: Any, value: str, path: str) -> None:
    """Whatever X-Request-ID a client sends, the echoed header and the log lines carry a safe id."""
    app, lines = app_and_lines
    del lines[:]

    status, headers, _ = call_wsgi(app, wsgi_environ(path, headers={"X-Request-ID": value}))

    echoed = headers["X-Request-ID"]
    assert SAFE.fullmatch(echoed)
    assert echoed == value if SAFE.fullmatch(value) else is_new_id(echoed)
    records = [json.loads(line) for line in lines]
    assert all(line.splitlines() == [line] for line in lines)
    assert records, "the request must be logged"
    assert {record["Fields"]["rid"] for record in records} == {echoed}
    assert status in (200, 404)
