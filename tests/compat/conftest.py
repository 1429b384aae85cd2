"""Fixtures of the python-dockerflow compatibility tests.

These tests are written against python-dockerflow's documentation and public
API (read on Read the Docs and in its source), as a service written for it
would use them; none of its tests are copied. The root conftest.py empties the module-level
check registry around each test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

#: The loggers python-dockerflow's Flask extension wrote to.
EXTENSION_LOGGERS = ("dockerflow.flask", "request.summary")


@pytest.fixture(autouse=True)
def _restore_extension_loggers() -> Iterator[None]:
    """Undo what a test did to the extension's loggers (level, handlers)."""
    loggers = [logging.getLogger(name) for name in EXTENSION_LOGGERS]
    saved = [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    yield
    for logger, (level, handlers, propagate) in zip(loggers, saved):
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate
