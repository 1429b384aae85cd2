"""The mozlog formatter turns any record into exactly one line of valid JSON, never raising."""

from __future__ import annotations

import datetime
import enum
import json
import logging
import sys
import uuid
from typing import Any

import pytest
from hardening_support.sizes import FUZZ
from hypothesis import given
from hypothesis import strategies as st

from dockerflow.logging import JsonLogFormatter

ENCODERS = ["json", "orjson"]
RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}
MOZLOG_KEYS = {"Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"}


class BrokenRepr:
    """An object whose repr and str raise."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    __str__ = __repr__


class Color(enum.Enum):
    RED = "red"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.binary(max_size=64),
    st.datetimes(),
    st.uuids(),
    st.just(Color.RED),
    st.builds(BrokenRepr),
    st.frozensets(st.integers(), max_size=3),
    st.builds(object),
    st.just('\n{"Type": "forged"}\r\n\u2028\u2029\x85\x00\x1b[31m'),
)
keys = st.one_of(
    st.text(), st.integers(), st.booleans(), st.none(), st.floats(), st.tuples(st.integers())
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=25,
)
extras = st.dictionaries(
    st.text(min_size=1).filter(lambda key: key not in RESERVED), values, max_size=6
)
messages = st.one_of(st.text(), values, st.just("%s %s %d"), st.just("%(name)s"))
arguments = st.one_of(
    st.just(()),
    st.tuples(values),
    st.tuples(values, values),
    st.lists(values, max_size=3).map(tuple),
)


def exception_chain(
    size: int, links: list[tuple[int, int, bool]], texts: list[str]
) -> BaseException:
    """``size`` exceptions linked by __context__/__cause__ as ``links`` says, cycles included."""
    chain: list[BaseException] = []
    for index in range(size):
        try:
            raise (ValueError if index % 2 else KeyError)(texts[index % len(texts)])
        except Exception as exc:  # an exception with a real traceback
            chain.append(exc)
    for source, target, as_cause in links:
        exc, other = chain[source % size], chain[target % size]
        if as_cause:
            exc.__cause__ = other
        else:
            exc.__context__ = other
    return chain[0]


exceptions = st.builds(
    exception_chain,
    st.integers(min_value=1, max_value=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.booleans()), max_size=8),
    st.lists(st.text(), min_size=1, max_size=3),
)


def make_record(
    name: str, level: int, msg: Any, args: Any, extra: dict[str, Any], exc: BaseException | None
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    logger = logging.getLogger(name or "root")
    return logger.makeRecord(name, level, __file__, 1, msg, args, exc_info, extra=extra)


def assert_one_mozlog_line(line: str, record: logging.LogRecord) -> dict[str, Any]:
    assert isinstance(line, str)
    assert line.splitlines() == [line], "the record must be one line"
    parsed = json.loads(line)
    assert set(parsed) == MOZLOG_KEYS
    assert parsed["Type"] == record.name
    assert parsed["EnvVersion"] == "2.0"
    assert 0 <= parsed["Severity"] <= 7
    assert isinstance(parsed["Timestamp"], int)
    assert isinstance(parsed["Fields"], dict)
    if record.exc_info:
        assert "traceback" in parsed["Fields"] or "format_error" in parsed["Fields"]
    return parsed


@pytest.mark.parametrize("encoder", ENCODERS)
@FUZZ
@given(
    name=st.text(max_size=30),
    level=st.integers(min_value=0, max_value=60),
    msg=messages,
    args=arguments,
    extra=extras,
    exc=st.none() | exceptions,
)
def test_any_record_formats_to_one_json_line(
    encoder: str, name: str, level: int, msg: Any, args: Any, extra: dict[str, Any], exc: Any
) -> None:
    """Arbitrary messages, arguments, extras and exception chains (cycles too): one JSON line."""
    formatter = JsonLogFormatter(logger_name="fuzz", encoder=encoder)
    record = make_record(name, level, msg, args, extra, exc)

    assert_one_mozlog_line(formatter.format(record), record)


@pytest.mark.parametrize("encoder", ENCODERS)
@FUZZ
@given(text=st.text(alphabet=st.characters(codec="utf-8"), min_size=1))
def test_message_text_survives_the_round_trip(encoder: str, text: str) -> None:
    """Whatever characters a message holds, the parsed line gives them back unchanged."""
    formatter = JsonLogFormatter(encoder=encoder)
    record = make_record("fuzz", logging.INFO, text, (), {"echo": text}, None)

    parsed = assert_one_mozlog_line(formatter.format(record), record)

    assert parsed["Fields"]["msg"] == text
    assert parsed["Fields"]["echo"] == text


def nested(depth: int, container: str) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value] if container == "list" else {"k": value}
    return value


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("container", ["list", "dict"])
@pytest.mark.parametrize("depth", [50, 1_000, 100_000])
def test_deeply_nested_values_format(encoder: str, container: str, depth: int) -> None:
    """Nesting past the encoders' and the interpreter's limits still gives one JSON line."""
    formatter = JsonLogFormatter(encoder=encoder)
    value = nested(depth, container)
    record = make_record(
        "deep", logging.INFO, "deep %s", (value,) if depth < 1000 else (), {"deep": value}, None
    )

    assert_one_mozlog_line(formatter.format(record), record)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_huge_values_format(encoder: str) -> None:
    """A 20 MB string, a 100,000-digit integer and a 200,000-item list each stay one line."""
    formatter = JsonLogFormatter(encoder=encoder)
    huge = {
        "text": "x\n" * 10_000_000,
        "number": 7**118_000,  # more digits than sys.get_int_max_str_digits() allows
        "items": list(range(200_000)),
        "mapping": {str(i): i for i in range(50_000)},
    }
    record = make_record("huge", logging.INFO, "big", (), huge, None)

    parsed = assert_one_mozlog_line(formatter.format(record), record)

    assert len(parsed["Fields"]["text"]) == 20_000_000
    assert len(parsed["Fields"]["items"]) == 200_000


@pytest.mark.parametrize("encoder", ENCODERS)
def test_cyclic_values_and_exception_cycles_format(encoder: str) -> None:
    """A list containing itself and an exception that is its own context: one line."""
    formatter = JsonLogFormatter(encoder=encoder)
    loop: list[Any] = [1]
    loop.append(loop)
    mapping: dict[str, Any] = {}
    mapping["self"] = mapping
    try:
        raise ValueError("first")
    except ValueError as exc:
        error = exc
    error.__context__ = error
    error.__cause__ = error
    record = make_record(
        "cycles", logging.ERROR, "%s", (loop,), {"loop": loop, "map": mapping}, error
    )

    parsed = assert_one_mozlog_line(formatter.format(record), record)

    assert parsed["Fields"]["error"] == "ValueError('first')"


@pytest.mark.parametrize("encoder", ENCODERS)
def test_record_with_broken_attributes_still_formats(encoder: str) -> None:
    """A record whose created time and args are nonsense falls back to a valid line."""
    formatter = JsonLogFormatter(encoder=encoder)
    record = make_record(
        "broken", logging.INFO, BrokenRepr(), (BrokenRepr(),), {"x": BrokenRepr()}, None
    )
    record.created = "yesterday"  # type: ignore[assignment]

    line = formatter.format(record)

    assert line.splitlines() == [line]
    assert json.loads(line)["Fields"]


def test_recursion_limit_is_restored() -> None:
    """Formatting deep values never changes the interpreter's recursion limit."""
    before = sys.getrecursionlimit()
    formatter = JsonLogFormatter()
    formatter.format(
        make_record("deep", logging.INFO, "m", (), {"v": nested(50_000, "list")}, None)
    )
    assert sys.getrecursionlimit() == before


def test_uuid_and_dates_are_readable() -> None:
    """Values JSON cannot hold become their readable text, as documented."""
    formatter = JsonLogFormatter(encoder="json")
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    record = make_record(
        "types", logging.INFO, "m", (), {"when": when, "id": ident, "c": Color.RED}, None
    )

    fields = json.loads(formatter.format(record))["Fields"]

    assert fields["when"] == "2024-01-02T03:04:05"
    assert fields["id"] == str(ident)
    assert fields["c"] == "red"
