"""python-dockerflow's documented logging and checks behaviours, without Flask.

Written from python-dockerflow's logging documentation and the public API of
its ``dockerflow.logging`` and ``dockerflow.checks`` modules: the mozlog
envelope, configuration through ``dictConfig`` and ``fileConfig``, the
request id filter and helpers, and running checks by hand.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import socket
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockerflow import checks
from dockerflow.logging import (
    JsonLogFormatter,
    MozlogFormatter,
    MozlogHandler,
    RequestIdLogFilter,
    get_or_generate_request_id,
    request_id_context,
    safer_format_traceback,
)

LOGGER = "acme.compat"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of the test's own, at DEBUG, left without handlers or filters afterwards."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.DEBUG)
    yield logger
    logger.handlers.clear()
    logger.filters.clear()
    logger.setLevel(logging.NOTSET)


@pytest.fixture
def root_handlers() -> Iterator[None]:
    """Put the root logger's handlers and level back after a fileConfig."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def one_line(formatter: logging.Formatter, record: logging.LogRecord) -> dict[str, Any]:
    line = formatter.format(record)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def record_of(logger: logging.Logger, emit: Any) -> logging.LogRecord:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logger.addHandler(keep)
    try:
        emit()
    finally:
        logger.removeHandler(keep)
    (record,) = records
    return record


def test_the_mozlog_envelope(logger: logging.Logger) -> None:
    """Timestamp (ns), Type, Logger, Hostname, EnvVersion, Severity, Pid, Fields."""
    formatter = JsonLogFormatter(logger_name="myproject")
    before = time.time_ns()
    record = record_of(logger, lambda: logger.info("custom test %s", "one", extra={"more": 1}))

    entry = one_line(formatter, record)

    assert isinstance(entry["Timestamp"], int)
    assert before - 10**9 <= entry["Timestamp"] <= time.time_ns()
    assert entry["Type"] == LOGGER
    assert entry["Logger"] == "myproject"
    assert entry["Hostname"] == socket.gethostname()
    assert entry["EnvVersion"] == "2.0"
    assert entry["Severity"] == 6
    assert entry["Pid"] == os.getpid()
    assert entry["Fields"] == {"more": 1, "msg": "custom test one"}


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.DEBUG, 7),
        (logging.INFO, 6),
        (logging.WARNING, 4),
        (logging.ERROR, 3),
        (logging.CRITICAL, 2),
    ],
)
def test_python_levels_become_syslog_severities(
    logger: logging.Logger, level: int, severity: int
) -> None:
    """The level maps to the syslog severity python-dockerflow used."""
    record = record_of(logger, lambda: logger.log(level, "m"))

    assert one_line(MozlogFormatter(), record)["Severity"] == severity


def test_the_default_logger_name_is_dockerflow(logger: logging.Logger) -> None:
    """Without ``logger_name`` the ``Logger`` field is "Dockerflow"."""
    record = record_of(logger, lambda: logger.warning("m"))

    assert one_line(JsonLogFormatter(), record)["Logger"] == "Dockerflow"


def test_exceptions_give_error_and_a_safer_traceback(logger: logging.Logger) -> None:
    """``logger.exception`` adds ``error`` (the repr) and ``traceback``."""

    def fail() -> None:
        try:
            raise ValueError("\n")
        except ValueError:
            logger.exception("there was an error")

    entry = one_line(MozlogFormatter(), record_of(logger, fail))

    assert entry["Severity"] == 3
    assert entry["Fields"]["msg"] == "there was an error"
    assert entry["Fields"]["error"].startswith("ValueError('\\n'")
    assert entry["Fields"]["traceback"].startswith("Uncaught exception:")
    assert "ValueError" in entry["Fields"]["traceback"]


def test_exc_info_false_gives_no_error_fields(logger: logging.Logger) -> None:
    """``exc_info=False`` inside an ``except`` adds no ``error`` nor ``traceback``."""

    def fail() -> None:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("there was an error", exc_info=False)

    fields = one_line(MozlogFormatter(), record_of(logger, fail))["Fields"]

    assert fields == {"msg": "there was an error"}


def test_values_json_cannot_hold_become_their_repr(logger: logging.Logger) -> None:
    """A non-serialisable extra is logged as its ``repr``, never an error."""
    foo = object()
    record = record_of(logger, lambda: logger.warning("custom %s", "hello", extra={"foo": foo}))

    fields = one_line(MozlogFormatter(), record)["Fields"]

    assert fields == {"foo": repr(foo), "msg": "custom hello"}


def test_formatter_from_dict_config_with_logger_name(
    logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented ``'()': 'dockerflow.logging.JsonLogFormatter'`` with ``logger_name``."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"}
            },
            "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
            "handlers": {
                "console": {
                    "level": "DEBUG",
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "filters": ["request_id"],
                    "stream": "ext://sys.stdout",
                }
            },
            "loggers": {LOGGER: {"handlers": ["console"], "level": "DEBUG"}},
        }
    )
    token = request_id_context.set("abc-123")
    try:
        logger.info("I am logging in mozlog format now!")
    finally:
        request_id_context.reset(token)

    (line,) = capsys.readouterr().out.splitlines()
    entry = json.loads(line)
    assert entry["Logger"] == "myproject"
    assert entry["Fields"] == {"rid": "abc-123", "msg": "I am logging in mozlog format now!"}


def test_formatter_from_a_file_config_ini(tmp_path: Path, root_handlers: None) -> None:
    """``class = dockerflow.logging.JsonLogFormatter`` in an ini file (positional args)."""
    ini = tmp_path / "logging.ini"
    ini.write_text(
        textwrap.dedent(
            """
            [loggers]
            keys = root

            [handlers]
            keys = console

            [formatters]
            keys = json

            [logger_root]
            level = INFO
            handlers = console

            [handler_console]
            class = StreamHandler
            level = DEBUG
            args = (sys.stderr,)
            formatter = json

            [formatter_json]
            class = dockerflow.logging.JsonLogFormatter
            """
        )
    )

    logging.config.fileConfig(str(ini), disable_existing_loggers=False)

    formatter = logging.getLogger().handlers[-1].formatter
    assert isinstance(formatter, JsonLogFormatter)
    assert formatter.logger_name == "Dockerflow"


def test_mozlog_handler_from_a_file_config_ini(tmp_path: Path, root_handlers: None) -> None:
    """``class = dockerflow.logging.MozlogHandler`` with ``args = (sys.stdout, 'tests')``."""
    ini = tmp_path / "logging.ini"
    ini.write_text(
        textwrap.dedent(
            """
            [loggers]
            keys = root

            [handlers]
            keys = console

            [formatters]
            keys =

            [logger_root]
            level = INFO
            handlers = console

            [handler_console]
            level = DEBUG
            class = dockerflow.logging.MozlogHandler
            args = (sys.stdout, 'tests')
            """
        )
    )

    logging.config.fileConfig(str(ini), disable_existing_loggers=False)

    handler = logging.getLogger().handlers[-1]
    assert isinstance(handler, MozlogHandler)
    assert handler.logger_name == "tests"
    assert isinstance(handler.formatter, MozlogFormatter)


def test_request_id_filter_adds_rid(logger: logging.Logger) -> None:
    """RequestIdLogFilter puts ``request_id_context`` on each record as ``rid``."""
    logger.addFilter(RequestIdLogFilter())
    token = request_id_context.set("abc-123")
    try:
        inside = record_of(logger, lambda: logger.info("in a request"))
    finally:
        request_id_context.reset(token)
    outside = record_of(logger, lambda: logger.info("outside"))

    assert inside.rid == "abc-123"
    assert outside.rid is None


def test_get_or_generate_request_id() -> None:
    """The ``X-Request-ID`` header (any case), another header name, or a new id."""
    generated = get_or_generate_request_id({})

    assert get_or_generate_request_id({"X-Request-ID": "abc"}) == "abc"
    assert get_or_generate_request_id({"x-request-id": "abc"}) == "abc"
    assert get_or_generate_request_id({"X-Trace": "t-1"}, header_name="X-Trace") == "t-1"
    assert generated != get_or_generate_request_id({})


def test_safer_format_traceback_escapes_the_exception_value() -> None:
    """The value is written through ``repr``: a crafted message cannot add log lines."""
    try:
        raise ValueError("line one\nFAKE LOG LINE")
    except ValueError as exc:
        text = safer_format_traceback(type(exc), exc, exc.__traceback__)

    assert text.startswith("Uncaught exception:\n")
    assert "ValueError('line one\\nFAKE LOG LINE')" in text
    assert "\nFAKE LOG LINE" not in text


# -- Checks run by hand (python-dockerflow's dockerflow.checks) -----------------


def test_run_checks_with_name_and_function_pairs() -> None:
    """``run_checks(pairs, silenced_check_ids=...)`` gives level, statuses and details."""
    results = checks.run_checks(
        [
            ("returns_error", lambda: [checks.Error("my error", id="my.error")]),
            ("returns_warning", lambda: [checks.Warning("my warning", id="my.warning")]),
            ("silenced", lambda: [checks.Error("hidden", id="my.silenced")]),
        ],
        silenced_check_ids=["my.silenced"],
    )

    assert results.level == checks.ERROR
    assert results.statuses == {
        "returns_error": "error",
        "returns_warning": "warning",
        "silenced": "ok",
    }
    assert results.details["returns_warning"] == {
        "status": "warning",
        "level": checks.WARNING,
        "messages": {"my.warning": "my warning"},
    }
    assert "silenced" not in results.details


def test_check_message_text_equality_and_seriousness() -> None:
    """``str``, ``repr``, ``==`` and ``is_serious`` of the message classes."""
    message = checks.Error("some error", level=100, id="tests.checks.E001", obj="test")

    assert str(checks.Error("some error", id="tests.checks.E001")) == (
        "?: (tests.checks.E001) some error"
    )
    assert str(message) == "test: (tests.checks.E001) some error"
    assert repr(message) == (
        "<Error: level=100, msg='some error', hint=None, obj='test', id='tests.checks.E001'>"
    )
    assert message == checks.Error("some error", level=100, id="tests.checks.E001", obj="test")
    assert message != checks.Error("some error", level=101, id="tests.checks.E001", obj="test")
    assert message.is_serious()
    assert not checks.Warning("w").is_serious()
    assert checks.level_to_text(checks.CRITICAL) == "critical"
    assert checks.STATUSES[0] == "ok"


def test_python_dockerflows_formatter_class_attributes(logger: logging.Logger) -> None:
    """A subclass that leaves more attributes out of Fields, as python-dockerflow's allowed."""

    class Quieter(JsonLogFormatter):
        EXCLUDED_LOGRECORD_ATTRS = JsonLogFormatter.EXCLUDED_LOGRECORD_ATTRS | {"secret"}

    record = record_of(logger, lambda: logger.info("hi", extra={"secret": "x", "kept": 1}))

    assert one_line(Quieter(), record)["Fields"] == {"kept": 1, "msg": "hi"}
    assert JsonLogFormatter.SYSLOG_LEVEL_MAP[logging.ERROR] == 3
    assert JsonLogFormatter.DEFAULT_SYSLOG_LEVEL == 7
    assert JsonLogFormatter().is_value_jsonlike('{"a": 1}')
    assert not JsonLogFormatter().is_value_jsonlike("plain")
