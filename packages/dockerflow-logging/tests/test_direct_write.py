"""Lines written without a record: the record's own line, and only where nothing else could tell."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockerflow.logging import MozlogFormatter, MozlogHandler, RequestIdLogFilter
from dockerflow.logging.direct import write_fields_line
from dockerflow.logging.records import make_fields_record

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


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12).map(lambda key: f"x_{key}"), json_values))
def test_direct_line_matches_the_record_path_for_any_fields(fields: dict[str, Any]) -> None:
    """Any field values (NaN, deep lists, odd text): the same line as the record's."""
    logger = detached_logger("direct.any_fields")
    stream = io.StringIO()
    logger.addHandler(stream_handler(stream))
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


def test_declines_a_handler_subclass(logger: logging.Logger) -> None:
    """A StreamHandler subclass (FileHandler, say) may do more than write: not written directly."""
    stream = io.StringIO()
    handler = SubHandler(stream)
    handler.setFormatter(MozlogFormatter())
    logger.addHandler(handler)
    assert not write_fields_line(logger, logging.INFO, {"a": 1})
    assert stream.getvalue() == ""


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
    assert (record.name, record.levelno, record.path) == (logger.name, logging.INFO, "/items/42")


def test_the_line_is_written_under_the_handler_lock(logger: logging.Logger) -> None:
    """While another thread holds the handler's lock, the line waits for it."""
    stream = io.StringIO()
    handler = stream_handler(stream)
    logger.addHandler(handler)
    done = threading.Event()

    def write() -> None:
        write_fields_line(logger, logging.INFO, {"a": 1})
        done.set()

    handler.acquire()
    try:
        thread = threading.Thread(target=write)
        thread.start()
        assert not done.wait(0.3)
        assert stream.getvalue() == ""
    finally:
        handler.release()
    thread.join(timeout=10)
    assert done.is_set()
    assert json.loads(stream.getvalue())["Fields"] == {"a": 1}
