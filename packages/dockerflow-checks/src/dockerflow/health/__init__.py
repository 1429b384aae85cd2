"""Check ids: the ids of the built-in checks' messages and of the runner's own.

The ``E001``...``E010``, ``W001`` and ``I001`` strings are python-dockerflow's
and keep their meaning. The ``check_*`` ids are this project's: the runner
gives them to a check that timed out, raised, or returned something that is
not a list of messages, and logs ``check_slow`` (a log record only, never a
message of the heartbeat) for a check that ran over half its timeout.
"""

from __future__ import annotations

INFO_CANT_CHECK_MIGRATIONS = "dockerflow.health.I001"
WARNING_UNAPPLIED_MIGRATION = "dockerflow.health.W001"
ERROR_CANNOT_CONNECT_DATABASE = "dockerflow.health.E001"
ERROR_UNUSABLE_DATABASE = "dockerflow.health.E002"
ERROR_MISCONFIGURED_DATABASE = "dockerflow.health.E003"
ERROR_CANNOT_CONNECT_REDIS = "dockerflow.health.E004"
ERROR_MISSING_REDIS_CLIENT = "dockerflow.health.E005"
ERROR_MISCONFIGURED_REDIS = "dockerflow.health.E006"
ERROR_REDIS_PING_FAILED = "dockerflow.health.E007"
ERROR_DB_API_EXCEPTION = "dockerflow.health.E008"
ERROR_SQLALCHEMY_EXCEPTION = "dockerflow.health.E009"
ERROR_REDIS_EXCEPTION = "dockerflow.health.E010"

ERROR_CHECK_TIMEOUT = "dockerflow.health.check_timeout"
ERROR_CHECK_EXCEPTION = "dockerflow.health.check_exception"
ERROR_CHECK_INVALID_RESULT = "dockerflow.health.check_invalid_result"
WARNING_CHECK_SLOW = "dockerflow.health.check_slow"
