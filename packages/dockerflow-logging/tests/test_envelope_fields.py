"""Each field of the mozlog 2.0 envelope, with both encoders."""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
import time

import pytest

from dockerflow.logging import JsonLogFormatter, MozlogFormatter


def test_timestamp_is_integer_nanoseconds_of_record_creation(formatter, make_record, parse_line):
    """Timestamp is an int holding the record's creation time in ns since the epoch."""
    before = time.time_ns()
    record = make_record()
    parsed = parse_line(formatter.format(record))
    assert isinstance(parsed["Timestamp"], int)
    assert parsed["Timestamp"] == int(record.created * 1e9)
    assert before - 10**6 <= parsed["Timestamp"] <= time.time_ns() + 10**6


def test_type_is_the_logger_name_of_the_record(formatter, make_record, parse_line):
    """Type carries the name of the logger the record was logged on."""
    parsed = parse_line(formatter.format(make_record(name="request.summary")))
    assert parsed["Type"] == "request.summary"


def test_logger_is_the_formatter_argument(encoder, make_record, parse_line):
    """Logger carries the formatter's logger_name argument, "Dockerflow" by default."""
    named = MozlogFormatter(logger_name="myproject", encoder=encoder)
    default = MozlogFormatter(encoder=encoder)
    assert parse_line(named.format(make_record()))["Logger"] == "myproject"
    assert parse_line(default.format(make_record()))["Logger"] == "Dockerflow"


def test_logger_name_on_the_record_wins(formatter, make_record, parse_line):
    """A record's own logger_name attribute (python-dockerflow's handler sets one) wins."""
    record = make_record()
    record.logger_name = "from-record"
    parsed = parse_line(formatter.format(record))
    assert parsed["Logger"] == "from-record"
    assert "logger_name" not in parsed["Fields"]


def test_hostname_is_this_machine(formatter, make_record, parse_line):
    """Hostname is the machine's host name."""
    assert parse_line(formatter.format(make_record()))["Hostname"] == socket.gethostname()


def test_env_version_is_2_0(formatter, make_record, parse_line):
    """EnvVersion is the string "2.0"."""
    assert parse_line(formatter.format(make_record()))["EnvVersion"] == "2.0"


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.CRITICAL, 2),
        (logging.ERROR, 3),
        (logging.WARNING, 4),
        (logging.INFO, 6),
        (logging.DEBUG, 7),
        (logging.NOTSET, 7),
        (5, 7),
        (25, 6),
        (45, 3),
        (60, 2),
    ],
)
def test_severity_is_the_syslog_level(formatter, make_record, parse_line, level, severity):
    """Severity is syslog's: standard levels as python-dockerflow, others as the level below."""
    parsed = parse_line(formatter.format(make_record(level=level)))
    assert parsed["Severity"] == severity


def test_pid_is_the_process_that_made_the_record(formatter, make_record, parse_line):
    """Pid is the id of the process that created the record."""
    record = make_record()
    assert parse_line(formatter.format(record))["Pid"] == os.getpid()
    record.process = 4242  # as a record made in another process (QueueHandler, fork)
    assert parse_line(formatter.format(record))["Pid"] == 4242


def test_pid_falls_back_to_this_process_when_records_do_not_carry_one(
    formatter, make_record, parse_line
):
    """With logging.logProcesses off the record has no pid; the current one is used."""
    record = make_record()
    record.process = None
    assert parse_line(formatter.format(record))["Pid"] == os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pid_is_right_in_a_forked_child(formatter, make_record, parse_line):
    """A formatter created before a fork (gunicorn --preload) reports the child's pid."""
    parse_line(formatter.format(make_record()))  # fills the parent's cache
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(write_end, formatter.format(make_record()).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        line = pipe.read().decode()
    os.waitpid(pid, 0)
    assert parse_line(line)["Pid"] == pid


def test_fields_hold_the_extra_attributes(formatter, make_record, parse_line):
    """Fields holds what was passed with extra=, and no standard attribute."""
    extra = {"errno": 0, "path": "/x", "remoteAddressChain": ["1.2.3.4"], "t": 3}
    parsed = parse_line(formatter.format(make_record("", extra=extra)))
    assert parsed["Fields"] == extra


def test_fields_skip_attributes_other_formatters_add(formatter, make_record, parse_line):
    """message and asctime, set by a standard formatter on another handler, stay out."""
    record = make_record("hi", extra={"a": 1})
    logging.Formatter("%(asctime)s %(message)s").format(record)
    parsed = parse_line(formatter.format(record))
    assert parsed["Fields"] == {"a": 1, "msg": "hi"}


def test_fields_of_records_of_other_shapes(formatter, parse_line):
    """Records built by makeLogRecord or a LogRecord subclass give the same fields."""

    class CustomRecord(logging.LogRecord):
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.early = "set before the standard attributes"
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    made = logging.makeLogRecord({"name": "n", "msg": "m", "a": 1})
    custom = CustomRecord("n", logging.INFO, __file__, 1, "m", (), None)
    custom.late = 2
    assert parse_line(formatter.format(made))["Fields"] == {"a": 1, "msg": "m"}
    fields = parse_line(formatter.format(custom))["Fields"]
    assert fields == {"early": "set before the standard attributes", "late": 2, "msg": "m"}


def test_fields_survive_a_deleted_standard_attribute(formatter, make_record, parse_line):
    """A record missing a standard attribute still gives exactly its extras."""
    record = make_record("m", extra={"a": 1})
    del record.funcName
    record.b = 2
    assert parse_line(formatter.format(record))["Fields"] == {"a": 1, "b": 2, "msg": "m"}


def test_msg_is_the_formatted_message(formatter, make_record, parse_line):
    """Fields.msg is the message with its arguments applied."""
    parsed = parse_line(formatter.format(make_record("user %s did %d things", ("ann", 3))))
    assert parsed["Fields"]["msg"] == "user ann did 3 things"


def test_msg_is_absent_when_the_message_is_empty(formatter, make_record, parse_line):
    """An empty message adds no msg key (request.summary records)."""
    assert "msg" not in parse_line(formatter.format(make_record("")))["Fields"]


def test_msg_that_looks_like_json_is_kept(formatter, make_record, parse_line):
    """A message that looks like a JSON object is still logged (python-dockerflow dropped it)."""
    parsed = parse_line(formatter.format(make_record('{"a": 1}')))
    assert parsed["Fields"]["msg"] == '{"a": 1}'


def test_non_string_message_is_converted_with_str(formatter, make_record, parse_line):
    """A message that is not a string is logged as its str()."""
    assert parse_line(formatter.format(make_record(12.5)))["Fields"]["msg"] == "12.5"


def test_dict_message_is_merged_into_fields(formatter, make_record, parse_line):
    """A dict message has its items merged into Fields (python-dockerflow issue 40)."""
    record = make_record({"action": "login", "user": 7}, extra={"rid": "abc"})
    parsed = parse_line(formatter.format(record))
    assert parsed["Fields"] == {"rid": "abc", "action": "login", "user": 7}


def test_extras_win_over_dict_message_items(formatter, make_record, parse_line):
    """On a key clash, the record's extra attribute wins over the dict message's item."""
    parsed = parse_line(formatter.format(make_record({"rid": "spoofed"}, extra={"rid": "real"})))
    assert parsed["Fields"] == {"rid": "real"}


def test_dict_message_through_a_logger(encoder, parse_line):
    """log.info({...}) through a real logger and handler keeps the dict's items."""
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = ListHandler()
    handler.setFormatter(MozlogFormatter(encoder=encoder))
    logger = logging.getLogger("test.dict-message")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info({"event": "signup", "plan": "free"})
    finally:
        logger.removeHandler(handler)
    assert parse_line(lines[0])["Fields"] == {"event": "signup", "plan": "free"}


def test_bad_message_arguments_keep_the_record(formatter, make_record, parse_line):
    """log.info("%s %s", 1) does not raise: the template, args and error are logged."""
    fields = parse_line(formatter.format(make_record("%s %s", (1,))))["Fields"]
    assert fields["msg"] == "%s %s"
    assert fields["msg_args"] == "(1,)"
    assert "TypeError" in fields["msg_error"]


def test_exception_info_gives_error_and_traceback(formatter, make_record, parse_line):
    """A record with exc_info gets error (repr of the value) and traceback."""
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = make_record("failed", level=logging.ERROR, exc_info=sys.exc_info())
    fields = parse_line(formatter.format(record))["Fields"]
    assert fields["msg"] == "failed"
    assert fields["error"] == repr(ValueError("bad\nvalue"))
    assert fields["traceback"].startswith("Uncaught exception:\n")
    assert "test_exception_info_gives_error_and_traceback" in fields["traceback"]
    assert fields["traceback"].endswith("ValueError('bad\\nvalue')\n")


def test_traceback_includes_the_chained_causes_in_the_standard_order(
    formatter, make_record, parse_line
):
    """raise ... from, and an exception raised while handling another, are all in the traceback."""

    def connect() -> None:
        raise OSError("connection refused")

    try:
        try:
            connect()
        except OSError as exc:
            try:
                raise LookupError("no replica") from exc
            except LookupError:
                raise RuntimeError("query failed")  # noqa: B904 - the implicit context is the point
    except RuntimeError:
        record = make_record("failed", level=logging.ERROR, exc_info=sys.exc_info())
    traceback_text = parse_line(formatter.format(record))["Fields"]["traceback"]

    order = [
        traceback_text.index("OSError('connection refused')"),
        traceback_text.index("The above exception was the direct cause of the following"),
        traceback_text.index("LookupError('no replica')"),
        traceback_text.index("During handling of the above exception, another exception"),
        traceback_text.index("RuntimeError('query failed')"),
    ]
    assert order == sorted(order)
    assert "in connect" in traceback_text  # the frames of the first link
    assert traceback_text.startswith("Uncaught exception:\n")
    assert traceback_text.count("Uncaught exception:") == 1


def test_a_suppressed_context_is_left_out(formatter, make_record, parse_line):
    """raise ... from None hides the context, as the standard library's traceback does."""
    try:
        try:
            raise KeyError("internal")
        except KeyError:
            raise ValueError("public") from None
    except ValueError:
        record = make_record("failed", level=logging.ERROR, exc_info=sys.exc_info())
    traceback_text = parse_line(formatter.format(record))["Fields"]["traceback"]
    assert "internal" not in traceback_text
    assert "ValueError('public')" in traceback_text


def test_a_cyclic_exception_chain_still_gives_one_line(formatter, make_record, parse_line):
    first, second = ValueError("first"), ValueError("second")
    first.__cause__, second.__cause__ = second, first
    record = make_record("cycle", level=logging.ERROR, exc_info=(ValueError, first, None))
    traceback_text = parse_line(formatter.format(record))["Fields"]["traceback"]
    assert traceback_text.count("ValueError('second')") == 1


def test_stack_info_is_kept_in_the_stack_field(encoder, parse_line):
    """logger.info(..., stack_info=True): the stack the standard formatter prints is in Fields."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MozlogFormatter(encoder=encoder))
    logger = logging.getLogger("test.stack_info")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("where am I", stack_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    fields = parse_line(stream.getvalue().strip())["Fields"]
    assert fields["stack"].startswith("Stack (most recent call last):")
    assert "test_stack_info_is_kept_in_the_stack_field" in fields["stack"]
    assert fields["msg"] == "where am I"


def test_exception_info_without_exception_adds_nothing(formatter, make_record, parse_line):
    """logger.exception() outside an except block (exc_info of Nones) adds no error."""
    record = make_record("no exception", exc_info=(None, None, None))
    fields = parse_line(formatter.format(record))["Fields"]
    assert fields == {"msg": "no exception"}


def test_exc_info_false_inside_an_except_block_adds_nothing(formatter, parse_line, caplog):
    """``logger.exception(..., exc_info=False)`` in an except block adds no error nor traceback."""
    logger = logging.getLogger("test.envelope.exc_info_false")
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("there was an error", exc_info=False)
    (record,) = [record for record in caplog.records if record.name == logger.name]
    assert parse_line(formatter.format(record))["Fields"] == {"msg": "there was an error"}


def test_json_log_formatter_is_mozlog_formatter_and_does_not_warn(recwarn):
    """JsonLogFormatter is the same class as MozlogFormatter, with no deprecation warning."""
    assert JsonLogFormatter is MozlogFormatter
    JsonLogFormatter(logger_name="myproject")
    assert len(recwarn) == 0


def test_overridden_convert_record_is_honoured(encoder, make_record, parse_line):
    """A subclass overriding convert_record (as python-dockerflow allowed) shapes the output."""

    class Tagged(MozlogFormatter):
        def convert_record(self, record: logging.LogRecord) -> dict[str, object]:
            out = super().convert_record(record)
            out["Fields"]["tag"] = "blue"  # type: ignore[index]
            return out

    parsed = parse_line(Tagged(encoder=encoder).format(make_record("hi")))
    assert parsed["Fields"] == {"msg": "hi", "tag": "blue"}
    assert parsed["Severity"] == 6


class GoogleCloudSeverities(MozlogFormatter):
    """merino-py's subclass: Cloud Logging's numeric severities instead of syslog's."""

    SYSLOG_LEVEL_MAP = {
        logging.CRITICAL: 600,
        logging.ERROR: 500,
        logging.WARNING: 400,
        logging.INFO: 200,
        logging.DEBUG: 100,
    }
    DEFAULT_SYSLOG_LEVEL = 200


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.CRITICAL, 600),
        (logging.ERROR, 500),
        (logging.WARNING, 400),
        (logging.INFO, 200),
        (logging.DEBUG, 100),
        (logging.NOTSET, 200),
        (5, 200),
        (45, 500),
    ],
)
def test_a_subclass_that_overrides_the_level_map_and_default_gets_its_severities(
    encoder, make_record, parse_line, level, severity
):
    """A subclass's SYSLOG_LEVEL_MAP and DEFAULT_SYSLOG_LEVEL decide Severity (merino-py)."""
    line = GoogleCloudSeverities(encoder=encoder).format(make_record(level=level))
    assert parse_line(line)["Severity"] == severity


def test_a_subclass_may_map_levels_to_names(encoder, make_record, parse_line):
    """A map's values need not be numbers: they are written as they are."""

    class Named(MozlogFormatter):
        SYSLOG_LEVEL_MAP = {logging.WARNING: "WARNING", logging.ERROR: "ERROR"}
        DEFAULT_SYSLOG_LEVEL = "DEFAULT"

    formatter = Named(encoder=encoder)
    assert parse_line(formatter.format(make_record(level=logging.ERROR)))["Severity"] == "ERROR"
    assert parse_line(formatter.format(make_record(level=logging.INFO)))["Severity"] == "DEFAULT"
