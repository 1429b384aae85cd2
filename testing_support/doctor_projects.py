"""A real project on disk for the doctor tests: package, version.json, gunicorn config, logging."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.pool import NullPool

from dockerflow.logging import JsonLogFormatter

SHA = "52ce614fbf99540a1bf6228e36be6cef63b4d73b"
VERSION = {
    "source": "https://github.com/acme/notes",
    "version": "v1.2.3",
    "commit": SHA,
    "build": "https://ci.example.com/builds/42",
}
GUNICORN_CONFIG = """\
import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = 2
"""
SUMMARY = "request.summary"


def make_project(
    root: Path, *, version: Any = VERSION, gunicorn: str | None = GUNICORN_CONFIG
) -> Path:
    """``root/service`` holding ``app/`` (the root path), version.json and gunicorn.conf.py."""
    project = root / "service"
    (project / "app").mkdir(parents=True)
    if version is not None:
        text = version if isinstance(version, str) else json.dumps(version)
        (project / "version.json").write_text(text)
    if gunicorn is not None:
        (project / "gunicorn.conf.py").write_text(gunicorn)
    return project


def project_app(project: Path, **config: Any) -> Flask:
    """A Flask app rooted in ``project/app``: version.json sits in its default place."""
    app = Flask(f"doctor_{project.parent.name}", root_path=str(project / "app"))
    # No pooled connection outlives the test: the apps are thrown away without
    # disposing their engines, and Python 3.13 warns about each unclosed sqlite3
    # connection wherever the garbage collector happens to find it.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    app.config.update(config)
    return app


@contextmanager
def logging_state(*names: str) -> Iterator[None]:
    """Put back the handlers, level, propagation and disabled flag of these loggers and the root."""
    loggers = [logging.getLogger(name) for name in names] + [logging.getLogger()]
    saved = [
        (logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for logger in loggers
    ]
    try:
        yield
    finally:
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def mozlog_handler() -> logging.StreamHandler[io.StringIO]:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonLogFormatter(logger_name="doctor-test"))
    return handler
