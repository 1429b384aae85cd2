"""Dockerflow compliance in a test suite: ``assert_dockerflow_compliant(app)``.

The same rules as ``flask dockerflow doctor``, for a real app built the way
production builds it::

    from dockerflow.flask.testing import assert_dockerflow_compliant

    def test_the_service_follows_dockerflow():
        assert_dockerflow_compliant(create_app())

Each rule is described on the documentation's Doctor page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._doctor import DoctorReport, RuleResult, examine

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


def check_dockerflow_compliance(app: Flask) -> DoctorReport:
    """Check ``app`` against every Dockerflow rule and return the report, failed or not.

    The endpoints are requested through ``app.test_client()``, so the app's
    middleware, hooks and logging configuration take part.
    """
    return examine(app)


def assert_dockerflow_compliant(app: Flask) -> DoctorReport:
    """Raise :class:`DockerflowComplianceError` unless ``app`` follows every Dockerflow rule.

    Returns the report of :func:`check_dockerflow_compliance` when no rule failed.
    """
    report = examine(app)
    if not report.passed:
        raise DockerflowComplianceError(report)
    return report
