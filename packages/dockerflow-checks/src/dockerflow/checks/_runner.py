"""Running checks concurrently, each within a timeout."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import threading
import time
from collections.abc import Awaitable, Iterable, Mapping
from concurrent.futures import Future, wait
from typing import Any, Union

from dockerflow import health

from ._masking import mask_credentials
from ._pool import WorkerPool
from ._results import CheckOutcome, ChecksResults, build_results
from ._singleflight import SingleFlightCache
from .messages import CheckMessage, Error
from .registry import CheckFunction

__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "DEFAULT_MAX_WORKERS",
    "CheckRunner",
    "Checks",
    "run_checks",
    "run_checks_async",
]

logger = logging.getLogger("dockerflow.checks")

DEFAULT_CHECK_TIMEOUT = 3.0
"""Seconds a check may run before it is reported as an error."""

DEFAULT_MAX_WORKERS = 32
"""Threads a runner uses at most, stuck checks included."""

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
    text = mask_credentials(str(exc))
    message = f"Check {name} raised {type(exc).__name__}" + (f": {text}" if text else "")
    return CheckOutcome(name, [Error(message, id=health.ERROR_CHECK_EXCEPTION)], exception=exc)


def _timed_out(name: str, message: str) -> CheckOutcome:
    return CheckOutcome(name, [Error(message, id=health.ERROR_CHECK_TIMEOUT)])


async def _await_within(awaitable: Awaitable[Any], seconds: float) -> Any:
    return await asyncio.wait_for(awaitable, max(seconds, 0.0))


def _call_sync(name: str, func: CheckFunction, deadline: float) -> CheckOutcome:
    """Run one check to completion in a worker thread; never raises."""
    try:
        result = func()
        if inspect.isawaitable(result):
            # An async check gets its own loop here and is cancelled at the deadline.
            result = asyncio.run(_await_within(result, deadline - time.monotonic()))
    except Exception as exc:
        if isinstance(exc, asyncio.TimeoutError) and time.monotonic() >= deadline:
            return _timed_out(name, f"Check {name} did not finish in time and was cancelled")
        return _outcome_of_exception(name, exc)
    return _outcome_of(name, result)


class _Running:
    __slots__ = ("deadline", "func", "future", "started")

    def __init__(self, func: CheckFunction, future: Future[CheckOutcome], deadline: float) -> None:
        self.func = func  # keeps id(func) from being reused while the entry exists
        self.future = future
        self.deadline = deadline
        self.started = time.monotonic()


class CheckRunner:
    """Runs checks concurrently on a bounded pool of threads, each within ``timeout``.

    A check that raises, runs past ``timeout`` seconds, or returns something
    other than a list of messages becomes an :class:`Error`. A check still
    stuck from an earlier run is not started again: it is reported as timed
    out until it returns, so a hung backend holds at most one thread per
    check; a concurrent caller arriving within its timeout shares its run.
    With ``cache_ttl`` > 0, concurrent callers of :meth:`run` share one run
    and its results are reused for ``cache_ttl`` seconds after it ends.
    Thread-safe; one runner per app.
    """

    def __init__(
        self,
        timeout: float = DEFAULT_CHECK_TIMEOUT,
        cache_ttl: float = 0.0,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        if not timeout > 0 or math.isnan(timeout):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if cache_ttl < 0:
            raise ValueError(f"cache_ttl must not be negative, not {cache_ttl!r}")
        self.timeout = float(timeout)
        self.cache_ttl = float(cache_ttl)
        self._pool = WorkerPool(max_workers)
        self._running: dict[tuple[str, int], _Running] = {}
        self._lock = threading.Lock()
        self._cache: SingleFlightCache[ChecksResults] | None = (
            SingleFlightCache(cache_ttl) if cache_ttl > 0 else None
        )

    def __repr__(self) -> str:
        return f"<CheckRunner timeout={self.timeout} cache_ttl={self.cache_ttl}>"

    def run(self, checks: Checks, silenced_check_ids: Iterable[str] = ()) -> ChecksResults:
        """Run ``checks`` (a mapping or ``(name, callable)`` pairs) and aggregate them."""
        pairs = _pairs(checks)
        silenced = frozenset(silenced_check_ids or ())
        if self._cache is None:
            return self._run(pairs, silenced)
        key = (tuple((name, id(func)) for name, func in pairs), silenced)
        return self._cache.get(key, lambda: self._run(pairs, silenced))

    async def run_async(
        self, checks: Checks, silenced_check_ids: Iterable[str] = ()
    ) -> ChecksResults:
        """Like :meth:`run`, awaitable; never cached.

        Coroutine-function checks run on the calling event loop (so they may
        use clients bound to it) and are cancelled at the timeout; other checks
        run on the runner's threads.
        """
        pairs = _pairs(checks)
        silenced = frozenset(silenced_check_ids or ())
        deadline = time.monotonic() + self.timeout
        slots: list[CheckOutcome | asyncio.Future[CheckOutcome]] = []
        for name, func in pairs:
            if inspect.iscoroutinefunction(func):
                slots.append(asyncio.ensure_future(self._call_on_loop(name, func)))
            else:
                started = self._start(name, func, deadline)
                slots.append(
                    started if isinstance(started, CheckOutcome) else asyncio.wrap_future(started)
                )
        waiting = [slot for slot in slots if isinstance(slot, asyncio.Future)]
        if waiting:
            await asyncio.wait(waiting, timeout=max(deadline - time.monotonic(), 0.0))
        outcomes = []
        for (name, _), slot in zip(pairs, slots):
            if isinstance(slot, CheckOutcome):
                outcomes.append(slot)
            elif slot.done() and not slot.cancelled():
                outcomes.append(slot.result())
            else:
                slot.cancel()
                outcomes.append(
                    _timed_out(name, f"Check {name} did not finish within {self.timeout:g}s")
                )
        return build_results(outcomes, silenced)

    async def _call_on_loop(self, name: str, func: CheckFunction) -> CheckOutcome:
        try:
            result = await func()
        except Exception as exc:
            return _outcome_of_exception(name, exc)
        return _outcome_of(name, result)

    def close(self) -> None:
        """Release the runner's threads; checks still running finish on their own."""
        self._pool.close()

    def _run(
        self, pairs: list[tuple[str, CheckFunction]], silenced: frozenset[str]
    ) -> ChecksResults:
        deadline = time.monotonic() + self.timeout
        started = [self._start(name, func, deadline) for name, func in pairs]
        futures = [slot for slot in started if isinstance(slot, Future)]
        if futures:
            wait(futures, timeout=max(deadline - time.monotonic(), 0.0))
        outcomes = []
        for (name, _), slot in zip(pairs, started):
            if isinstance(slot, CheckOutcome):
                outcomes.append(slot)
            elif slot.done() and not slot.cancelled():
                outcomes.append(slot.result())
            elif slot.cancelled() or slot.cancel():  # a sharer may have cancelled it
                outcomes.append(
                    _timed_out(
                        name,
                        f"Check {name} did not start within {self.timeout:g}s: "
                        f"all {self._pool.max_workers} check threads are busy",
                    )
                )
            else:
                outcomes.append(
                    _timed_out(name, f"Check {name} did not finish within {self.timeout:g}s")
                )
        return build_results(outcomes, silenced)

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
                return _timed_out(
                    name,
                    f"Check {name} is still running from an earlier heartbeat "
                    f"(started {age:.1f}s ago); not started again",
                )
            future = self._pool.submit(lambda: _call_sync(name, func, deadline))
            self._running[key] = _Running(func, future, deadline)
        future.add_done_callback(lambda _: self._finished(key))
        return future

    def _finished(self, key: tuple[str, int]) -> None:
        with self._lock:
            self._running.pop(key, None)


_default_runners: dict[float, CheckRunner] = {}
_default_runners_lock = threading.Lock()


def _default_runner(timeout: float) -> CheckRunner:
    with _default_runners_lock:
        runner = _default_runners.get(timeout)
        if runner is None:
            runner = _default_runners[timeout] = CheckRunner(timeout)
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
    """Awaitable :func:`run_checks`; coroutine checks run on the calling loop."""
    return await _default_runner(timeout).run_async(checks, silenced_check_ids or ())
