"""Answering a heartbeat: running checks concurrently, each within a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, wait
from typing import Any, Callable, Union

from dockerflow import health

from ._coroutines import is_async_check, run_to_completion
from ._masking import mask_credentials
from ._pool import DEFAULT_MAX_WORKERS, shared_pool
from ._results import CheckOutcome, ChecksResults, build_results
from ._singleflight import SingleFlightCache
from ._waiting import waiting_on
from .messages import ERROR, CheckMessage, Error, level_to_text
from .registry import CheckFunction

__all__ = ["DEFAULT_CHECK_TIMEOUT", "Heartbeat", "run_checks", "run_checks_async"]

DEFAULT_CHECK_TIMEOUT = 3.0
"""Seconds a check may run before it is reported as an error."""

logger = logging.getLogger("dockerflow.heartbeat")

Checks = Union[Mapping[str, CheckFunction], Iterable[tuple[str, CheckFunction]]]
Slot = Union[CheckOutcome, "Future[CheckOutcome]", "asyncio.Task[CheckOutcome]"]


class _Running:
    """A check running on a check thread."""

    __slots__ = ("context", "deadline", "future", "started")

    def __init__(self, future: Future[CheckOutcome], deadline: float) -> None:
        self.future = future
        self.deadline = deadline
        self.context = contextvars.copy_context()
        self.started = time.monotonic()


class _ProcessState:
    """What a heartbeat keeps between runs, valid in the process that made it only."""

    def __init__(self, cache_ttl: float) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, _Running] = {}
        self.cache = SingleFlightCache[ChecksResults](cache_ttl) if cache_ttl > 0 else None
        self.last: tuple[str, float] | None = None  # the last run's status, and since when


class Heartbeat:
    """The heartbeat of one service (or app): runs its checks and logs how it went.

    Each check runs concurrently on the process's check threads (at most
    32), within ``timeout`` seconds, in a copy of the caller's context and,
    given ``context`` (such as a Flask app's ``app_context``), inside
    ``context()``. A check that raises, runs past its time, or returns
    something other than a list of messages becomes an :class:`Error`. A
    check still stuck from an earlier run (known by its name) is not started
    again, so a hung backend holds at most one thread per check. With
    ``cache_ttl`` > 0, concurrent callers share one run, reused for
    ``cache_ttl`` seconds after it ends.

    The results carry ``passed`` (their level is below ``fail_level``). Each
    failing run, and each passing run whose status differs from the last
    run's, is logged on ``dockerflow.heartbeat`` with every check's duration.

    Safe across any fork: a heartbeat remembers the process it ran in, and
    in another one (a worker forked by gunicorn or uWSGI) it starts afresh.
    """

    def __init__(
        self,
        timeout: float = DEFAULT_CHECK_TIMEOUT,
        cache_ttl: float = 0.0,
        *,
        fail_level: int = ERROR,
        context: Callable[[], contextlib.AbstractContextManager[Any]] | None = None,
    ) -> None:
        if not timeout > 0 or math.isnan(timeout):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if not cache_ttl >= 0:  # NaN too
            raise ValueError(f"cache_ttl must be seconds, 0 or more, not {cache_ttl!r}")
        self.timeout = float(timeout)
        self.cache_ttl = float(cache_ttl)
        self.fail_level = fail_level
        self.context = context or contextlib.nullcontext
        self._states: dict[int, _ProcessState] = {}

    def __repr__(self) -> str:
        return f"<Heartbeat timeout={self.timeout:g} cache_ttl={self.cache_ttl:g}>"

    def _state(self) -> _ProcessState:
        # The one fork rule: runs started in another process (their threads
        # stayed there) are forgotten. setdefault: racing threads share one.
        pid = os.getpid()
        return self._states.get(pid) or self._states.setdefault(pid, _ProcessState(self.cache_ttl))

    def run(self, checks: Checks, silenced_check_ids: Iterable[str] = ()) -> ChecksResults:
        """Run ``checks`` (a mapping or ``(name, callable)`` pairs) and aggregate them.

        Results shared from another caller's run have ``cached`` set.
        """
        pairs = _pairs(checks)
        silenced = frozenset(silenced_check_ids or ())
        cache = self._state().cache
        if cache is None:
            return self._run(pairs, silenced)
        started = time.monotonic()
        ran_here: list[bool] = []

        def run_here() -> ChecksResults:
            ran_here.append(True)
            return self._run(pairs, silenced)

        results = cache.get((tuple(name for name, _ in pairs), silenced), run_here)
        if ran_here:
            return results
        return dataclasses.replace(results, cached=True, total_ms=_ms_since(started))

    async def run_async(
        self, checks: Checks, silenced_check_ids: Iterable[str] = ()
    ) -> ChecksResults:
        """Like :meth:`run`, awaitable; never cached.

        Async checks run on the calling event loop (so they may use clients
        bound to it) and are cancelled at the timeout; other checks run on
        the check threads.
        """
        started = time.monotonic()
        pairs = _pairs(checks)
        deadline = started + self.timeout
        slots: list[Slot] = [
            asyncio.ensure_future(self._call_on_loop(name, func))
            if is_async_check(func)
            else self._start(name, func, deadline)
            for name, func in pairs
        ]
        waiting = {
            slot if isinstance(slot, asyncio.Task) else asyncio.wrap_future(slot)
            for slot in slots
            if not isinstance(slot, CheckOutcome)
        }
        if waiting:
            _, pending = await asyncio.wait(waiting, timeout=max(deadline - time.monotonic(), 0))
            for future in pending:  # a thread's check is cancelled only if it has not started
                future.cancel()
        return self._results(pairs, slots, frozenset(silenced_check_ids or ()), started)

    def _run(
        self, pairs: list[tuple[str, CheckFunction]], silenced: frozenset[str]
    ) -> ChecksResults:
        started = time.monotonic()
        deadline = started + self.timeout
        slots: list[Slot] = [self._start(name, func, deadline) for name, func in pairs]
        futures = [slot for slot in slots if isinstance(slot, Future)]
        if futures:
            wait(futures, timeout=max(deadline - time.monotonic(), 0.0))
        return self._results(pairs, slots, silenced, started)

    def _results(
        self,
        pairs: list[tuple[str, CheckFunction]],
        slots: list[Slot],
        silenced: frozenset[str],
        started: float,
    ) -> ChecksResults:
        """The one outcome loop: what each check's slot holds at the deadline."""
        outcomes = []
        for (name, _), slot in zip(pairs, slots):
            if isinstance(slot, CheckOutcome):
                outcome = slot
            elif slot.done() and not slot.cancelled():
                outcome = slot.result()
            elif isinstance(slot, Future) and (slot.cancelled() or slot.cancel()):
                message = (
                    f"Check {name} did not start within {self.timeout:g}s: "
                    f"all {DEFAULT_MAX_WORKERS} check threads of the process are busy"
                )
                outcome = _timed_out(name, message, since=started)
            elif isinstance(slot, asyncio.Task) and slot.done():  # cancelled by the check itself
                outcome = _outcome_of_exception(name, asyncio.CancelledError())
                outcome.duration_ms = _ms_since(started)
            else:
                running = self._state().running.get(name)
                backend = "" if running is None else _waiting_text(running.context)
                message = f"Check {name} did not finish within {self.timeout:g}s{backend}"
                outcome = _timed_out(name, message, since=started)
            outcomes.append(outcome)
        results = build_results(outcomes, silenced, timeout=self.timeout)
        results.total_ms = _ms_since(started)
        results.fail_level = self.fail_level
        self._log(results)
        return results

    def _start(self, name: str, func: CheckFunction, deadline: float) -> Slot:
        """Submit one check, unless its previous run is still going."""
        state = self._state()
        with state.lock:
            running = state.running.get(name)
            if running is not None and time.monotonic() < running.deadline:
                return running.future  # a concurrent run within its time: share it
            if running is not None:
                age = time.monotonic() - running.started
                message = (
                    f"Check {name} is still running from an earlier heartbeat "
                    f"(started {age:.1f}s ago{_waiting_text(running.context)}); "
                    "not started again"
                )
                return _timed_out(name, message, since=running.started)
            future: Future[CheckOutcome] = Future()
            run = state.running[name] = _Running(future, deadline)

        def finished(_: object) -> None:
            with state.lock:
                if state.running.get(name) is run:
                    del state.running[name]

        future.add_done_callback(finished)
        # Outside the lock: starting a thread may switch greenlets under gevent.
        shared_pool().submit(
            future, lambda: run.context.run(self._call_in_thread, name, func, deadline)
        )
        return future

    def _call_in_thread(self, name: str, func: CheckFunction, deadline: float) -> CheckOutcome:
        """Run one check to completion on a check thread, timing it there; never raises.

        Any exception the check raises is its outcome, ``SystemExit`` and
        ``KeyboardInterrupt`` included: raised by a check on a check thread,
        they cannot mean that the process should stop.
        """
        started = time.monotonic()
        try:
            with self.context():
                result = func()
                if inspect.isawaitable(result):
                    result = run_to_completion(result, deadline - time.monotonic())
            outcome = _outcome_of(name, result)
        except BaseException as exc:
            if isinstance(exc, asyncio.TimeoutError) and time.monotonic() >= deadline:
                message = f"Check {name} did not finish in time and was cancelled"
                return _timed_out(name, message, since=started)
            outcome = _outcome_of_exception(name, exc)
        outcome.duration_ms = _ms_since(started)
        return outcome

    async def _call_on_loop(self, name: str, func: CheckFunction) -> CheckOutcome:
        started = time.monotonic()
        try:
            with self.context():
                result = await func()
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise  # a cancellation is told apart by the caller; interrupts belong to the loop
        except Exception as exc:
            outcome = _outcome_of_exception(name, exc)
        else:
            outcome = _outcome_of(name, result)
        outcome.duration_ms = _ms_since(started)
        return outcome

    def _log(self, results: ChecksResults) -> None:
        """Log a failing run, or a passing one whose status changed, on ``dockerflow.heartbeat``."""
        status, now = level_to_text(results.level), time.monotonic()
        state = self._state()
        last = state.last
        changed = last is None or last[0] != status
        if changed:
            state.last = (status, now)
        if results.passed and not (changed and (last is not None or status != "ok")):
            return
        record_level = logging.INFO
        if not results.passed:
            record_level = logging.ERROR if results.level >= ERROR else logging.WARNING
        was, was_for = "", None
        if last is not None and changed:
            was_for = round(now - last[1], 1)
            was = f" (was {last[0]} for {was_for:g} s)"
        logger.log(
            record_level,
            "Heartbeat %s: %s in %.1f ms%s",
            "passed" if results.passed else "failed",
            status,
            results.total_ms,
            was,
            extra={
                "status": status,
                "previous_status": None if last is None else last[0],
                "previous_status_s": was_for,
                "duration_ms": results.total_ms,
                "checks": {
                    name: {"status": check_status, "duration_ms": results.durations_ms[name]}
                    for name, check_status in results.statuses.items()
                },
            },
        )


def _pairs(checks: Checks) -> list[tuple[str, CheckFunction]]:
    pairs = list(checks.items() if isinstance(checks, Mapping) else checks)
    names = [name for name, _ in pairs]
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"two checks are named {twice!r}")
    return pairs


def _outcome_of(name: str, result: Any) -> CheckOutcome:
    """The messages of a check that returned ``result`` (None counts as no message)."""
    if result is None:
        return CheckOutcome(name, [])
    if isinstance(result, (list, tuple)):
        strays = [item for item in result if not isinstance(item, CheckMessage)]
        if not strays:
            return CheckOutcome(name, list(result))
        found = f"a {type(result).__name__} holding a {type(strays[0]).__name__}"
    else:
        found = f"a {type(result).__name__}"
    message = f"Check {name} returned {found}, not a list of CheckMessage"
    return CheckOutcome(name, [Error(message, id=health.ERROR_CHECK_INVALID_RESULT)])


def _outcome_of_exception(name: str, exc: BaseException) -> CheckOutcome:
    try:
        text = mask_credentials(str(exc))
    except Exception:  # an exception whose __str__ raises
        text = "<its text cannot be shown>"
    message = f"Check {name} raised {type(exc).__name__}" + (f": {text}" if text else "")
    return CheckOutcome(name, [Error(message, id=health.ERROR_CHECK_EXCEPTION)], exception=exc)


def _timed_out(name: str, message: str, since: float) -> CheckOutcome:
    """The outcome of a check given up on now, running since the monotonic time ``since``."""
    error = Error(message, id=health.ERROR_CHECK_TIMEOUT)
    return CheckOutcome(name, [error], duration_ms=_ms_since(since), timed_out=True)


def _ms_since(start: float) -> float:
    """Milliseconds from the monotonic time ``start`` until now, to a tenth."""
    return round((time.monotonic() - start) * 1000, 1)


def _waiting_text(context: contextvars.Context) -> str:
    backend = waiting_on(context)
    return "" if backend is None else f", waiting on {backend}"


class _Unlogged(Heartbeat):
    """The run of python-dockerflow's functions: no heartbeat record of its own."""

    def _log(self, results: ChecksResults) -> None:
        pass


def run_checks(
    checks: Checks,
    silenced_check_ids: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_CHECK_TIMEOUT,
) -> ChecksResults:
    """Run ``checks`` concurrently, each within ``timeout`` seconds (python-dockerflow's name).

    Each call is a run of its own (a :class:`Heartbeat` made for it, which
    writes no ``dockerflow.heartbeat`` record): two callers' checks of the
    same name never share an outcome.
    """
    return _Unlogged(timeout).run(checks, silenced_check_ids or ())


async def run_checks_async(
    checks: Checks,
    silenced_check_ids: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_CHECK_TIMEOUT,
) -> ChecksResults:
    """Awaitable :func:`run_checks`; async checks run on the calling loop."""
    return await _Unlogged(timeout).run_async(checks, silenced_check_ids or ())
