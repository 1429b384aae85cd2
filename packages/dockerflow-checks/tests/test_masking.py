"""mask_credentials hides passwords in URLs and password= pairs."""

from __future__ import annotations

import pytest

from dockerflow.checks import mask_credentials


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("postgresql+psycopg://app:s3cret@db:5432/x", "postgresql+psycopg://app:***@db:5432/x"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://user:p@ss@host/0", "rediss://user:***@host/0"),
        ("amqp://guest:guest@mq//", "amqp://guest:***@mq//"),
        ("host=db password=s3cret user=app", "host=db password=*** user=app"),
        ("x?sslmode=require&password=s3cret&a=1", "x?sslmode=require&password=***&a=1"),
    ],
)
def test_passwords_are_replaced(text: str, masked: str) -> None:
    """The password part is replaced by *** and everything else kept."""
    assert mask_credentials(text) == masked


def test_every_url_in_a_longer_text_is_masked() -> None:
    """Several URLs in one message are all masked."""
    text = "primary mysql://a:one@h1/db failed, replica mysql://b:two@h2/db too"
    masked = mask_credentials(text)
    assert "one" not in masked.replace("done", "")
    assert "two" not in masked
    assert masked.count("***") == 2


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://app@db/x",
        "connection to server at 127.0.0.1:5432 failed",
        "http://example.test:8080/path",
        "no url here",
    ],
)
def test_text_without_password_is_unchanged(text: str) -> None:
    """Users, hosts and ports are not secrets and stay readable."""
    assert mask_credentials(text) == text
