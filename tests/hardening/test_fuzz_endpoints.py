"""The Dockerflow endpoints answer any request with a documented status, never a crash."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hardening_support.logged_apps import CollectingHandler
from hardening_support.sizes import FUZZ
from hypothesis import example, given
from hypothesis import strategies as st

from dockerflow.checks import Error, Warning
from dockerflow.logging import JsonLogFormatter
from dockerflow.version import VersionFileError, get_version
from testing_support.wsgi import call_wsgi, wsgi_environ

TOKEN = "fuzz-operator-token-0123456789abcdef"
ENDPOINTS = ["/__version__", "/__heartbeat__", "/__lbheartbeat__", "/__error__"]
# Documented statuses of each endpoint for GET/HEAD; other methods get 405
# (OPTIONS 200, answered by Flask), any other path 404.
DOCUMENTED = {
    "/__version__": {200, 404, 500},
    "/__heartbeat__": {200, 500},
    "/__lbheartbeat__": {200},
    "/__error__": {500},
}
latin1 = st.binary(max_size=120).map(lambda raw: raw.decode("latin-1"))
header_names = st.sampled_from(
    [
        "X-Request-ID",
        "Authorization",
        "X-Forwarded-For",
        "User-Agent",
        "Accept-Language",
        "Content-Type",
        "Accept",
        "Host",
    ]
)
headers = st.dictionaries(header_names, st.one_of(latin1, st.just(f"Bearer {TOKEN}")), max_size=5)
paths = st.one_of(
    st.sampled_from(ENDPOINTS),
    st.builds(lambda base, tail: base + tail, st.sampled_from(ENDPOINTS), latin1),
    latin1.map(lambda text: "/" + text),
)
methods = st.sampled_from(
    ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "FOO"]
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app with a failing and a warning check, details behind a token, logs collected."""
    from flask import Flask

    from dockerflow.flask import Dockerflow

    root = tmp_path_factory.mktemp("fuzz-app")
    (root / "version.json").write_text(json.dumps({"version": "1.0", "commit": "abc"}))
    app = Flask("fuzz_endpoints", root_path=str(root / "app"))
    app.config.update(
        DOCKERFLOW_HEARTBEAT_DETAILS=False,
        DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN,
        DOCKERFLOW_SUMMARY_LOG_QUERYSTRING=True,
    )
    dockerflow = Dockerflow(app)
    state: dict[str, bool] = {"fail": False}

    @dockerflow.check
    def flaky() -> list[Any]:
        if state["fail"]:
            return [Error("db.internal:5432 is down", id="fuzz.E001")]
        return [Warning("almost full", id="fuzz.W001")]

    handler = CollectingHandler()
    handler.setFormatter(JsonLogFormatter())
    summary = logging.getLogger("request.summary")
    summary.addHandler(handler)
    summary.setLevel(logging.INFO)
    quiet = logging.getLogger("dockerflow.flask")
    quiet_level, quiet.propagate = quiet.level, False
    yield app, state, handler.lines
    summary.removeHandler(handler)
    summary.setLevel(logging.NOTSET)
    quiet.propagate = True
    quiet.setLevel(quiet_level)


@FUZZ
@given(method=methods, path=paths, query=latin1, sent=headers, fail=st.booleans())
@example(method="GET", path="/__version__", query="", sent={"Host": "\x80"}, fail=False)
@example(method="GET", path="/__heartbeat__", query="", sent={"Host": "."}, fail=True)
def test_endpoints_answer_documented_statuses(
    service: Any, method: str, path: str, query: str, sent: dict[str, str], fail: bool
) -> None:
    """Arbitrary paths, query strings and headers: a documented status and one summary line."""
    app, state, lines = service
    state["fail"] = fail
    del lines[:]

    status, response_headers, body = call_wsgi(app, wsgi_environ(path, method, sent, query))

    if status == 400:
        # Werkzeug refuses some Host headers before routing (which ones depends
        # on its version): logged once, and the same request without that Host
        # must get its documented answer, checked below.
        assert "Host" in sent
        assert [json.loads(line)["Fields"]["code"] for line in lines] == [400]
        del lines[:]
        sent = {name: value for name, value in sent.items() if name != "Host"}
        status, response_headers, body = call_wsgi(app, wsgi_environ(path, method, sent, query))
        assert status != 400

    if path not in DOCUMENTED:
        assert status == 404, (path, status)
    elif method in ("GET", "HEAD"):
        assert status in DOCUMENTED[path]
        if path != "/__error__":
            assert response_headers["Cache-Control"] == "no-store"
        if path == "/__heartbeat__":
            assert status == (500 if fail else 200)
            if method == "GET":
                payload = json.loads(body)
                assert set(payload) <= {"status", "checks", "details"}
                shown = "details" in payload
                assert shown == (sent.get("Authorization", "").strip() == f"Bearer {TOKEN}")
                assert (b"db.internal" in body) == (fail and shown)
        elif path == "/__version__" and method == "GET":
            assert json.loads(body) == {"version": "1.0", "commit": "abc"}
    elif method == "OPTIONS":
        assert status == 200
    else:
        assert status == 405
    assert len(lines) == 1, lines
    assert lines[0].splitlines() == lines[0:1]
    assert json.loads(lines[0])["Fields"]["code"] == status


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.text().map(str.encode),
        st.from_regex(rb"\A[\[{\"0-9a-z:,\] ]{0,60}\Z"),
    )
)
def test_version_loader_reads_any_bytes(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    """Arbitrary bytes as version.json: a dict, or VersionFileError; nothing else."""
    root = tmp_path_factory.mktemp("version")
    (root / "version.json").write_bytes(raw)

    try:
        result: Any = get_version(root)
    except VersionFileError as exc:
        result = exc
    assert isinstance(result, (dict, VersionFileError))
    if isinstance(result, VersionFileError):
        assert str(root) in str(result)


def version_app(root: Path) -> Any:
    from flask import Flask

    from dockerflow.flask import Dockerflow

    app = Flask("fuzz_version", root_path=str(root / "app"))
    Dockerflow(app)
    return app


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.just(b"[" * 50_000),
        st.just(b'{"a": NaN}'),
        st.just(b"\xef\xbb\xbf{}"),
    )
)
def test_version_endpoint_serves_any_file_as_json(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    """/__version__ over arbitrary bytes: 200 with the object, or 500 with a JSON error body."""
    root = tmp_path_factory.mktemp("version-app")
    (root / "version.json").write_bytes(raw)
    quiet = logging.getLogger("dockerflow.flask")
    quiet.disabled = True
    try:
        status, headers, body = call_wsgi(version_app(root), wsgi_environ("/__version__"))
    finally:
        quiet.disabled = False

    assert status in (200, 500)
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    if status == 500:
        assert payload == {"error": "version.json could not be read"}
    else:
        assert isinstance(payload, dict)
