"""Heartbeat details kept from the public, shown to a bearer token or trusted networks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from dockerflow.checks import Error
from dockerflow.flask import Dockerflow, DockerflowConfigError

TOKEN = "s3cret-operator-token-0123456789"


def failing_app(make_app: Any, **config: Any) -> Flask:
    app = make_app(DOCKERFLOW_HEARTBEAT_DETAILS=False, **config)
    dockerflow = Dockerflow(app)

    @dockerflow.check
    def backend() -> list[Error]:
        return [Error("backend at db.internal:5432 is down", id="test.E001")]

    return app


def heartbeat(app: Flask, headers: dict[str, str] | None = None, peer: str = "127.0.0.1") -> Any:
    return app.test_client().get(
        "/__heartbeat__", headers=headers or {}, environ_base={"REMOTE_ADDR": peer}
    )


def test_details_hidden_without_token_or_network(make_app: Any) -> None:
    """With details off and nothing else set, no request sees the messages."""
    response = heartbeat(failing_app(make_app))

    assert response.status_code == 500
    assert response.get_json() == {"status": "error", "checks": {"backend": "error"}}


def test_bearer_token_reveals_details(make_app: Any) -> None:
    """The configured bearer token (scheme in any case) gets the full body."""
    app = failing_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN)

    for scheme in ("Bearer", "bearer", "BEARER"):
        body = heartbeat(app, {"Authorization": f"{scheme} {TOKEN}"}).get_json()
        assert body["details"]["backend"]["messages"] == {
            "test.E001": "backend at db.internal:5432 is down"
        }


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer ",
        "Bearer \u00e9\u00e9\u00e9",
    ],
)
def test_wrong_token_keeps_details_hidden(make_app: Any, authorization: str) -> None:
    """A token that differs in any way, or another scheme, sees no details."""
    app = failing_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN)

    body = heartbeat(app, {"Authorization": authorization}).get_json()

    assert "details" not in body
    assert body["checks"] == {"backend": "error"}


@pytest.mark.parametrize(
    ("networks", "peer", "shown"),
    [
        (["10.0.0.0/8"], "10.1.2.3", True),
        (["10.0.0.0/8"], "192.168.1.1", False),
        ("10.0.0.0/8, 127.0.0.1", "127.0.0.1", True),
        (["::1"], "::1", True),
        (["10.0.0.0/8"], "::ffff:10.0.0.7", True),
        (["10.0.0.0/8"], "not-an-address", False),
        (["10.0.0.0/8"], "", False),
    ],
)
def test_trusted_network_reveals_details(
    make_app: Any, networks: Any, peer: str, shown: bool
) -> None:
    """The peer address decides; X-Forwarded-For is never trusted for this."""
    app = failing_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS=networks)

    body = heartbeat(app, {"X-Forwarded-For": "10.0.0.1"}, peer=peer).get_json()

    assert ("details" in body) is shown


def test_token_and_networks_work_together(make_app: Any) -> None:
    """Either the network or the token is enough."""
    app = failing_app(
        make_app,
        DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN,
        DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS=["10.0.0.0/8"],
    )

    assert "details" in heartbeat(app, peer="10.9.9.9").get_json()
    assert "details" in heartbeat(app, {"Authorization": f"Bearer {TOKEN}"}).get_json()
    assert "details" not in heartbeat(app, peer="192.0.2.1").get_json()


def test_cli_state_api_still_follows_the_setting(make_app: Any) -> None:
    """run_heartbeat() follows DOCKERFLOW_HEARTBEAT_DETAILS; details= overrides it."""
    app = failing_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN)
    state = app.extensions["dockerflow"]

    assert "details" not in state.run_heartbeat().payload
    assert "details" in state.run_heartbeat(details=True).payload


@pytest.mark.parametrize(
    "config",
    [
        {"DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": "short"},
        {"DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": "has a space in it, long enough"},
        {"DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": 12345678901234567.5},  # a float: not a token
        {"DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": ["10.0.0.0/33"]},
        {"DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": ["intranet"]},
        {"DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": 10},
    ],
)
def test_bad_details_settings_raise_at_init_app(make_app: Any, config: dict[str, Any]) -> None:
    """A malformed token or network is refused at init_app, naming the key."""
    app = make_app(DOCKERFLOW_HEARTBEAT_DETAILS=False, **config)
    (key,) = config

    with pytest.raises(DockerflowConfigError, match=re.escape(key)):
        Dockerflow(app)


def test_token_is_not_echoed_in_the_config_error(make_app: Any) -> None:
    """The error for a bad token does not print the token."""
    app = make_app(
        DOCKERFLOW_HEARTBEAT_DETAILS=False, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN="tiny-s3cret"
    )

    with pytest.raises(DockerflowConfigError) as raised:
        Dockerflow(app)
    assert "tiny-s3cret" not in str(raised.value)


@pytest.mark.parametrize(
    "config",
    [
        {"DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN": TOKEN},
        {"DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS": ["10.0.0.0/8"]},
    ],
)
def test_restriction_with_public_details_is_refused(make_app: Any, config: dict[str, Any]) -> None:
    """A token or networks while details are public would restrict nothing: an error."""
    app = make_app(**config)

    with pytest.raises(DockerflowConfigError, match="DOCKERFLOW_HEARTBEAT_DETAILS"):
        Dockerflow(app)


def test_token_is_not_in_the_config_repr(make_app: Any) -> None:
    """The config snapshot's repr (tracebacks, debuggers) does not show the token."""
    app = failing_app(make_app, DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN=TOKEN)

    assert TOKEN not in repr(app.extensions["dockerflow"].config)
