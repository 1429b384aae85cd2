"""MozlogHandler, dictConfig usage and tracebacks, as python-dockerflow users write them."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
import warnings

import pytest

from dockerflow.logging import (
    JsonLogFormatter,
    MozlogFormatter,
    MozlogHandler,
    request_id_context,
    safer_format_traceback,
)


@pytest.fixture
def isolated_logger(request: pytest.FixtureRequest):
    """A logger of its own, restored afterwards."""
    logger = logging.getLogger(f"test.{request.node.name}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def test_handler_writes_one_json_line_per_record(isolated_logger, parse_line):
    """MozlogHandler writes each record as one mozlog line on its stream."""
    stream = io.StringIO()
    isolated_logger.addHandler(MozlogHandler(stream, name="svc"))
    isolated_logger.info("first %d", 1)
    isolated_logger.warning("second", extra={"k": "v"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (parse_line(line) for line in lines)
    assert first["Fields"] == {"msg": "first 1"}
    assert second["Fields"] == {"k": "v", "msg": "second"}
    assert first["Logger"] == second["Logger"] == "svc"
    assert second["Severity"] == 4


def test_handler_defaults_to_stdout_and_dockerflow(isolated_logger, capsys, parse_line):
    """Without arguments the handler writes to sys.stdout with Logger "Dockerflow"."""
    isolated_logger.addHandler(MozlogHandler())
    isolated_logger.info("to stdout")
    out = capsys.readouterr().out
    assert parse_line(out.strip())["Logger"] == "Dockerflow"


def test_handler_name_is_the_records_logger_name_as_in_python_dockerflow(isolated_logger):
    """The handler's name goes onto each record as logger_name, which other handlers see."""
    seen: list[logging.LogRecord] = []

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    isolated_logger.addHandler(MozlogHandler(io.StringIO(), name="billing"))
    isolated_logger.addHandler(Spy())
    isolated_logger.info("x")
    assert seen[0].logger_name == "billing"  # type: ignore[attr-defined]


def test_handler_name_wins_over_the_formatters_logger_name(isolated_logger, parse_line):
    """A formatter with another logger_name set on the handler still writes the handler's name."""
    stream = io.StringIO()
    handler = MozlogHandler(stream, name="billing")
    handler.setFormatter(JsonLogFormatter(logger_name="something-else"))
    isolated_logger.addHandler(handler)
    isolated_logger.info("x")
    assert parse_line(stream.getvalue().strip())["Logger"] == "billing"


class CountingStream(io.StringIO):
    """A text stream that counts its flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_handler_writes_what_a_stream_handler_with_the_formatter_writes(isolated_logger):
    """Each record's line is StreamHandler's line with the same formatter, flushed once."""
    ours, reference = CountingStream(), CountingStream()
    handler = MozlogHandler(ours, name="svc")
    plain = logging.StreamHandler(reference)
    plain.setFormatter(handler.formatter)
    isolated_logger.addHandler(handler)
    isolated_logger.addHandler(plain)
    isolated_logger.info("one %s", "arg", extra={"k": [1, 2]})
    try:
        raise ValueError("boom")
    except ValueError:
        isolated_logger.exception("two")

    assert ours.getvalue() == reference.getvalue()
    assert len(ours.getvalue().splitlines()) == 2
    assert ours.flushes == reference.flushes == 2


def test_handler_calls_a_subclass_flush_for_each_record(isolated_logger):
    """A subclass that overrides flush() has it called once per record, as StreamHandler does."""
    flushed: list[str] = []

    class Audited(MozlogHandler):
        def flush(self) -> None:
            flushed.append(self.stream.getvalue())
            super().flush()

    isolated_logger.addHandler(Audited(io.StringIO()))
    isolated_logger.info("a")
    isolated_logger.info("b")
    assert len(flushed) == 2
    assert [len(text.splitlines()) for text in flushed] == [1, 2]


def test_handler_reports_a_stream_that_fails_and_keeps_going(isolated_logger, capsys):
    """A write that raises goes to handleError (stderr), not to the logging call."""

    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    isolated_logger.addHandler(MozlogHandler(Broken()))
    isolated_logger.info("lost")  # must not raise
    assert "disk full" in capsys.readouterr().err


def test_handler_does_not_flush_a_falsy_stream(isolated_logger):
    """As StreamHandler.flush: a stream that tests false is written to, not flushed."""

    class Empty(CountingStream):
        def __len__(self) -> int:
            return 0

    stream = Empty()
    isolated_logger.addHandler(MozlogHandler(stream))
    isolated_logger.info("kept")
    assert json.loads(stream.getvalue())["Fields"]["msg"] == "kept"
    assert stream.flushes == 0


def test_handler_writes_to_a_stream_without_flush(isolated_logger):
    """A stream with write() only is written to, as StreamHandler allows."""

    class WriteOnly:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    stream = WriteOnly()
    isolated_logger.addHandler(MozlogHandler(stream))  # type: ignore[arg-type]
    isolated_logger.info("kept")
    assert json.loads("".join(stream.parts))["Fields"]["msg"] == "kept"


def test_dict_config_of_python_dockerflow_users_works_without_warnings(isolated_logger, parse_line):
    """python-dockerflow's documented dictConfig block works unchanged, with no warning."""
    stream = io.StringIO()
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "dockerflow.logging.JsonLogFormatter", "logger_name": "myproject"},
            "mozlog": {"()": "dockerflow.logging.MozlogFormatter", "logger_name": "other"},
        },
        "filters": {"request_id": {"()": "dockerflow.logging.RequestIdLogFilter"}},
        "handlers": {
            "console": {
                "level": "DEBUG",
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": stream,
            },
        },
        "loggers": {isolated_logger.name: {"handlers": ["console"], "level": "DEBUG"}},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logging.config.dictConfig(config)
    token = request_id_context.set("req-1")
    try:
        isolated_logger.info("configured")
    finally:
        request_id_context.reset(token)
    parsed = parse_line(stream.getvalue().strip())
    assert parsed["Logger"] == "myproject"
    assert parsed["Type"] == isolated_logger.name
    assert parsed["Fields"] == {"rid": "req-1", "msg": "configured"}


def test_dict_config_can_force_the_standard_library_encoder():
    """dictConfig passes encoder="json" through to the formatter."""
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "dockerflow.logging.JsonLogFormatter", "encoder": "json"}},
        "handlers": {"h": {"class": "logging.NullHandler", "formatter": "json"}},
        "loggers": {"test.encoder-config": {"handlers": ["h"]}},
    }
    logging.config.dictConfig(config)
    handler = logging.getLogger("test.encoder-config").handlers[0]
    assert isinstance(handler.formatter, MozlogFormatter)
    assert handler.formatter.encoder_name == "json"
    logging.getLogger("test.encoder-config").handlers.clear()


def test_environment_variable_forces_the_standard_library_encoder(monkeypatch):
    """DOCKERFLOW_LOGGING_ENCODER=json picks the standard library encoder."""
    monkeypatch.setenv("DOCKERFLOW_LOGGING_ENCODER", "json")
    assert MozlogFormatter().encoder_name == "json"


def test_auto_prefers_orjson_when_installed(monkeypatch):
    """Without a choice, orjson is used when it can be imported."""
    pytest.importorskip("orjson")
    monkeypatch.delenv("DOCKERFLOW_LOGGING_ENCODER", raising=False)
    assert MozlogFormatter().encoder_name == "orjson"


def test_unknown_encoder_name_is_rejected():
    """A misspelt encoder name raises ValueError at configuration time."""
    with pytest.raises(ValueError, match="unknown JSON encoder"):
        MozlogFormatter(encoder="simplejson")


def test_safer_format_traceback_escapes_the_exception():
    """The traceback lists the frames, then the type and value through repr."""
    try:
        raise RuntimeError('evil\n{"Type": "forged"}')
    except RuntimeError:
        exc_type, exc_value, tb = sys.exc_info()
    text = safer_format_traceback(exc_type, exc_value, tb)
    lines = text.splitlines()
    assert lines[0] == "Uncaught exception:"
    assert "test_safer_format_traceback_escapes_the_exception" in text
    assert lines[-2] == repr(RuntimeError)
    assert lines[-1] == repr(exc_value)
    assert not any(line.startswith('{"Type"') for line in lines)
    json.dumps(text)  # plain text, encodable
