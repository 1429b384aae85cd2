"""python-dockerflow's logging configuration and subclassing, without Flask.

Written from python-dockerflow's logging documentation: its formatter and
handler named in ``dictConfig`` and ``fileConfig``, and a subclass overriding
its class attributes. The envelope, request ids and checks themselves are
tested in packages/dockerflow-logging/tests and packages/dockerflow-checks/tests.
"""

from __future__ import annotations

import json
import logging
import logging.config
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockerflow.logging import (
    JsonLogFormatter,
    MozlogFormatter,
    MozlogHandler,
    request_id_context,
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
