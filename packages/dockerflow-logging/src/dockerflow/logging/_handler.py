"""A stream handler preconfigured with the mozlog formatter."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from ._formatter import MozlogFormatter


class MozlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write records as mozlog JSON lines to ``stream`` (default: ``sys.stdout``).

    As python-dockerflow's handler does, it sets each record's ``logger_name``
    attribute to ``name`` before formatting it, so ``name`` fills the
    ``Logger`` field whatever formatter the handler has, and wins over a
    formatter's own ``logger_name``. Other handlers of the same logger see
    that attribute too.
    """

    def __init__(self, stream: TextIO | None = None, name: str = "Dockerflow") -> None:
        super().__init__(sys.stdout if stream is None else stream)
        self.logger_name = name
        self.setFormatter(MozlogFormatter(logger_name=name))

    def emit(self, record: logging.LogRecord) -> None:
        record.logger_name = self.logger_name
        super().emit(record)
