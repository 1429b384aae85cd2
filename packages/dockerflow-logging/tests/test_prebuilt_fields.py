"""Records carrying their fields prebuilt: same output as the general path."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockerflow.logging import MozlogFormatter, RequestIdLogFilter, request_id_context
from dockerflow.logging._encoding import make_encoder
from dockerflow.logging._records import (
    STANDARD_RECORD_ATTRS,
    FieldsLogRecord,
    extra_fields,
    make_fields_record,
)

LOGGER = logging.getLogger("request.summary")
SUMMARY = {
    "errno": 0,
    "agent": "curl/8.5.0",
    "lang": "",
    "method": "GET",
    "path": "/items/42",
    "code": 200,
    "remoteAddressChain": ["203.0.113.7", "10.0.0.2"],
    "rid": "6f1c2a0e-8b7d-4c1e-9a4b-2f5d3e6a7b8c",
    "t": 12,
    "uid": "",
}


def prebuilt(fields: dict[str, Any], msg: str = "") -> logging.LogRecord:
    return make_fields_record(LOGGER, logging.INFO, __file__, 0, msg, "handler", fields)


def as_plain_record(record: logging.LogRecord) -> logging.LogRecord:
    """A plain LogRecord with the same attributes, in the same order."""
    plain = logging.makeLogRecord({})
    plain.__dict__.clear()
    plain.__dict__.update(record.__dict__)
    return plain


def test_prebuilt_record_has_the_attributes_make_record_gives() -> None:
    """The record has makeRecord's attributes, in order, and the dict outside them."""
    record = prebuilt(dict(SUMMARY))
    reference = LOGGER.makeRecord(
        LOGGER.name, logging.INFO, __file__, 0, "", (), None, "handler", dict(SUMMARY)
    )
    assert type(record) is FieldsLogRecord
    assert list(vars(record)) == list(vars(reference))
    for name in ("errno", "path", "remoteAddressChain", "msg", "funcName", "levelname"):
        assert getattr(record, name) == getattr(reference, name)
    assert "prebuilt_fields" not in vars(record)


def test_unchanged_record_formats_exactly_as_the_general_path(encoder: str) -> None:
    """The prebuilt dict gives the very same line as scanning the record."""
    formatter = MozlogFormatter(logger_name="app", encoder=encoder)
    record = prebuilt(dict(SUMMARY))
    assert formatter.format(record) == formatter.format(as_plain_record(record))
    assert json.loads(formatter.format(record))["Fields"] == SUMMARY


def test_extra_fields_of_a_prebuilt_record_is_a_copy() -> None:
    """extra_fields never hands out the record's own dict."""
    fields = dict(SUMMARY)
    record = prebuilt(fields)
    extras = extra_fields(record)
    assert extras == SUMMARY
    assert extras is not fields


def test_formatting_leaves_the_prebuilt_dict_alone(encoder: str) -> None:
    """A message or an exception is added to a copy, not to the caller's dict."""
    formatter = MozlogFormatter(encoder=encoder)
    fields = dict(SUMMARY)
    record = prebuilt(fields, msg="boom")
    try:
        raise ValueError("bad")
    except ValueError as exc:
        record.exc_info = (ValueError, exc, exc.__traceback__)
    parsed = json.loads(formatter.format(record))
    assert parsed["Fields"]["msg"] == "boom"
    assert "ValueError" in parsed["Fields"]["error"]
    assert fields == SUMMARY


def test_request_id_filter_replacing_an_empty_rid_is_seen(encoder: str) -> None:
    """A filter that replaces a prebuilt value wins over the prebuilt dict."""
    formatter = MozlogFormatter(encoder=encoder)
    record = prebuilt({**SUMMARY, "rid": ""})
    token = request_id_context.set("from-the-context")
    try:
        assert RequestIdLogFilter().filter(record)
    finally:
        request_id_context.reset(token)
    assert json.loads(formatter.format(record))["Fields"]["rid"] == "from-the-context"


def test_attributes_added_after_building_are_merged_in_order(encoder: str) -> None:
    """Extras set later follow the prebuilt ones; standard ones stay out."""
    formatter = MozlogFormatter(encoder=encoder)
    record = prebuilt(dict(SUMMARY))
    logging.Formatter("%(asctime)s %(message)s").format(record)  # another handler's
    record.tenant = "acme"
    record.region = "eu"
    line = formatter.format(record)
    assert list(json.loads(line)["Fields"]) == [*SUMMARY, "tenant", "region"]
    assert line == formatter.format(as_plain_record(record))


def test_copied_and_pickled_records_keep_their_fields(encoder: str) -> None:
    """QueueHandler's copy and SocketHandler-style pickling keep every field."""
    formatter = MozlogFormatter(encoder=encoder)
    record = prebuilt(dict(SUMMARY))
    expected = json.loads(formatter.format(record))["Fields"]
    for clone in (copy.copy(record), pickle.loads(pickle.dumps(record))):
        assert json.loads(formatter.format(clone))["Fields"] == expected


def test_a_custom_record_factory_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a record factory installed, the record is the factory's own."""
    default = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = default(*args, **kwargs)
        record.service = "billing"
        return record

    monkeypatch.setattr(logging, "_logRecordFactory", factory)
    record = prebuilt(dict(SUMMARY))
    assert type(record) is not FieldsLogRecord
    assert extra_fields(record) == {"service": "billing", **SUMMARY}


def test_a_field_named_like_a_standard_attribute_is_refused_as_make_record_does() -> None:
    """Overwriting ``message`` raises KeyError, as ``extra=`` does."""
    with pytest.raises(KeyError):
        prebuilt({"message": "x"})


# Mostly a few names, so that changes often hit a prebuilt field.
field_names = st.sampled_from(["rid", "path", "code", "uid"]) | st.text(
    min_size=1, max_size=8
).filter(lambda name: name not in STANDARD_RECORD_ATTRS and not hasattr(FieldsLogRecord, name))
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
# What filters and other handlers do to a record after it is built.
changes = st.lists(
    st.one_of(
        st.tuples(st.just("set"), field_names, values),
        st.tuples(st.just("delete"), field_names, st.none()),
        st.tuples(st.just("set"), st.sampled_from(["message", "asctime"]), st.text(max_size=5)),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(field_names, values, max_size=8),
    msg=st.sampled_from(["", "hello"]),
    changes=changes,
    use_orjson=st.booleans(),
)
def test_prebuilt_and_general_paths_give_the_same_json(
    fields: dict[str, Any], msg: str, changes: list[tuple[str, str, Any]], use_orjson: bool
) -> None:
    """Whatever filters change, the prebuilt record parses like the general path."""
    if use_orjson:
        pytest.importorskip("orjson")
    formatter = MozlogFormatter(encoder="orjson" if use_orjson else "json")
    record = prebuilt(dict(fields), msg=msg)
    for action, name, value in changes:
        if action == "set":
            setattr(record, name, value)
        elif name in vars(record):
            delattr(record, name)
    expected = {**extra_fields(as_plain_record(record)), **({"msg": msg} if msg else {})}
    parsed = json.loads(formatter.format(record))
    assert parsed == json.loads(formatter.format(as_plain_record(record)))
    assert parsed["Fields"] == json.loads(make_encoder("json").encode(expected))
