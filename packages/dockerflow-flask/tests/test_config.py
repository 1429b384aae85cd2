"""DOCKERFLOW_* settings: defaults filled in, bad values refused at init_app."""

from __future__ import annotations

import ipaddress
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dockerflow.checks import DEFAULT_CHECK_TIMEOUT, ERROR, WARNING
from dockerflow.flask import Dockerflow, DockerflowConfigError
from dockerflow.flask._config import DEFAULTS

README = Path(__file__).resolve().parents[1] / "README.md"
CONFIG_MODULE = Path(__file__).resolve().parents[1] / "src/dockerflow/flask/_config.py"


def test_init_app_fills_in_every_default(make_app: Any) -> None:
    """Missing keys get their documented default with setdefault; set ones are kept."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE=503)
    Dockerflow(app)

    assert app.config["DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE"] == 503
    assert app.config["DOCKERFLOW_HEARTBEAT_FAIL_LEVEL"] == "ERROR"
    assert app.config["DOCKERFLOW_CHECK_TIMEOUT"] == DEFAULT_CHECK_TIMEOUT
    assert app.config["DOCKERFLOW_REQUEST_ID_HEADER_NAME"] == "X-Request-ID"
    assert {key for key in app.config if key.startswith("DOCKERFLOW_")} == set(DEFAULTS)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", "SEVERE"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", 35),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", "35"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", 30.0),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", True),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 200),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", 600),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", "5xx"),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", True),
        ("DOCKERFLOW_CHECK_TIMEOUT", -1),
        ("DOCKERFLOW_CHECK_TIMEOUT", 0),
        ("DOCKERFLOW_CHECK_TIMEOUT", "soon"),
        ("DOCKERFLOW_CHECK_TIMEOUT", float("nan")),
        ("DOCKERFLOW_HEARTBEAT_CACHE_TTL", -5),
        ("DOCKERFLOW_HEARTBEAT_CACHE_TTL", "a while"),
        ("DOCKERFLOW_HEARTBEAT_DETAILS", "maybe"),
        ("DOCKERFLOW_ENABLE_ERROR_ENDPOINT", None),
        ("DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", 2),
        ("DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS", "nope"),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", "X Request ID"),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", ""),
    ],
)
def test_bad_values_raise_at_init_app(make_app: Any, key: str, value: Any) -> None:
    """A bad setting raises DockerflowConfigError naming the key, before any request."""
    app = make_app(**{key: value})

    with pytest.raises(DockerflowConfigError, match=re.escape(key)):
        Dockerflow(app)
    assert "dockerflow" not in app.extensions


@pytest.mark.parametrize(
    ("config", "attribute", "expected"),
    [
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "warning"}, "heartbeat_fail_level", WARNING),
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": 30}, "heartbeat_fail_level", WARNING),
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "30"}, "heartbeat_fail_level", WARNING),
        ({"DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": " 40 "}, "heartbeat_fail_level", ERROR),
        ({"DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE": "503"}, "heartbeat_failed_status_code", 503),
        ({"DOCKERFLOW_CHECK_TIMEOUT": "1.5"}, "check_timeout", 1.5),
        ({"DOCKERFLOW_HEARTBEAT_CACHE_TTL": 0}, "heartbeat_cache_ttl", 0.0),
        ({"DOCKERFLOW_HEARTBEAT_DETAILS": "false"}, "heartbeat_details", False),
        ({"DOCKERFLOW_SUMMARY_LOG_QUERYSTRING": "1"}, "summary_log_querystring", True),
        ({"DOCKERFLOW_ENABLE_ERROR_ENDPOINT": "off"}, "enable_error_endpoint", False),
    ],
)
def test_environment_style_values_are_accepted(
    make_app: Any, config: dict[str, Any], attribute: str, expected: Any
) -> None:
    """Strings as read from the environment are understood."""
    app = make_app(**config)
    Dockerflow(app)

    assert getattr(app.extensions["dockerflow"].config, attribute) == expected


# (variable value, key, the type from_prefixed_env makes of it, what the setting becomes)
PREFIXED_ENV_CASES = [
    ("30", "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", int, ("heartbeat_fail_level", WARNING)),
    ("critical", "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", str, ("heartbeat_fail_level", 50)),
    ("503", "DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", int, ("heartbeat_failed_status_code", 503)),
    ("2", "DOCKERFLOW_CHECK_TIMEOUT", int, ("check_timeout", 2.0)),
    ("1.5", "DOCKERFLOW_CHECK_TIMEOUT", float, ("check_timeout", 1.5)),
    ("0", "DOCKERFLOW_HEARTBEAT_CACHE_TTL", int, ("heartbeat_cache_ttl", 0.0)),
    ("true", "DOCKERFLOW_HEARTBEAT_DETAILS", bool, ("heartbeat_details", True)),
    ("0", "DOCKERFLOW_HEARTBEAT_DETAILS", int, ("heartbeat_details", False)),
    ("off", "DOCKERFLOW_ENABLE_ERROR_ENDPOINT", str, ("enable_error_endpoint", False)),
    ("1", "DOCKERFLOW_ENABLE_ERROR_ENDPOINT", int, ("enable_error_endpoint", True)),
    ("X-Trace", "DOCKERFLOW_REQUEST_ID_HEADER_NAME", str, ("request_id_header_name", "X-Trace")),
    ("1234", "DOCKERFLOW_REQUEST_ID_HEADER_NAME", int, ("request_id_header_name", "1234")),
    ("false", "DOCKERFLOW_SUMMARY_LOG_QUERYSTRING", bool, ("summary_log_querystring", False)),
    ("1", "DOCKERFLOW_SUMMARY_LOG_HEALTH_ENDPOINTS", int, ("summary_log_health_endpoints", True)),
]


@pytest.mark.parametrize(
    ("text", "key", "parsed_type", "expected"),
    PREFIXED_ENV_CASES,
    ids=[f"{case[1]}={case[0]}" for case in PREFIXED_ENV_CASES],
)
def test_every_key_accepts_what_from_prefixed_env_makes(
    make_app: Any,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    key: str,
    parsed_type: type,
    expected: tuple[str, Any],
) -> None:
    """FLASK_<KEY>=text read by from_prefixed_env() (ints, floats, bools) is a valid setting."""
    monkeypatch.setenv(f"FLASK_{key}", text)
    app = make_app()
    app.config.from_prefixed_env()
    assert type(app.config[key]) is parsed_type

    Dockerflow(app)

    attribute, value = expected
    assert getattr(app.extensions["dockerflow"].config, attribute) == value


@pytest.mark.parametrize(
    ("networks_text", "parsed_type"),
    [("10.0.0.0/8,::1", str), ('["10.0.0.0/8", "::1"]', list)],
)
def test_details_token_and_networks_from_prefixed_env(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, networks_text: str, parsed_type: type
) -> None:
    """A token made of digits (an int to from_prefixed_env) and networks as text or JSON."""
    token = "12345678901234567890"
    monkeypatch.setenv("FLASK_DOCKERFLOW_HEARTBEAT_DETAILS", "false")
    monkeypatch.setenv("FLASK_DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN", token)
    monkeypatch.setenv("FLASK_DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS", networks_text)
    app = make_app()
    app.config.from_prefixed_env()
    assert isinstance(app.config["DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN"], int)
    assert type(app.config["DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS"]) is parsed_type

    Dockerflow(app)

    access = app.extensions["dockerflow"].config.heartbeat_details_access
    assert access.allows({"Authorization": f"Bearer {token}"}, "192.0.2.1")
    assert not access.allows({"Authorization": "Bearer 12345678901234567891"}, "192.0.2.1")
    assert access.allows({}, "10.1.2.3")
    assert access.allows({}, str(ipaddress.ip_address("::1")))
    assert not access.allows({}, "192.0.2.1")


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", 35, "got int 35"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", "SEVERE", "got str 'SEVERE'"),
        ("DOCKERFLOW_HEARTBEAT_FAIL_LEVEL", 30.0, "got float 30.0"),
        ("DOCKERFLOW_HEARTBEAT_FAILED_STATUS_CODE", True, "got bool True"),
        ("DOCKERFLOW_CHECK_TIMEOUT", None, "got NoneType None"),
        ("DOCKERFLOW_HEARTBEAT_DETAILS", [1], "got list [1]"),
        ("DOCKERFLOW_REQUEST_ID_HEADER_NAME", 1.5, "got float 1.5"),
        ("DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS", 10, "got int 10"),
    ],
)
def test_errors_name_the_type_and_value_they_got(
    make_app: Any, key: str, value: Any, named: str
) -> None:
    """The error says what was expected and what came: type and value."""
    app = make_app(**{key: value})

    with pytest.raises(DockerflowConfigError) as info:
        Dockerflow(app)

    assert str(info.value).startswith(f"{key} must be ")
    assert str(info.value).endswith(named)


def test_level_error_lists_names_and_numbers(make_app: Any) -> None:
    """A bad level's error lists both accepted forms."""
    expected = r"CRITICAL or its number \(10, 20, 30, 40, 50\)"
    with pytest.raises(DockerflowConfigError, match=expected):
        Dockerflow(make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVEL="SEVERE"))


def test_bad_token_error_hides_the_token(make_app: Any) -> None:
    """A token of the wrong shape is named by its type only, never shown."""
    app = make_app(DOCKERFLOW_HEARTBEAT_DETAILS=False, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN="s3cret")

    with pytest.raises(DockerflowConfigError) as info:
        Dockerflow(app)

    assert "s3cret" not in str(info.value)
    assert str(info.value).endswith("got str <hidden>")


def test_misspelt_key_warns_naming_the_closest_key(make_app: Any) -> None:
    """DOCKERFLOW_HEARTBEAT_FAIL_LEVLE: a UserWarning at init_app naming the real key."""
    app = make_app(DOCKERFLOW_HEARTBEAT_FAIL_LEVLE="WARNING")
    dockerflow = Dockerflow()

    with pytest.warns(UserWarning, match="DOCKERFLOW_HEARTBEAT_FAIL_LEVLE") as warned:
        dockerflow.init_app(app)

    assert [str(w.message) for w in warned] == [
        "DOCKERFLOW_HEARTBEAT_FAIL_LEVLE is not a dockerflow-flask setting and is ignored; "
        "did you mean DOCKERFLOW_HEARTBEAT_FAIL_LEVEL?"
    ]
    assert warned[0].filename == __file__  # points at the init_app call
    assert app.extensions["dockerflow"].config.heartbeat_fail_level == ERROR


def test_unknown_key_without_a_close_match_still_warns(make_app: Any) -> None:
    """A DOCKERFLOW_ key that resembles no setting is reported as ignored, with no guess."""
    app = make_app(DOCKERFLOW_COLOUR="blue")

    with pytest.warns(UserWarning, match="DOCKERFLOW_COLOUR is not a dockerflow-flask") as warned:
        Dockerflow(app)

    assert "did you mean" not in str(warned[0].message)


def test_known_keys_and_other_settings_do_not_warn(make_app: Any) -> None:
    """Every known key set, plus the app's own non-DOCKERFLOW_ settings: no warning."""
    app = make_app(**dict(DEFAULTS), SECRET_KEY="x", DATABASE_URL="sqlite://", dockerflow_x=1)
    app.config[42] = "a key that is not a string"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dockerflow(app)


def test_each_app_warns_for_its_own_config(tmp_path: Path) -> None:
    """One Dockerflow object on two apps: only the app with the typo warns."""
    good = Flask("good_app", root_path=str(tmp_path))
    typo = Flask("typo_app", root_path=str(tmp_path))
    typo.config["DOCKERFLOW_CHECK_TIMOUT"] = 1
    dockerflow = Dockerflow()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dockerflow.init_app(good)
    with pytest.warns(UserWarning, match="did you mean DOCKERFLOW_CHECK_TIMEOUT"):
        dockerflow.init_app(typo)


@pytest.mark.parametrize("document", [README, CONFIG_MODULE], ids=["README", "_config.py"])
def test_every_setting_is_documented_with_its_default(document: Path) -> None:
    """The README table and _config.py's docstring name every key and its default."""
    text = document.read_text(encoding="utf-8")
    for key, default in DEFAULTS.items():
        rows = [line for line in text.splitlines() if f"``{key}``" in line or f"`{key}`" in line]
        assert rows, f"{key} missing from {document.name}"
        shown = repr(default) if isinstance(default, str) else str(default)
        assert any(shown.replace("'", '"') in row.replace("'", '"') for row in rows), (
            f"{key}'s default {shown} missing from {document.name}"
        )
