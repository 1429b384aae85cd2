"""A bounded pool of daemon threads for running checks.

Unlike :class:`concurrent.futures.ThreadPoolExecutor`, whose threads are
joined at interpreter exit, these threads are daemons: a check stuck forever
on a dead socket never keeps a worker process from exiting. Idle threads end
after ``idle_seconds``.
"""

from __future__ import annotations

import itertools
import queue
import threading
from concurrent.futures import Future
from typing import Callable, Optional, TypeVar

__all__ = ["WorkerPool"]

T = TypeVar("T")
_WorkItem = Optional[tuple["Future[object]", Callable[[], object]]]
_pool_numbers = itertools.count(1)


class WorkerPool:
    """Run callables on at most ``max_workers`` daemon threads."""

    def __init__(self, max_workers: int, *, idle_seconds: float = 60.0) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_WorkItem] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._closed = False
        self._name = f"dockerflow-checks-{next(_pool_numbers)}"

    @property
    def thread_count(self) -> int:
        """How many worker threads are alive (busy or idle)."""
        with self._lock:
            return len(self._threads)

    def submit(self, func: Callable[[], T]) -> Future[T]:
        """Queue ``func``; a future for its result, cancellable until it starts."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            self._queue.put((future, func))  # type: ignore[arg-type]
            if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work,
                    name=f"{self._name}-{len(self._threads) + 1}",
                    daemon=True,
                )
                self._threads.add(thread)
                thread.start()
        return future

    def close(self) -> None:
        """Cancel queued work and let every idle thread end; running calls finish."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
            for _ in range(len(self._threads)):
                self._queue.put(None)

    def _work(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self.idle_seconds)
                except queue.Empty:
                    with self._lock:
                        # Leave only while counted as idle: a missing token means a
                        # submitter just counted on this thread for queued work.
                        if self._idle.acquire(blocking=False):
                            return
                    continue
                if item is None:
                    return
                future, func = item
                if future.set_running_or_notify_cancel():
                    try:
                        result = func()
                    except BaseException as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
                del item, future, func
                self._idle.release()
        finally:
            with self._lock:
                self._threads.discard(me)
