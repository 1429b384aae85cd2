"""A stream handler preconfigured with the mozlog formatter."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from ._formatter import MozlogFormatter

_STREAM_HANDLER_FLUSH = logging.StreamHandler.flush


class MozlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write records as mozlog JSON lines to ``stream`` (default: ``sys.stdout``).

    ``name`` fills the envelope's ``Logger`` field. Unlike python-dockerflow's
    handler, it does not write ``logger_name`` onto the records, so other
    handlers of the same logger see them unchanged. Each record is written
    and flushed as one line, as ``StreamHandler`` writes it, for less work.
    """

    def __init__(self, stream: TextIO | None = None, name: str = "Dockerflow") -> None:
        super().__init__(sys.stdout if stream is None else stream)
        self.logger_name = name
        self.setFormatter(MozlogFormatter(logger_name=name))

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``'s line and flush the stream (``handle`` holds the lock)."""
        try:
            write_line(self, self.format(record))
        except RecursionError:  # as StreamHandler.emit: let the caller see it
            raise
        except Exception:
            self.handleError(record)


def write_line(handler: logging.StreamHandler, line: str) -> None:  # type: ignore[type-arg]
    """Write ``line`` and the terminator to ``handler``'s stream, then flush it.

    What ``StreamHandler.emit`` does after formatting, for a caller that holds
    the handler's lock: the flush does not take it a second time, unless the
    handler's class has its own ``flush``.
    """
    stream = handler.stream
    stream.write(line + handler.terminator)
    if type(handler).flush is not _STREAM_HANDLER_FLUSH:
        handler.flush()
    else:
        flush = getattr(stream, "flush", None)
        if stream and flush is not None:
            flush()
