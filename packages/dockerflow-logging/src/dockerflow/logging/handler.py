"""A stream handler preconfigured with the mozlog formatter."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from .formatter import MozlogFormatter


class MozlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write records as mozlog JSON lines to ``stream`` (default: ``sys.stdout``).

    ``name`` fills the envelope's ``Logger`` field. Unlike python-dockerflow's
    handler, it does not write ``logger_name`` onto the records, so other
    handlers of the same logger see them unchanged.
    """

    def __init__(self, stream: TextIO | None = None, name: str = "Dockerflow") -> None:
        super().__init__(sys.stdout if stream is None else stream)
        self.logger_name = name
        self.setFormatter(MozlogFormatter(logger_name=name))
