"""Request ids: validating incoming ones, and putting them on records."""

from __future__ import annotations

import contextvars
import logging
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockerflow.logging import (
    RequestIdLogFilter,
    get_or_generate_request_id,
    new_request_id,
    request_id_context,
)


def is_new_id(value: str) -> bool:
    """Whether ``value`` is a request id we made: 32 lowercase hex digits."""
    return re.fullmatch("[0-9a-f]{32}", value) is not None


class CaseInsensitiveHeaders(Mapping[str, str]):
    """A header mapping like werkzeug's: lookups ignore case, get() is overridden."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = {key.lower(): value for key, value in items.items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def test_valid_header_value_is_kept():
    """A safe request id sent by the client is used as it is."""
    assert get_or_generate_request_id({"X-Request-ID": "abc-123_Z.9"}) == "abc-123_Z.9"


def test_missing_header_gives_a_new_id():
    """Without the header a new id is generated, different each time."""
    first = get_or_generate_request_id({})
    assert is_new_id(first)
    assert first != get_or_generate_request_id({})


def test_header_name_is_case_insensitive_for_plain_dicts():
    """A plain dict with the header in another case still gives the client's id."""
    assert get_or_generate_request_id({"x-request-id": "lower"}) == "lower"
    assert get_or_generate_request_id({"X-REQUEST-ID": "upper"}) == "upper"


def test_custom_header_name():
    """header_name picks another header."""
    headers = {"X-Amzn-Trace-Id": "Root=1-67891233", "X-Request-ID": "other"}
    assert get_or_generate_request_id(headers, "x-amzn-trace-id") == "Root=1-67891233"


def test_case_insensitive_header_objects():
    """Mapping objects with their own case-insensitive lookup work too."""
    headers = CaseInsensitiveHeaders({"X-Request-Id": "from-mapping"})
    assert get_or_generate_request_id(headers) == "from-mapping"


def test_werkzeug_headers_and_environ_headers():
    """werkzeug's Headers and EnvironHeaders work (the package itself never imports werkzeug)."""
    datastructures = pytest.importorskip("werkzeug.datastructures")
    headers = datastructures.Headers([("X-Request-Id", "wz-headers")])
    environ = datastructures.EnvironHeaders({"HTTP_X_REQUEST_ID": "wz-environ"})
    assert get_or_generate_request_id(headers) == "wz-headers"
    assert get_or_generate_request_id(environ) == "wz-environ"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * 129,
        "has space",
        "tab\there",
        "new\nline",
        "nul\x00",
        "esc\x1b[31m",
        'double"quote',
        "single'quote",
        "back`tick",
        "caf\u00e9",
        "line\u2028sep",
        "nbsp\u00a0",
    ],
)
def test_unsafe_values_are_replaced(value):
    """Empty, over 128 characters, whitespace, control characters, quotes, non-ASCII: replaced."""
    result = get_or_generate_request_id({"X-Request-ID": value})
    assert result != value
    assert is_new_id(result)


def test_value_of_exactly_128_characters_is_kept():
    """128 characters is the longest accepted id."""
    value = "r" * 128
    assert get_or_generate_request_id({"X-Request-ID": value}) == value


def test_bytes_values_are_read_as_ascii():
    """A bytes value (ASGI-style headers) is decoded; undecodable bytes are replaced."""
    assert get_or_generate_request_id({"X-Request-ID": b"bytes-id"}) == "bytes-id"
    assert is_new_id(get_or_generate_request_id({"X-Request-ID": b"\xff\xfe"}))


def test_non_text_values_are_replaced():
    """A value that is neither text nor bytes gives a new id."""
    assert is_new_id(get_or_generate_request_id({"X-Request-ID": 12345}))  # type: ignore[dict-item]


def _is_safe(value: str) -> bool:
    return 0 < len(value) <= 128 and all(
        "!" <= char <= "~" and char not in "\"'`" for char in value
    )


@given(st.text(max_size=200))
def test_any_text_is_kept_exactly_when_safe(value):
    """For any text: kept unchanged if safe, otherwise replaced by a new id."""
    result = get_or_generate_request_id({"X-Request-ID": value})
    if _is_safe(value):
        assert result == value
    else:
        assert is_new_id(result)


@given(st.binary(max_size=200))
def test_any_bytes_are_kept_exactly_when_safe(value):
    """For any bytes: kept (decoded) if safe ASCII, otherwise replaced by a new id."""
    result = get_or_generate_request_id({"X-Request-ID": value})
    text = value.decode("latin-1")
    if _is_safe(text):
        assert result == text
    else:
        assert is_new_id(result)


@given(st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_lookup_never_raises_whatever_the_header_name(header_name, value):
    """Any header name and value give a usable id, never an exception."""
    result = get_or_generate_request_id({header_name: value}, header_name)
    assert result == value if _is_safe(value) else is_new_id(result)


def _record(**extra: Any) -> logging.LogRecord:
    return logging.getLogger("test.rid").makeRecord(
        "test.rid", logging.INFO, __file__, 1, "m", (), None, extra=extra or None
    )


def test_filter_puts_the_context_request_id_on_records():
    """RequestIdLogFilter sets record.rid from request_id_context and keeps the record."""
    token = request_id_context.set("rid-from-context")
    try:
        record = _record()
        assert RequestIdLogFilter().filter(record) is True
        assert record.rid == "rid-from-context"
    finally:
        request_id_context.reset(token)


def test_filter_sets_none_outside_a_request():
    """Outside a request (context unset) rid is None."""
    record = _record()
    assert RequestIdLogFilter().filter(record) is True
    assert record.rid is None


def test_filter_keeps_a_rid_passed_with_extra():
    """A record that already has a non-empty rid keeps it."""
    token = request_id_context.set("context")
    try:
        record = _record(rid="explicit")
        RequestIdLogFilter().filter(record)
        assert record.rid == "explicit"
        empty = _record(rid="")
        RequestIdLogFilter().filter(empty)
        assert empty.rid == "context"
    finally:
        request_id_context.reset(token)


def test_request_ids_do_not_leak_between_contexts():
    """Each context (thread, task, request) sees only its own request id."""

    def in_new_context() -> Any:
        request_id_context.set("inner")
        record = _record()
        RequestIdLogFilter().filter(record)
        return record.rid

    assert contextvars.copy_context().run(in_new_context) == "inner"
    assert request_id_context.get() is None


def test_filter_rid_reaches_the_json_fields(make_record, parse_line, formatter):
    """The rid the filter sets ends up in Fields."""
    token = request_id_context.set("abc")
    try:
        record = make_record("m")
        RequestIdLogFilter().filter(record)
        assert parse_line(formatter.format(record))["Fields"]["rid"] == "abc"
    finally:
        request_id_context.reset(token)


def test_new_request_ids_are_32_random_lowercase_hex_digits():
    """nginx's $request_id format: every hex digit turns up at every place."""
    ids = [new_request_id() for _ in range(2000)]
    assert all(is_new_id(value) for value in ids)
    assert len(set(ids)) == len(ids)
    for place in range(32):
        assert {value[place] for value in ids} == set("0123456789abcdef"), place


def test_dict_views_are_searched_in_any_case():
    """A read-only view of a dict, like a dict, finds the header in another case."""
    headers = MappingProxyType({"x-request-id": "from-proxy"})
    assert get_or_generate_request_id(headers) == "from-proxy"
    assert get_or_generate_request_id(OrderedDict({"X-REQUEST-ID": "ordered"})) == "ordered"


def test_header_objects_are_not_scanned():
    """A mapping that is not a dict is trusted to ignore case itself: its items are never read."""

    class NoItems(CaseInsensitiveHeaders):
        def items(self):  # type: ignore[override]
            raise AssertionError("scanned")

        def __iter__(self):
            raise AssertionError("scanned")

    assert is_new_id(get_or_generate_request_id(NoItems({"Other": "x"})))
    assert get_or_generate_request_id(NoItems({"X-Request-Id": "found"})) == "found"
