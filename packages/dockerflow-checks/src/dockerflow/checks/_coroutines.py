"""Async checks: telling them apart, and running one to completion from a check thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import inspect
import sys
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["is_async_check", "run_to_completion"]

T = TypeVar("T")


def is_async_check(check: Any) -> bool:
    """Whether calling ``check`` gives a coroutine to await.

    True for an ``async def`` function, a :func:`functools.partial` of one,
    and an object whose ``__call__`` is ``async def`` (which
    :func:`inspect.iscoroutinefunction` alone does not recognise).
    """
    while isinstance(check, functools.partial):
        check = check.func
    if inspect.iscoroutinefunction(check):
        return True
    if inspect.isroutine(check) or inspect.isclass(check):
        return False
    return inspect.iscoroutinefunction(getattr(check, "__call__", None))  # noqa: B004


def run_to_completion(awaitable: Awaitable[T], timeout: float) -> T:
    """Run ``awaitable`` on an event loop of its own, cancelled after ``timeout`` seconds.

    Called from a check thread, in the check's context, which the coroutine
    runs in a copy of. asyncio keeps one running loop per OS thread; under
    gevent's monkey-patching the check threads are greenlets sharing one OS
    thread, so two checks' loops would collide ("asyncio.run() cannot be
    called from a running event loop") and every other asyncio user of the
    worker would see a loop running. There the loop runs on one of gevent's
    real threads (its hub's threadpool), which the calling greenlet waits
    for without blocking the others.
    """
    main = asyncio.wait_for(_interrupts_as_values(awaitable), max(timeout, 0.0))
    if _threads_are_greenlets():
        gevent: Any = importlib.import_module("gevent")
        context = contextvars.copy_context()  # a context is entered by one thread at a time
        result = gevent.get_hub().threadpool.apply(context.run, (asyncio.run, main))
    else:
        result = asyncio.run(main)
    if isinstance(result, _Interrupt):
        raise result.exception
    return result  # type: ignore[no-any-return]


class _Interrupt:
    __slots__ = ("exception",)

    def __init__(self, exception: BaseException) -> None:
        self.exception = exception


async def _interrupts_as_values(awaitable: Awaitable[T]) -> T | _Interrupt:
    # asyncio lets these two out of a task and out of the loop, which then
    # complains of the tasks it had to abandon; carried out as a value, they
    # reach the runner like any other exception of the check.
    try:
        return await awaitable
    except (KeyboardInterrupt, SystemExit) as exc:
        return _Interrupt(exc)


def _threads_are_greenlets() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))
