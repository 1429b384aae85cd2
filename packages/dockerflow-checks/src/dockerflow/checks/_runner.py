"""Running checks concurrently, each within a timeout."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
import math
import os
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, wait
from typing import Any, Union

from dockerflow import health

from ._coroutines import is_async_check, run_to_completion
from ._masking import mask_credentials
from ._pool import DEFAULT_MAX_WORKERS, shared_pool
from ._results import CheckOutcome, ChecksResults, build_results
from ._singleflight import SingleFlightCache
from ._waiting import waiting_on
from .messages import CheckMessage, Error
from .registry import CheckFunction

__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "CheckRunner",
    "Checks",
    "run_checks",
    "run_checks_async",
]

DEFAULT_CHECK_TIMEOUT = 3.0
"""Seconds a check may run before it is reported as an error."""

Checks = Union[Mapping[str, CheckFunction], Iterable[tuple[str, CheckFunction]]]


def _pairs(checks: Checks) -> list[tuple[str, CheckFunction]]:
    pairs = list(checks.items() if isinstance(checks, Mapping) else checks)
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise ValueError(f"two checks are named {name!r}")
        seen.add(name)
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
    return CheckOutcome(
        name,
        [Error(message, id=health.ERROR_CHECK_TIMEOUT)],
        duration_ms=_ms_since(since),
        timed_out=True,
    )


def _ms_since(start: float) -> float:
    """Milliseconds from the monotonic time ``start`` until now, to a tenth."""
    return round((time.monotonic() - start) * 1000, 1)


def _waiting_text(context: contextvars.Context) -> str:
    backend = waiting_on(context)
    return "" if backend is None else f", waiting on {backend}"


def _call_in_thread(name: str, func: CheckFunction, deadline: float) -> CheckOutcome:
    """Run one check to completion in a check thread, timing it there; never raises.

    Any exception the check raises is its outcome, ``SystemExit``,
    ``KeyboardInterrupt`` and ``asyncio.CancelledError`` included: raised by
    the check's own code on a check thread, they cannot mean that the process
    should stop, and the heartbeat still answers.
    """
    started = time.monotonic()
    try:
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


class _Running:
    __slots__ = ("context", "deadline", "func", "future", "started")

    def __init__(
        self,
        func: CheckFunction,
        future: Future[CheckOutcome],
        deadline: float,
        context: contextvars.Context,
    ) -> None:
        self.func = func  # keeps id(func) from being reused while the entry exists
        self.future = future
        self.deadline = deadline
        self.context = context
        self.started = time.monotonic()


class CheckRunner:
    """Runs checks concurrently on the process's check threads, each within ``timeout``.

    A check that raises, runs past ``timeout`` seconds, or returns something
    other than a list of messages becomes an :class:`Error`. A check still
    stuck from an earlier run is not started again: it is reported as timed
    out until it returns, so a hung backend holds at most one thread per
    check; a concurrent caller arriving within its timeout shares its run.
    With ``cache_ttl`` > 0, concurrent callers of :meth:`run` share one run
    and its results are reused for ``cache_ttl`` seconds after it ends.

    Each check is timed in its own thread, with a monotonic clock
    (``ChecksResults.durations_ms``); one that finishes after more than half
    of ``timeout`` is logged at WARNING on ``dockerflow.checks.registry``
    (id ``dockerflow.health.check_slow``).

    Each check runs in a copy of the caller's context (:mod:`contextvars`),
    so what it logs carries the caller's request id. Every runner of a
    process shares one pool of at most 32 threads; each keeps its own record
    of what is running and its own cache. Thread-safe, and safe across
    :func:`os.fork`: a forked child forgets the runs it did not inherit the
    threads of. One runner per app.
    """

    def __init__(self, timeout: float = DEFAULT_CHECK_TIMEOUT, cache_ttl: float = 0.0) -> None:
        if not timeout > 0 or math.isnan(timeout):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if cache_ttl < 0:
            raise ValueError(f"cache_ttl must not be negative, not {cache_ttl!r}")
        self.timeout = float(timeout)
        self.cache_ttl = float(cache_ttl)
        self._forget_runs()
        _runners_to_reset_after_fork.add(self)

    def _forget_runs(self) -> None:
        """Start with nothing running and nothing cached (at creation, and in a forked child)."""
        self._running: dict[tuple[str, int], _Running] = {}
        self._lock = threading.Lock()
        self._cache: SingleFlightCache[ChecksResults] | None = (
            SingleFlightCache(self.cache_ttl) if self.cache_ttl > 0 else None
        )

    def __repr__(self) -> str:
        return f"<CheckRunner timeout={self.timeout} cache_ttl={self.cache_ttl}>"

    def run(self, checks: Checks, silenced_check_ids: Iterable[str] = ()) -> ChecksResults:
        """Run ``checks`` (a mapping or ``(name, callable)`` pairs) and aggregate them.

        Results reused from another call's run have ``cached`` set, and that
        run's ``durations_ms``; nothing is logged again for them.
        """
        started = time.monotonic()
        pairs = _pairs(checks)
        silenced = frozenset(silenced_check_ids or ())
        cache = self._cache
        if cache is None:
            return self._run(pairs, silenced, started)
        key = (tuple((name, id(func)) for name, func in pairs), silenced)
        ran_here: list[bool] = []

        def run_here() -> ChecksResults:
            ran_here.append(True)
            return self._run(pairs, silenced, started)

        results = cache.get(key, run_here)
        if ran_here:
            return results
        # The cached object is shared: this caller gets a copy of its own.
        return dataclasses.replace(results, cached=True, total_ms=_ms_since(started))

    async def run_async(
        self, checks: Checks, silenced_check_ids: Iterable[str] = ()
    ) -> ChecksResults:
        """Like :meth:`run`, awaitable; never cached.

        Async checks run on the calling event loop (so they may use clients
        bound to it) and are cancelled at the timeout; other checks run on the
        check threads. An async check that raises ``SystemExit`` or
        ``KeyboardInterrupt`` here lets it through, as asyncio does: on the
        caller's own thread it may be a real interrupt.
        """
        started = time.monotonic()
        pairs = _pairs(checks)
        silenced = frozenset(silenced_check_ids or ())
        deadline = started + self.timeout
        slots: list[CheckOutcome | asyncio.Future[CheckOutcome]] = []
        for name, func in pairs:
            if is_async_check(func):
                slots.append(asyncio.ensure_future(_call_on_loop(name, func)))
            else:
                submitted = self._start(name, func, deadline)
                slots.append(
                    submitted
                    if isinstance(submitted, CheckOutcome)
                    else asyncio.wrap_future(submitted)
                )
        waiting = [slot for slot in slots if isinstance(slot, asyncio.Future)]
        done: set[asyncio.Future[CheckOutcome]] = set()
        try:
            if waiting:
                done, _ = await asyncio.wait(waiting, timeout=max(deadline - time.monotonic(), 0))
        finally:
            for pending in waiting:
                if pending not in done:
                    pending.cancel()
        outcomes = []
        for (name, func), slot in zip(pairs, slots):
            if isinstance(slot, CheckOutcome):
                outcomes.append(slot)
            elif slot not in done:
                message = f"Check {name} did not finish within {self.timeout:g}s"
                outcomes.append(_timed_out(name, message, since=started))
            elif not slot.cancelled():
                outcomes.append(slot.result())
            elif is_async_check(func):  # cancelled before the deadline by the check itself
                outcome = _outcome_of_exception(name, asyncio.CancelledError())
                outcome.duration_ms = _ms_since(started)
                outcomes.append(outcome)
            else:  # a concurrent run gave up on the thread it waited for
                message = f"Check {name} did not start in time"
                outcomes.append(_timed_out(name, message, since=started))
        return self._results(outcomes, silenced, started)

    def _run(
        self, pairs: list[tuple[str, CheckFunction]], silenced: frozenset[str], started: float
    ) -> ChecksResults:
        deadline = time.monotonic() + self.timeout
        slots = [self._start(name, func, deadline) for name, func in pairs]
        futures = [slot for slot in slots if isinstance(slot, Future)]
        if futures:
            wait(futures, timeout=max(deadline - time.monotonic(), 0.0))
        outcomes = []
        for (name, func), slot in zip(pairs, slots):
            if isinstance(slot, CheckOutcome):
                outcomes.append(slot)
            elif slot.done() and not slot.cancelled():
                outcomes.append(slot.result())
            elif slot.cancelled() or slot.cancel():  # a sharer may have cancelled it
                message = (
                    f"Check {name} did not start within {self.timeout:g}s: "
                    f"all {DEFAULT_MAX_WORKERS} check threads of the process are busy"
                )
                outcomes.append(_timed_out(name, message, since=started))
            else:
                outcomes.append(self._late(name, func, started))
        return self._results(outcomes, silenced, started)

    def _results(
        self, outcomes: list[CheckOutcome], silenced: frozenset[str], started: float
    ) -> ChecksResults:
        results = build_results(outcomes, silenced, timeout=self.timeout)
        results.total_ms = _ms_since(started)
        return results

    def _late(self, name: str, func: CheckFunction, started: float) -> CheckOutcome:
        with self._lock:
            running = self._running.get((name, id(func)))
        waiting = "" if running is None else _waiting_text(running.context)
        message = f"Check {name} did not finish within {self.timeout:g}s{waiting}"
        return _timed_out(name, message, since=started)

    def _start(
        self, name: str, func: CheckFunction, deadline: float
    ) -> CheckOutcome | Future[CheckOutcome]:
        """Submit one check, unless its previous run is still going."""
        key = (name, id(func))
        with self._lock:
            running = self._running.get(key)
            if running is not None and time.monotonic() < running.deadline:
                # A concurrent run (another heartbeat) within its time: share it.
                return running.future
            if running is not None:
                age = time.monotonic() - running.started
                message = (
                    f"Check {name} is still running from an earlier heartbeat "
                    f"(started {age:.1f}s ago{_waiting_text(running.context)}); "
                    "not started again"
                )
                return _timed_out(name, message, since=running.started)
            future: Future[CheckOutcome] = Future()
            context = contextvars.copy_context()
            self._running[key] = _Running(func, future, deadline, context)
        future.add_done_callback(lambda _: self._finished(key, future))
        # Outside the lock: starting a thread may switch greenlets under gevent.
        shared_pool().submit(future, lambda: context.run(_call_in_thread, name, func, deadline))
        return future

    def _finished(self, key: tuple[str, int], future: Future[CheckOutcome]) -> None:
        with self._lock:
            running = self._running.get(key)
            if running is not None and running.future is future:
                del self._running[key]


async def _call_on_loop(name: str, func: CheckFunction) -> CheckOutcome:
    started = time.monotonic()
    try:
        result = await func()
    except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
        raise  # a cancellation is told apart by the caller; interrupts belong to the loop
    except Exception as exc:
        outcome = _outcome_of_exception(name, exc)
    else:
        outcome = _outcome_of(name, result)
    outcome.duration_ms = _ms_since(started)
    return outcome


class _RunnersToReset:
    """The live runners; a forked child makes each forget its runs (their threads stayed behind)."""

    def __init__(self) -> None:
        self._runners: weakref.WeakSet[CheckRunner] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, runner: CheckRunner) -> None:
        with self._lock:
            self._runners.add(runner)

    def reset_in_child(self) -> None:
        # Only the forking thread exists here; any lock may have been held by another.
        self._lock = threading.Lock()
        for runner in list(self._runners):
            runner._forget_runs()


_runners_to_reset_after_fork = _RunnersToReset()
if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_runners_to_reset_after_fork.reset_in_child)


_default_runners: dict[float, CheckRunner] = {}


def _default_runner(timeout: float) -> CheckRunner:
    runner = _default_runners.get(timeout)
    if runner is None:  # setdefault: two threads racing here end up with the same runner
        runner = _default_runners.setdefault(timeout, CheckRunner(timeout))
    return runner


def run_checks(
    checks: Checks,
    silenced_check_ids: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_CHECK_TIMEOUT,
) -> ChecksResults:
    """Run ``checks`` concurrently, each within ``timeout`` seconds.

    Uses a shared runner per timeout value; a stuck check is identified by its
    name and callable, so two apps' checks never stand in for each other.
    """
    return _default_runner(timeout).run(checks, silenced_check_ids or ())


async def run_checks_async(
    checks: Checks,
    silenced_check_ids: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_CHECK_TIMEOUT,
) -> ChecksResults:
    """Awaitable :func:`run_checks`; async checks run on the calling loop."""
    return await _default_runner(timeout).run_async(checks, silenced_check_ids or ())
