"""A Flask service whose heartbeat runs async, logging and backend checks, for real gunicorn runs.

Environment (set by the tests that start gunicorn):

- ``E2E_REDIS_URL``: add the Redis check, with a client built with no options;
- ``E2E_DATABASE_URL``: add the database check, through Flask-SQLAlchemy's
  default engine;
- ``E2E_PREFORK_HEARTBEAT=1``: run one heartbeat at import, as a start-up
  self-check would; under ``--preload`` that is in gunicorn's master, before
  it forks the workers;
- ``E2E_GEVENT_PATCH=1``: ``gevent.monkey.patch_all()`` before anything else,
  as a service served by ``gunicorn -k gevent --preload`` must: the worker
  patches only after the preloaded app imported its libraries, and those that
  choose how to wait at import (psycopg) would block the whole worker;
- ``E2E_CHECK_TIMEOUT``: ``DOCKERFLOW_CHECK_TIMEOUT`` (seconds);
- ``E2E_PREFORK_HANGING=N``: add N checks that hang in the process that
  imported the app (a server's master, with ``--preload`` or uWSGI without
  ``lazy-apps``) and pass at once in the workers it forks.
"""

from __future__ import annotations

import os

if os.environ.get("E2E_GEVENT_PATCH") == "1":
    from gevent import monkey

    monkey.patch_all()

import asyncio
import logging
import time
from typing import Any

from e2e_logging import configure_logging
from flask import Flask

from dockerflow.checks import Info
from dockerflow.flask import Dockerflow

configure_logging("e2e-checks", log_summaries=False)

check_logger = logging.getLogger("e2e.checks")

app = Flask(__name__)
app.config["DOCKERFLOW_CHECK_TIMEOUT"] = float(os.environ.get("E2E_CHECK_TIMEOUT", "3"))

db = redis_client = None
if os.environ.get("E2E_DATABASE_URL"):
    from flask_sqlalchemy import SQLAlchemy

    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["E2E_DATABASE_URL"]
    db = SQLAlchemy(app)
    if hasattr(os, "register_at_fork"):
        # SQLAlchemy's advice for a pool made before a fork: the child must not
        # reuse the parent's connections (close=False: they are the parent's).
        def dispose_engine_in_child() -> None:
            with app.app_context():
                db.engine.dispose(close=False)

        os.register_at_fork(after_in_child=dispose_engine_in_child)
if os.environ.get("E2E_REDIS_URL"):
    import redis

    redis_client = redis.Redis.from_url(os.environ["E2E_REDIS_URL"])

dockerflow = Dockerflow(app, db=db, redis=redis_client)


@dockerflow.check
async def first_async() -> list[Any]:
    await asyncio.sleep(0.05)
    return []


@dockerflow.check
async def second_async() -> list[Any]:
    await asyncio.sleep(0.05)
    return [Info("second async check ran", id="e2e.I001")]


@dockerflow.check
def logs_a_line() -> list[Any]:
    check_logger.info("logged from a check")
    return []


IMPORTED_BY = os.getpid()


def hangs_in_the_importer() -> list[Any]:
    if os.getpid() == IMPORTED_BY:
        time.sleep(60)
    return []


for number in range(int(os.environ.get("E2E_PREFORK_HANGING", "0"))):
    dockerflow.check(hangs_in_the_importer, name=f"hangs_in_the_importer_{number}")

if os.environ.get("E2E_PREFORK_HEARTBEAT") == "1":
    app.extensions["dockerflow"].run_heartbeat()
