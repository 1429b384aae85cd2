"""The Dockerflow compliance check behind ``flask dockerflow doctor`` and ``testing``.

:func:`examine` checks an app's own Dockerflow rules through the app itself
(its test client): the version object, both heartbeats, the request id echo
and the ``request.summary`` record.
"""

from __future__ import annotations

from ._report import DoctorReport, RuleResult
from ._rules import examine

__all__ = ["DoctorReport", "RuleResult", "examine"]
