"""Whatever a record holds, format() gives exactly one line of valid JSON."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import json
import logging
import math
import sys
import unicodedata
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerflow.logging import MozlogFormatter
from dockerflow.logging._records import STANDARD_RECORD_ATTRS


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    __str__ = __repr__


class Color(enum.Enum):
    RED = "red"


Point = collections.namedtuple("Point", "x y")


def circular_list() -> list[Any]:
    items: list[Any] = [1]
    items.append(items)
    return items


def circular_dict() -> dict[str, Any]:
    mapping: dict[str, Any] = {"a": 1}
    mapping["self"] = mapping
    return mapping


def deeply_nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({1, 2}, repr({1, 2}), id="set"),
        pytest.param(b"\x00raw\n", repr(b"\x00raw\n"), id="bytes"),
        pytest.param(BadRepr(), "<unrepresentable BadRepr object>", id="repr-raises"),
        pytest.param(circular_list(), [1, "[...]"], id="circular-list"),
        pytest.param(circular_dict(), {"a": 1, "self": "{...}"}, id="circular-dict"),
        pytest.param(2**100, 2**100, id="big-int"),
        pytest.param(float("nan"), None, id="nan"),
        pytest.param(float("inf"), None, id="inf"),
        pytest.param([float("-inf"), 1.5], [None, 1.5], id="nested-inf"),
        pytest.param(
            {(1, 2): "a", 3: "b", None: "c"}, {"(1, 2)": "a", "3": "b", "null": "c"}, id="keys"
        ),
        pytest.param(datetime.date(2024, 5, 1), "2024-05-01", id="date"),
        pytest.param(uuid.UUID(int=1), str(uuid.UUID(int=1)), id="uuid"),
        pytest.param(Color.RED, "red", id="enum"),
        pytest.param(Point(1, 2), [1, 2], id="namedtuple"),
        pytest.param((1, "a"), [1, "a"], id="tuple"),
        pytest.param(decimal.Decimal("1.5"), "Decimal('1.5')", id="decimal"),
        pytest.param(
            "line\nbreak\x00\x1b[31m\u2028", "line\nbreak\x00\x1b[31m\u2028", id="controls"
        ),
        pytest.param("\ud800 lone surrogate", "\ud800 lone surrogate", id="surrogate"),
    ],
)
def test_unserialisable_extras_are_converted(formatter, make_record, parse_line, value, expected):
    """Values JSON cannot hold become strings, lists or null instead of raising."""
    parsed = parse_line(formatter.format(make_record("", extra={"value": value})))
    assert parsed["Fields"]["value"] == expected


def test_huge_int_past_the_digit_limit_becomes_a_string(formatter, make_record, parse_line):
    """An int too long to print (sys.get_int_max_str_digits) is named, not printed."""
    if not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("no int digit limit on this Python")
    value = 10 ** (sys.get_int_max_str_digits() + 10)
    parsed = parse_line(formatter.format(make_record("", extra={"value": value})))
    assert parsed["Fields"]["value"] == f"<int of {value.bit_length()} bits>"


def test_deep_nesting_gives_one_line(formatter, make_record, parse_line):
    """Nesting past the recursion limit is cut with a marker, or kept whole where json can.

    Python 3.13's C encoder no longer counts against the recursion limit, so
    there the standard library encodes all 5000 levels; before 3.13 the
    fallback conversion cuts them at its maximum depth.
    """
    parsed = parse_line(formatter.format(make_record("", extra={"value": deeply_nested(5000)})))
    value, depth = parsed["Fields"]["value"], 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    if sys.version_info < (3, 13):
        assert value == "<too deep>"
    if value == "<too deep>":
        assert depth < 5000
    else:
        assert (value, depth) == ([], 5000)


def test_newlines_in_messages_cannot_forge_lines(formatter, make_record, parse_line):
    """A message trying to inject a second log line stays inside one escaped string."""
    forged = 'ok\n{"Timestamp": 1, "Type": "forged"}\r\n'
    parsed = parse_line(formatter.format(make_record(forged)))
    assert parsed["Fields"]["msg"] == forged


def test_exception_values_are_passed_through_repr(formatter, make_record, parse_line):
    """An exception message with newlines appears only through repr in error and traceback."""
    try:
        raise KeyError("x\nFAKE LINE")
    except KeyError:
        record = make_record("boom", exc_info=sys.exc_info())
    fields = parse_line(formatter.format(record))["Fields"]
    assert fields["error"] == repr(KeyError("x\nFAKE LINE"))
    assert "\nFAKE LINE" not in fields["traceback"]


def test_exception_with_unrepresentable_value(formatter, make_record, parse_line):
    """An exception whose repr raises still gives a line with a placeholder error."""

    class Nasty(Exception):
        def __repr__(self) -> str:
            raise RuntimeError

    try:
        raise Nasty
    except Nasty:
        record = make_record("boom", exc_info=sys.exc_info())
    fields = parse_line(formatter.format(record))["Fields"]
    assert (
        fields["error"]
        == "<unrepresentable test_exception_with_unrepresentable_value.<locals>.Nasty object>"
    )


def test_message_whose_str_raises(formatter, make_record, parse_line):
    """A message object whose str and repr raise still gives a line."""
    fields = parse_line(formatter.format(make_record(BadRepr())))["Fields"]
    assert fields["msg"] == "<unrepresentable BadRepr object>"


def test_record_with_broken_attributes_still_gives_a_line(formatter, make_record, parse_line):
    """Even a record whose standard attributes are nonsense gives a valid envelope."""
    record = make_record("m", extra={"a": 1})
    record.created = "not a time"  # type: ignore[assignment]
    record.name = BadRepr()  # type: ignore[assignment]
    parsed = parse_line(formatter.format(record))
    assert parsed["Fields"]["a"] == 1
    assert "format_error" in parsed["Fields"]


def assert_no_raw_control_characters(line: str) -> None:
    for char in line:
        assert unicodedata.category(char) != "Cc", repr(char)
        assert char not in "\u2028\u2029", repr(char)


# Strategies: anything a caller might put on a record.
weird_objects = st.one_of(
    st.builds(BadRepr),
    st.sampled_from([Color.RED, Point(1, 2), decimal.Decimal("2")]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(max_size=20),
    st.datetimes(),
    st.uuids(),
    weird_objects,
)
json_keys = st.one_of(
    st.text(max_size=10), st.integers(), st.floats(), st.none(), st.tuples(st.integers())
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.frozensets(st.integers(), max_size=3),
        st.dictionaries(json_keys, children, max_size=4),
    ),
    max_leaves=12,
)
extra_names = st.text(min_size=1, max_size=12).filter(
    lambda name: (
        name not in STANDARD_RECORD_ATTRS
        and name not in {"msg_args", "msg_error", "error", "traceback", "format_error"}
    )
)
messages = st.one_of(st.text(), values, st.dictionaries(st.text(max_size=8), values, max_size=3))
arguments = st.one_of(st.tuples(), st.lists(values, max_size=3).map(tuple))
levels = st.one_of(st.sampled_from([10, 20, 30, 40, 50]), st.integers(min_value=0, max_value=100))

# A small run: tests/hardening/test_fuzz_formatter.py fuzzes the same
# property ten to a hundred times as long (exception chains included).
property_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(
    msg=messages,
    args=arguments,
    extra=st.dictionaries(extra_names, values, max_size=5),
    level=levels,
    name=st.text(max_size=20),
    encoder_name=st.sampled_from(["json", "orjson"]),
)
def test_any_record_gives_one_json_line_with_the_envelope(
    msg, args, extra, level, name, encoder_name
):
    """Arbitrary messages, arguments, extras, levels and logger names: one valid JSON line."""
    if encoder_name == "orjson":
        pytest.importorskip("orjson")
    formatter = MozlogFormatter(logger_name="prop", encoder=encoder_name)
    record = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    line = formatter.format(record)
    assert len(line.splitlines()) == 1
    assert_no_raw_control_characters(line)
    parsed = json.loads(line)
    assert list(parsed) == [
        "Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields",
    ]  # fmt: skip
    assert parsed["Type"] == name
    assert parsed["Logger"] == "prop"
    assert parsed["EnvVersion"] == "2.0"
    assert parsed["Severity"] in range(8)
    assert isinstance(parsed["Timestamp"], int)
    assert set(extra) <= set(parsed["Fields"])
    for key, value in extra.items():
        if isinstance(value, str):
            assert parsed["Fields"][key] == value
        elif isinstance(value, float) and not math.isfinite(value):
            assert parsed["Fields"][key] is None


@property_settings
@given(
    msg=messages,
    args=arguments,
    extra=st.dictionaries(extra_names, values, max_size=5),
    level=levels,
)
def test_both_encoders_give_the_same_parsed_json(msg, args, extra, level):
    """The orjson encoder's output parses to exactly what the standard library's does."""
    pytest.importorskip("orjson")
    record = logging.LogRecord("same", level, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    stdlib_line = MozlogFormatter(encoder="json").format(record)
    orjson_line = MozlogFormatter(encoder="orjson").format(record)
    assert json.loads(orjson_line) == json.loads(stdlib_line)
