"""Lines written without a record: the record's own line, and only where nothing else could tell."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockerflow.logging import MozlogFormatter, MozlogHandler, RequestIdLogFilter
from dockerflow.logging._direct import fields_line_writer, write_fields_line
from dockerflow.logging._records import make_fields_record

FIELDS = {
    "errno": 0,
    "agent": "curl/8.5.0",
    "path": "/items/42",
    "code": 200,
    "remoteAddressChain": ["203.0.113.7"],
    "rid": "6f1c2a0e-8b7d-4c1e-9a4b-2f5d3e6a7b8c",
    "t": 3,
}


def detached_logger(name: str) -> logging.Logger:
    """A logger with a parent, both made outside logging's registry and without handlers.

    Outside the registry, no test plugin attaches its capture handlers to them
    (pytest does, to registered loggers that do not propagate).
    """
    parent = logging.Logger(f"{name}.parent")
    child = logging.Logger(f"{name}.parent.summary")
    child.parent = parent
    return child


@pytest.fixture
def logger(request: pytest.FixtureRequest) -> logging.Logger:
    """A detached logger named after the test."""
    return detached_logger(f"direct.{request.node.name}")


def stream_handler(stream: io.StringIO, encoder: str = "auto") -> logging.StreamHandler:  # type: ignore[type-arg]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MozlogFormatter(logger_name="svc", encoder=encoder))
    return handler


def without_timestamp(line: str) -> str:
    """The line after its Timestamp value: the only part that differs from one call to the next."""
    assert line.startswith('{"Timestamp":')
    return line[line.index(",") :]


def record_path_line(logger: logging.Logger, fields: dict[str, Any]) -> str:
    """What logging the prebuilt record of ``fields`` writes, through ``logger.handle``."""
    (handler,) = logger.handlers
    before = handler.stream.getvalue()
    logger.handle(make_fields_record(logger, logging.INFO, __file__, 0, "", "f", dict(fields)))
    return str(handler.stream.getvalue()[len(before) :])


@pytest.mark.parametrize("encoder", ["json", "orjson"])
@pytest.mark.parametrize("handler_class", ["StreamHandler", "MozlogHandler"])
def test_direct_line_is_the_record_path_line(
    logger: logging.Logger, encoder: str, handler_class: str
) -> None:
    """The line written directly is, but for its Timestamp, the line the record gives."""
    if encoder == "orjson":
        pytest.importorskip("orjson")
    stream = io.StringIO()
    if handler_class == "MozlogHandler":
        handler: logging.StreamHandler = MozlogHandler(stream, name="svc")  # type: ignore[type-arg]
        handler.setFormatter(MozlogFormatter(logger_name="svc", encoder=encoder))
    else:
        handler = stream_handler(stream, encoder)
    logger.addHandler(handler)

    assert write_fields_line(logger, logging.INFO, dict(FIELDS))
    direct = stream.getvalue()
    reference = record_path_line(logger, FIELDS)
    assert direct.endswith("\n")
    assert direct.count("\n") == 1
    assert without_timestamp(direct) == without_timestamp(reference)
    parsed = json.loads(direct)
    assert abs(parsed["Timestamp"] - json.loads(reference)["Timestamp"]) < 60 * 10**9
    assert (parsed["Type"], parsed["Logger"], parsed["Severity"]) == (logger.name, "svc", 6)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("encoder", ["json", "orjson"])
@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12).map(lambda key: f"x_{key}"), json_values))
def test_direct_line_matches_the_record_path_for_any_fields(
    encoder: str, fields: dict[str, Any]
) -> None:
    """Any field values (NaN, deep lists, odd text), either encoder: the record's line."""
    if encoder == "orjson":
        pytest.importorskip("orjson")
    logger = detached_logger("direct.any_fields")
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream, encoder))
    assert write_fields_line(logger, logging.INFO, fields)
    direct = stream.getvalue()
    assert without_timestamp(direct) == without_timestamp(record_path_line(logger, fields))


def test_severity_follows_the_level(logger: logging.Logger) -> None:
    """The envelope's Severity is the syslog level of the level asked for."""
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
    assert write_fields_line(logger, logging.WARNING, {"a": 1})
    assert json.loads(stream.getvalue())["Severity"] == 4


def test_a_request_id_filter_lets_a_line_with_a_rid_through(logger: logging.Logger) -> None:
    """RequestIdLogFilter leaves a record that carries its rid unchanged: written directly."""
    stream = io.StringIO()
    handler = stream_handler(stream)
    handler.addFilter(RequestIdLogFilter())
    logger.addHandler(handler)
    assert write_fields_line(logger, logging.INFO, dict(FIELDS))
    assert json.loads(stream.getvalue())["Fields"]["rid"] == FIELDS["rid"]


def test_a_handler_above_the_level_is_not_a_second_handler(logger: logging.Logger) -> None:
    """A handler the record would skip for its level neither counts nor writes."""
    stream, errors = io.StringIO(), io.StringIO()
    logger.addHandler(stream_handler(stream))
    warnings_only = stream_handler(errors)
    warnings_only.setLevel(logging.WARNING)
    logger.parent.addHandler(warnings_only)  # type: ignore[union-attr]
    assert write_fields_line(logger, logging.INFO, {"a": 1})
    assert stream.getvalue()
    assert not errors.getvalue()


class OtherFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return True


class SubLogger(logging.Logger):
    pass


class SubHandler(logging.StreamHandler):  # type: ignore[type-arg]
    pass


class SubFormatter(MozlogFormatter):
    pass


def declining_setups() -> dict[str, Any]:
    """Setups where the record could be seen or changed by something else, each a function."""

    def logger_filter(logger: logging.Logger, handler: logging.Handler) -> None:
        logger.addFilter(OtherFilter())

    def second_handler(logger: logging.Logger, handler: logging.Handler) -> None:
        logger.addHandler(stream_handler(io.StringIO()))

    def parent_handler(logger: logging.Logger, handler: logging.Handler) -> None:
        logger.parent.addHandler(stream_handler(io.StringIO()))  # type: ignore[union-attr]

    def handler_filter(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.addFilter(OtherFilter())

    def callable_filter(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.addFilter(lambda record: True)

    def other_formatter(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.setFormatter(logging.Formatter("%(message)s"))

    def formatter_subclass(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.setFormatter(SubFormatter())

    def no_formatter(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.setFormatter(None)

    def handler_above_level(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.setLevel(logging.ERROR)  # then no handler takes the record at all

    def logger_handle_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        logger.handle = logging.Logger.handle.__get__(logger)  # type: ignore[method-assign]

    def logger_call_handlers_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        logger.callHandlers = logging.Logger.callHandlers.__get__(logger)  # type: ignore[method-assign]

    def handler_emit_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.emit = logging.StreamHandler.emit.__get__(handler)  # type: ignore[method-assign]

    def handler_flush_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.flush = logging.StreamHandler.flush.__get__(handler)  # type: ignore[method-assign]

    def formatter_format_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        formatter = handler.formatter
        formatter.format = MozlogFormatter.format.__get__(formatter)  # type: ignore[method-assign,union-attr]

    def request_id_filter_replaced(logger: logging.Logger, handler: logging.Handler) -> None:
        request_ids = RequestIdLogFilter()
        request_ids.filter = lambda record: True  # type: ignore[method-assign]
        handler.addFilter(request_ids)

    def no_lock(logger: logging.Logger, handler: logging.Handler) -> None:
        handler.lock = None

    return {
        "logger filter": logger_filter,
        "second handler": second_handler,
        "handler of a parent it propagates to": parent_handler,
        "other handler filter": handler_filter,
        "callable handler filter": callable_filter,
        "plain formatter": other_formatter,
        "formatter subclass": formatter_subclass,
        "no formatter": no_formatter,
        "no handler takes the level": handler_above_level,
        "logger's handle replaced on the instance": logger_handle_replaced,
        "logger's callHandlers replaced on the instance": logger_call_handlers_replaced,
        "handler's emit replaced on the instance": handler_emit_replaced,
        "handler's flush replaced on the instance": handler_flush_replaced,
        "formatter's format replaced on the instance": formatter_format_replaced,
        "RequestIdLogFilter's filter replaced on the instance": request_id_filter_replaced,
        "handler without a lock": no_lock,
    }


@pytest.mark.parametrize("setup", declining_setups().values(), ids=list(declining_setups()))
def test_declines_where_the_record_could_be_seen_or_changed(
    logger: logging.Logger, setup: Any
) -> None:
    """Each setup that could see or change the record: nothing written, False."""
    stream = io.StringIO()
    handler = stream_handler(stream)
    logger.addHandler(handler)
    setup(logger, handler)
    assert not write_fields_line(logger, logging.INFO, dict(FIELDS))
    assert stream.getvalue() == ""


def test_declines_a_request_id_filter_without_a_rid(logger: logging.Logger) -> None:
    """RequestIdLogFilter would add a rid to fields without one: not written directly."""
    stream = io.StringIO()
    handler = stream_handler(stream)
    handler.addFilter(RequestIdLogFilter())
    logger.addHandler(handler)
    assert not write_fields_line(logger, logging.INFO, {"a": 1})
    assert not write_fields_line(logger, logging.INFO, {"rid": ""})


class SubMozlogHandler(MozlogHandler):
    pass


@pytest.mark.parametrize("handler_class", [SubHandler, SubMozlogHandler])
def test_declines_a_handler_subclass(logger: logging.Logger, handler_class: Any) -> None:
    """A handler subclass (FileHandler, say) may do more than write: not written directly."""
    stream = io.StringIO()
    handler = handler_class(stream)
    handler.setFormatter(MozlogFormatter())
    logger.addHandler(handler)
    assert not write_fields_line(logger, logging.INFO, {"a": 1})
    assert stream.getvalue() == ""


def wrapped(function: Any) -> Any:
    """What a tool that watches logging puts in place of ``function``."""

    def watching(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return watching


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (logging.Logger, "callHandlers"),  # what Sentry's logging integration replaces
        (logging.Logger, "handle"),
        (logging.Logger, "filter"),
        (logging.Logger, "makeRecord"),
        (logging.Handler, "handle"),
        (logging.Handler, "format"),
        (logging.Filterer, "filter"),
        (logging.StreamHandler, "emit"),
        (MozlogHandler, "emit"),
        (MozlogFormatter, "format"),
    ],
)
@pytest.mark.parametrize("handler_class", [logging.StreamHandler, MozlogHandler])
def test_declines_while_a_method_of_the_record_path_is_replaced(
    logger: logging.Logger,
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    handler_class: Any,
) -> None:
    """A tool that replaces a logging method on its class sees every record: never skipped."""
    stream = io.StringIO()
    handler = handler_class(stream)
    handler.setFormatter(MozlogFormatter())
    logger.addHandler(handler)
    assert write_fields_line(logger, logging.INFO, {"a": 1})
    monkeypatch.setattr(owner, name, wrapped(getattr(owner, name)))
    before = stream.getvalue()
    # The emit of the other handler class is not on this handler's path.
    other_emit = name == "emit" and owner in (logging.StreamHandler, MozlogHandler)
    if other_emit and owner is not handler_class:
        assert write_fields_line(logger, logging.INFO, {"a": 1})
    else:
        assert not write_fields_line(logger, logging.INFO, {"a": 1})
        assert stream.getvalue() == before
    monkeypatch.undo()
    assert write_fields_line(logger, logging.INFO, {"a": 1})


_REPLACED_BEFORE_IMPORT = """
import io, logging

def watching(function):
    return lambda *args, **kwargs: function(*args, **kwargs)

logging.Logger.{name} = watching(logging.Logger.{name})
from dockerflow.logging import MozlogFormatter
from dockerflow.logging._direct import fields_line_writer, write_fields_line
from dockerflow.logging._records import makes_stock_records

logger = logging.Logger("early")
handler = logging.StreamHandler(io.StringIO())
handler.setFormatter(MozlogFormatter())
logger.addHandler(handler)
print(write_fields_line(logger, logging.INFO, {{"a": 1}}), makes_stock_records(logger))
"""


@pytest.mark.parametrize(
    ("name", "stock_records"), [("callHandlers", "True"), ("makeRecord", "False")]
)
def test_a_method_replaced_before_the_import_turns_the_direct_write_off(
    name: str, stock_records: str
) -> None:
    """Replaced before dockerflow.logging is imported (ddtrace-run, say): never taken for stock."""
    out = subprocess.run(
        [sys.executable, "-c", _REPLACED_BEFORE_IMPORT.format(name=name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out == ["False", stock_records]


def test_declines_fields_with_a_standard_attribute_name(logger: logging.Logger) -> None:
    """A field named like a record attribute would not reach the record as a field."""
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
    for name in ("msg", "logger_name", "levelname", "message"):
        assert not write_fields_line(logger, logging.INFO, {name: "x"})
    assert stream.getvalue() == ""


def test_the_documented_setup_through_propagation_is_written_directly(
    logger: logging.Logger,
) -> None:
    """A parent's one handler with RequestIdLogFilter, reached by propagating: written."""
    stream = io.StringIO()
    handler = stream_handler(stream)
    handler.addFilter(RequestIdLogFilter())
    logger.parent.addHandler(handler)  # type: ignore[union-attr]
    assert write_fields_line(logger, logging.INFO, dict(FIELDS))
    direct = stream.getvalue()
    logger.handle(make_fields_record(logger, logging.INFO, __file__, 0, "", "f", dict(FIELDS)))
    assert without_timestamp(direct) == without_timestamp(stream.getvalue()[len(direct) :])


def test_propagation_turned_off_ends_the_walk(logger: logging.Logger) -> None:
    """A parent's handler is not reached when the logger does not propagate."""
    stream, parents = io.StringIO(), io.StringIO()
    logger.addHandler(stream_handler(stream))
    logger.parent.addHandler(stream_handler(parents))  # type: ignore[union-attr]
    assert not write_fields_line(logger, logging.INFO, {"a": 1})
    logger.propagate = False
    assert write_fields_line(logger, logging.INFO, {"a": 1})
    assert stream.getvalue()
    assert parents.getvalue() == ""


def test_declines_a_logger_subclass() -> None:
    """A Logger subclass may override handle or makeRecord: not written directly."""
    logger = SubLogger("direct.sub")
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
    assert not write_fields_line(logger, logging.INFO, {"a": 1})
    assert stream.getvalue() == ""


def test_declines_while_a_record_factory_is_installed(logger: logging.Logger) -> None:
    """A record factory may add attributes that would become fields: not written directly."""
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(lambda *args, **kwargs: factory(*args, **kwargs))
    try:
        assert not write_fields_line(logger, logging.INFO, {"a": 1})
    finally:
        logging.setLogRecordFactory(factory)
    assert write_fields_line(logger, logging.INFO, {"a": 1})


def test_a_stream_that_fails_goes_to_handle_error(logger: logging.Logger) -> None:
    """A write that raises reaches the handler's handleError with the record, never the caller."""
    seen: list[logging.LogRecord] = []

    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    handler = stream_handler(Broken())
    handler.handleError = seen.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    assert write_fields_line(logger, logging.INFO, dict(FIELDS))
    (record,) = seen
    assert (record.name, record.levelno, record.getMessage()) == (logger.name, logging.INFO, "")
    assert {name: getattr(record, name) for name in FIELDS} == FIELDS


def test_a_recursion_error_reaches_the_caller(logger: logging.Logger) -> None:
    """As StreamHandler.emit does, a RecursionError is not swallowed by handleError."""

    class Deep(io.StringIO):
        def write(self, text: str) -> int:
            raise RecursionError("too deep")

    logger.addHandler(stream_handler(Deep()))
    with pytest.raises(RecursionError):
        write_fields_line(logger, logging.INFO, {"a": 1})


def test_the_line_is_written_under_the_handler_lock(logger: logging.Logger) -> None:
    """While the line is written, another thread cannot take the handler's lock."""
    others_could_lock: list[bool] = []

    class Watching(io.StringIO):
        def write(self, text: str) -> int:
            def try_lock() -> None:
                taken = handler.lock.acquire(blocking=False)  # type: ignore[union-attr]
                if taken:
                    handler.lock.release()  # type: ignore[union-attr]
                others_could_lock.append(taken)

            other = threading.Thread(target=try_lock)
            other.start()
            other.join(timeout=10)
            return super().write(text)

    stream = Watching()
    handler = stream_handler(stream)
    logger.addHandler(handler)
    assert write_fields_line(logger, logging.INFO, {"a": 1})
    assert others_could_lock == [False]
    assert json.loads(stream.getvalue())["Fields"] == {"a": 1}


def test_a_prepared_writer_checks_the_names_once_and_writes_the_same_line(
    logger: logging.Logger,
) -> None:
    """fields_line_writer refuses standard names up front, then writes write_fields_line's line."""
    with pytest.raises(ValueError, match="msg"):
        fields_line_writer(logger, logging.INFO, ["path", "msg"])
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
    write = fields_line_writer(logger, logging.INFO, FIELDS)
    assert write(dict(FIELDS))
    assert write_fields_line(logger, logging.INFO, dict(FIELDS))
    first, second = stream.getvalue().splitlines()
    assert without_timestamp(first) == without_timestamp(second)
    logger.addFilter(OtherFilter())
    assert not write(dict(FIELDS))  # the set-up is still checked on every call
