"""Where a ``request.summary`` record goes, and whether it comes out as mozlog JSON.

The logger hierarchy is walked the way :meth:`logging.Logger.callHandlers`
walks it: the logger's own level and filters first, then every handler of
the logger and its ancestors until one does not propagate, each handler's
level and filters included. A handler is judged by what its ``format()``
makes of a test record shaped like a real summary; nothing is written.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from dataclasses import dataclass
from typing import Any

__all__ = ["HandlerVerdict", "SummaryRoute", "route_summary", "test_summary_record"]

SUMMARY_LOGGER_NAME = "request.summary"
#: The fields the test record carries, as the extension's summary does.
TEST_FIELDS: dict[str, Any] = {
    "errno": 0,
    "agent": "dockerflow-doctor",
    "lang": "",
    "method": "GET",
    "path": "/__dockerflow_doctor__",
    "code": 200,
    "remoteAddressChain": ["127.0.0.1"],
    "rid": "dockerflow-doctor",
    "t": 1,
    "uid": "",
}
MOZLOG_ENVELOPE = ("Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid")


@dataclass(frozen=True)
class HandlerVerdict:
    """One handler the record reaches and what it makes of it."""

    handler: str
    """The handler in words: its class, stream and logger."""
    problem: str | None
    """None when it writes mozlog JSON; else what is wrong with its output."""
    to_console: bool
    """Whether it writes to the process's stdout or stderr (the container's log)."""


@dataclass(frozen=True)
class SummaryRoute:
    """Where the test record went: every handler that would write it."""

    blocked: str | None
    """Why no handler sees the record at all (level, disabled logger, filter), else None."""
    verdicts: tuple[HandlerVerdict, ...]
    dropped: tuple[str, ...]
    """Handlers on the way that let it pass by (their level or a filter)."""


def test_summary_record() -> logging.LogRecord:
    """A record like the extension's summary: INFO, no message, the fields as extras."""
    logger = logging.getLogger(SUMMARY_LOGGER_NAME)
    return logger.makeRecord(
        logger.name, logging.INFO, __file__, 0, "", (), None, "log_response", dict(TEST_FIELDS)
    )


def route_summary() -> SummaryRoute:
    """Follow a test ``request.summary`` record through the logging configuration."""
    logger = logging.getLogger(SUMMARY_LOGGER_NAME)
    blocked = _why_not_enabled(logger)
    if blocked is not None:
        return SummaryRoute(blocked, (), ())
    if not logger.filter(test_summary_record()):
        return SummaryRoute(f"a filter on the {SUMMARY_LOGGER_NAME!r} logger drops it", (), ())
    verdicts: list[HandlerVerdict] = []
    dropped: list[str] = []
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            where = _describe(handler, current)
            record = test_summary_record()
            if record.levelno < handler.level:
                dropped.append(f"{where} (its level is {logging.getLevelName(handler.level)})")
                continue
            filtered = handler.filter(record)
            if not filtered:
                dropped.append(f"{where} (a filter drops it)")
                continue
            if isinstance(filtered, logging.LogRecord):  # Python 3.12+: a filter may replace it
                record = filtered
            if isinstance(handler, logging.NullHandler):
                dropped.append(f"{where} (it writes nothing)")
                continue
            verdicts.append(_judge(handler, where, record))
        if not current.propagate:
            break
        current = current.parent
    return SummaryRoute(None, tuple(verdicts), tuple(dropped))


def _why_not_enabled(logger: logging.Logger) -> str | None:
    if logger.isEnabledFor(logging.INFO):
        return None
    if logger.disabled:
        return (
            f"the {SUMMARY_LOGGER_NAME!r} logger is disabled (dictConfig disables loggers "
            "that exist before it runs unless disable_existing_loggers is False)"
        )
    if logging.root.manager.disable >= logging.INFO:
        return f"logging.disable({logging.getLevelName(logging.root.manager.disable)}) is in force"
    level = logging.getLevelName(logger.getEffectiveLevel())
    return f"the {SUMMARY_LOGGER_NAME!r} logger's effective level is {level}, above INFO"


def _describe(handler: logging.Handler, logger: logging.Logger | None = None) -> str:
    stream = getattr(handler, "stream", None)
    target = f"({_stream_name(stream)})" if stream is not None else ""
    if logger is None:
        return f"{type(handler).__name__}{target}"
    owner = "the root logger" if logger is logging.root else f"the {logger.name!r} logger"
    return f"{type(handler).__name__}{target} on {owner}"


def _stream_name(stream: Any) -> str:
    console = _console_name(stream)
    if console is not None:
        return console
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) else type(stream).__name__


def _console_name(stream: Any) -> str | None:
    """``<stdout>`` or ``<stderr>`` when ``stream`` writes to one (a test runner's capture too)."""
    if stream is None:
        return None
    if stream is sys.stdout:
        return "<stdout>"
    if stream is sys.stderr:
        return "<stderr>"
    try:
        descriptor = stream.fileno()
    except Exception:  # StringIO and friends have no file descriptor
        return None
    return {1: "<stdout>", 2: "<stderr>"}.get(descriptor)


def _writes_to_console(handler: logging.Handler) -> bool:
    return _console_name(getattr(handler, "stream", None)) is not None


def _judge(handler: logging.Handler, where: str, record: logging.LogRecord) -> HandlerVerdict:
    listener = getattr(handler, "listener", None)
    if isinstance(handler, logging.handlers.QueueHandler) and listener is not None:
        # dictConfig's queue handlers (3.12+): the listener's handlers write the lines.
        judged = [
            _judge(inner, f"{where}, through its listener to {_describe(inner)}", record)
            for inner in listener.handlers
        ]
        problems = [verdict.problem for verdict in judged if verdict.problem]
        problem = ("; ".join(problems) or None) if judged else "its listener has no handler"
        return HandlerVerdict(where, problem, any(verdict.to_console for verdict in judged))
    try:
        line = handler.format(record)
    except Exception as exc:
        return HandlerVerdict(where, f"formatting raised {type(exc).__name__}: {exc}", False)
    return HandlerVerdict(where, _mozlog_problem(line), _writes_to_console(handler))


def _mozlog_problem(line: str) -> str | None:
    """What keeps ``line`` from being a mozlog request.summary object, or None."""
    shown = line if len(line) <= 80 else line[:77] + "..."
    if not line.strip():
        return "it writes only the message, which a summary does not have: no fields at all"
    if "\n" in line.rstrip("\n"):
        return f"it writes more than one line per record: {shown!r}"
    try:
        data = json.loads(line)
    except ValueError:
        return f"it writes text, not JSON: {shown!r}"
    if not isinstance(data, dict):
        return f"it writes a JSON {type(data).__name__}, not an object"
    missing = [key for key in (*MOZLOG_ENVELOPE, "Fields") if key not in data]
    if missing:
        return f"its JSON lacks mozlog's {', '.join(missing)}: {shown!r}"
    problems = []
    if data["Type"] != SUMMARY_LOGGER_NAME:
        problems.append(f"Type is {data['Type']!r}, not the logger name {SUMMARY_LOGGER_NAME!r}")
    if data["EnvVersion"] != "2.0":
        problems.append(f"EnvVersion is {data['EnvVersion']!r}, not '2.0'")
    if not isinstance(data["Timestamp"], int) or isinstance(data["Timestamp"], bool):
        problems.append("Timestamp is not an integer (nanoseconds since the epoch)")
    if data["Severity"] != 6:
        problems.append(f"Severity of an INFO record is {data['Severity']!r}, not 6")
    fields = data["Fields"]
    if not isinstance(fields, dict):
        problems.append("Fields is not an object")
    else:
        lost = [name for name, value in TEST_FIELDS.items() if fields.get(name) != value]
        if lost:
            problems.append(f"Fields lost or changed {', '.join(lost)}")
    return "; ".join(problems) or None
