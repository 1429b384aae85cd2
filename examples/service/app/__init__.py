"""The example service: notes stored with Flask-SQLAlchemy, served with Dockerflow.

``create_app()`` is the application factory. Configuration comes from the
environment: ``DATABASE_URL`` and ``REDIS_URL`` (the usual platform names),
then every ``FLASK_*`` variable through ``app.config.from_prefixed_env()``
(``FLASK_SECRET_KEY`` sets ``SECRET_KEY``, ``FLASK_DOCKERFLOW_CHECK_TIMEOUT``
sets ``DOCKERFLOW_CHECK_TIMEOUT``; values are parsed as JSON when they can be).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise

from dockerflow.flask import Dockerflow

from . import auth, health, views
from .extensions import db, migrate
from .logging_config import configure_logging

#: Where the project lives: version.json, migrations/ and instance/ sit here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: Mapping[str, Any] = {
    # a relative SQLite path lands in app.instance_path (Flask-SQLAlchemy 3)
    "SQLALCHEMY_DATABASE_URI": "sqlite:///service.sqlite",
    "REDIS_URL": "",
    "API_TOKENS": {},
    "DISK_FREE_WARNING_RATIO": 0.05,
    # unapplied migrations warn; only errors (database down) fail the heartbeat
    "DOCKERFLOW_HEARTBEAT_FAIL_LEVEL": "ERROR",
}


def create_app(config: Mapping[str, Any] | None = None, *, env_prefix: str = "FLASK") -> Flask:
    """Build the app: config, logging, database, Dockerflow, static files."""
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "mozlog"))
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(platform_settings(os.environ))
    app.config.from_prefixed_env(env_prefix)
    if config:
        app.config.from_mapping(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    redis_client = _redis_client(app.config["REDIS_URL"])

    # Hashed files (site.<hash>.css) never change: WhiteNoise caches them for
    # ten years. Other files may change with any deploy: one minute. Wrapped
    # before Dockerflow(app), so Dockerflow's middleware is outside it and a
    # static file gets a request id and a request.summary line like any page.
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=app.static_folder,
        prefix=app.static_url_path,
        max_age=60,
        immutable_file_test=r"\.[0-9a-f]{8,}\.\w+$",
    )
    dockerflow = Dockerflow(app, db=db, migrate=migrate, redis=redis_client)
    dockerflow.check(health.disk_space)

    auth.init_app(app)
    app.register_blueprint(views.bp)
    app.extensions["example.redis"] = redis_client

    return app


def platform_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """``DATABASE_URL`` and ``REDIS_URL`` as the app's settings."""
    settings = {}
    database_url = environ.get("DATABASE_URL", "")
    if database_url:
        settings["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(database_url)
    if environ.get("REDIS_URL"):
        settings["REDIS_URL"] = environ["REDIS_URL"]
    return settings


def sqlalchemy_url(database_url: str) -> str:
    """Point ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url[len(scheme) :]
    return database_url


def _redis_client(url: str) -> Any:
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
