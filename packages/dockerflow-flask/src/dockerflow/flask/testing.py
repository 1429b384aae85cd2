"""Dockerflow compliance in a test suite: ``assert_dockerflow_compliant(app)``.

The same rules as ``flask dockerflow doctor``, for a real app built the way
production builds it::

    from dockerflow.flask.testing import assert_dockerflow_compliant

    def test_the_service_follows_dockerflow():
        assert_dockerflow_compliant(create_app())

Each rule is described on the documentation's Doctor page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._doctor import examine
from ._doctor_backends import redis_clients_of
from ._doctor_report import DoctorReport, RuleResult

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "DockerflowComplianceError",
    "DoctorReport",
    "RuleResult",
    "assert_dockerflow_compliant",
    "check_dockerflow_compliance",
]


class DockerflowComplianceError(AssertionError):
    """An app broke at least one Dockerflow rule; the message is the doctor's report."""

    def __init__(self, report: DoctorReport) -> None:
        super().__init__("the app breaks Dockerflow rules:\n" + report.render())
        self.report = report
        """Every rule's result, passed ones included."""


def check_dockerflow_compliance(
    app: Flask,
    *,
    backends: Iterable[Any] = (),
    gunicorn_config: str | os.PathLike[str] | None = None,
    uwsgi_config: str | os.PathLike[str] | None = None,
) -> DoctorReport:
    """Check ``app`` against every Dockerflow rule and return the report, failed or not.

    :param backends: redis-py clients to watch while ``/__lbheartbeat__`` is
        requested, besides those that are values of ``app.extensions``.
        SQLAlchemy engines and Flask-SQLAlchemy ``db`` objects are accepted
        too, though every engine is watched anyway. Anything else raises
        :class:`TypeError`.
    :param gunicorn_config: the gunicorn config file; default:
        ``gunicorn.conf.py`` in the current directory, then in the parent of
        ``app.root_path``. ``GUNICORN_CMD_ARGS`` applies on top, as in gunicorn.
    :param uwsgi_config: the uWSGI ini file; default: ``uwsgi.ini`` in the same
        places.
    """
    redis_clients = redis_clients_of(
        (f"backends[{index}]", backend) for index, backend in enumerate(backends)
    )
    return examine(
        app,
        redis_clients=redis_clients,
        gunicorn_config=None if gunicorn_config is None else Path(gunicorn_config),
        uwsgi_config=None if uwsgi_config is None else Path(uwsgi_config),
    )


def assert_dockerflow_compliant(
    app: Flask,
    *,
    backends: Iterable[Any] = (),
    gunicorn_config: str | os.PathLike[str] | None = None,
    uwsgi_config: str | os.PathLike[str] | None = None,
) -> DoctorReport:
    """Raise :class:`DockerflowComplianceError` unless ``app`` follows every Dockerflow rule.

    Takes the arguments of :func:`check_dockerflow_compliance` and returns its
    report when no rule failed (a skipped rule, such as ``$PORT`` without a
    gunicorn or uWSGI configuration, is no failure).
    """
    report = check_dockerflow_compliance(
        app, backends=backends, gunicorn_config=gunicorn_config, uwsgi_config=uwsgi_config
    )
    if not report.passed:
        raise DockerflowComplianceError(report)
    return report
