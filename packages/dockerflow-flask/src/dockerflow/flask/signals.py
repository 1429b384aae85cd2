"""Signals sent by ``/__heartbeat__`` after its checks ran.

Both are blinker signals sent with the Flask app as sender and the highest
check level as the ``level`` keyword; which one is sent follows
``DOCKERFLOW_HEARTBEAT_FAIL_LEVEL``, the same rule as the status code::

    from dockerflow.flask.signals import heartbeat_failed, heartbeat_passed

    @heartbeat_passed.connect_via(app)
    def on_passed(sender, level, **extra):
        statsd.incr("heartbeat.pass")

    @heartbeat_failed.connect_via(app)
    def on_failed(sender, level, **extra):
        statsd.incr("heartbeat.fail")

A receiver that raises is logged on ``dockerflow.flask``; the heartbeat
answers as its checks say.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["dockerflow_signals", "heartbeat_failed", "heartbeat_passed"]

dockerflow_signals = Namespace()

heartbeat_passed = dockerflow_signals.signal(
    "heartbeat-passed", doc="Sent when the heartbeat level is below the fail level."
)
heartbeat_failed = dockerflow_signals.signal(
    "heartbeat-failed", doc="Sent when the heartbeat level reaches the fail level."
)
