"""The process's check threads: one bounded pool of daemon threads per process.

Unlike :class:`concurrent.futures.ThreadPoolExecutor`, whose threads are
joined at interpreter exit, these threads are daemons: a check stuck forever
on a dead socket never keeps a worker process from exiting. Idle threads end
after ``idle_seconds``.

Every heartbeat of the process shares :func:`shared_pool`, so the number of
check threads is bounded per process, however many apps it builds. A forked
child does not inherit the parent's threads, only their bookkeeping: it
builds a pool of its own at its first use (under gunicorn's gevent worker
that is after gevent has patched ``threading``).

No lock here is held while a thread starts or while anything blocks, so the
locks stay safe under gevent even when they were made before it patched
``threading`` (``gunicorn --preload``).
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

__all__ = ["DEFAULT_MAX_WORKERS", "WorkerPool", "shared_pool"]

DEFAULT_MAX_WORKERS = 32
"""Check threads a process runs at most, stuck checks included."""

T = TypeVar("T")
_WorkItem = tuple["Future[object]", Callable[[], object]]


class WorkerPool:
    """Run callables on at most ``max_workers`` daemon threads.

    Two counts, kept under the lock, say where queued work goes: ``_idle``
    threads wait with nothing promised to them, and ``_backlog`` items wait
    with no thread promised to them. A submitted item takes an idle thread,
    else a new one, else joins the backlog, which a thread finishing its item
    takes before it counts itself idle again.
    """

    def __init__(self, max_workers: int, *, idle_seconds: float = 60.0) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_WorkItem] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._backlog = 0

    def submit(self, future: Future[T], func: Callable[[], T]) -> None:
        """Run ``func`` on a pool thread and complete ``future`` with its outcome.

        ``future`` waits in the queue while every thread is busy, and can be
        cancelled until it starts.
        """
        new_thread: threading.Thread | None = None
        with self._lock:
            self._queue.put((future, func))  # type: ignore[arg-type]
            if self._idle:
                self._idle -= 1
            elif len(self._threads) < self.max_workers:
                new_thread = threading.Thread(target=self._work, daemon=True)
                new_thread.name = f"dockerflow-checks-{len(self._threads) + 1}"
                self._threads.add(new_thread)
            else:
                self._backlog += 1
        if new_thread is not None:
            try:
                new_thread.start()
            except RuntimeError:  # "can't start new thread": the item waits for another
                with self._lock:  # thread, else its heartbeat reports it did not start
                    self._threads.discard(new_thread)
                    self._backlog += 1

    def _work(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                try:
                    future, func = self._queue.get(timeout=self.idle_seconds)
                except queue.Empty:
                    with self._lock:
                        # Leave only while more threads idle than items promised them.
                        if self._idle:
                            self._idle -= 1
                            return
                    continue
                running = future.set_running_or_notify_cancel()
                result: Any = None
                error: BaseException | None = None
                if running:
                    try:
                        result = func()
                    except BaseException as exc:
                        error = exc
                # Counted idle before the caller sees the outcome: its next
                # item then finds this thread instead of starting another.
                with self._lock:
                    if self._backlog:
                        self._backlog -= 1
                    else:
                        self._idle += 1
                if running:
                    if error is None:
                        future.set_result(result)
                    else:
                        future.set_exception(error)
                del future, func, result, error
        finally:
            with self._lock:
                self._threads.discard(me)


_pools: dict[int, WorkerPool] = {}


def shared_pool() -> WorkerPool:
    """The pool every check runner of this process uses (made at first use).

    Found by process id: a forked child, whatever forked it (uWSGI forks
    without Python's at-fork hooks), finds none and makes its own, the
    parent's threads having stayed in the parent. setdefault: two threads
    racing here share one pool.
    """
    pid = os.getpid()
    return _pools.get(pid) or _pools.setdefault(pid, WorkerPool(DEFAULT_MAX_WORKERS))
