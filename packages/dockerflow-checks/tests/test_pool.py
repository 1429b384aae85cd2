"""The pool of check threads: bounded, and never promising work to a thread that is not there."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from dockerflow.checks._pool import WorkerPool


def test_work_queued_while_every_thread_was_busy_is_taken_by_the_next_free_thread(
    release: threading.Event,
) -> None:
    """Two threads busy, three items queued: each item runs as soon as a thread is free."""
    pool = WorkerPool(2, idle_seconds=5)
    hanging = [Future[object]() for _ in range(2)]
    for future in hanging:
        pool.submit(future, lambda: release.wait(30))
    queued = [Future[object]() for _ in range(3)]
    for number, future in enumerate(queued):
        pool.submit(future, lambda number=number: number)
    assert not any(future.done() for future in queued)
    release.set()
    assert [future.result(timeout=5) for future in queued] == [0, 1, 2]


def test_cancelled_backlog_leaves_no_stale_promise_after_idle_threads_end(
    release: threading.Event,
) -> None:
    """Items cancelled while queued, then every thread ending idle: new work still gets a thread.

    The pool used to count each finished item as an idle thread, queued ones
    included, and so promised later work to threads that had already ended.
    """
    pool = WorkerPool(2, idle_seconds=0.2)
    for _ in range(2):
        pool.submit(Future(), lambda: release.wait(30))
    backlog = [Future[object]() for _ in range(3)]
    for future in backlog:
        pool.submit(future, lambda: None)
    for future in backlog:
        assert future.cancel()
    release.set()
    deadline = time.monotonic() + 10
    while pool._threads and time.monotonic() < deadline:  # every thread ends, idle
        time.sleep(0.05)
    assert not pool._threads

    later: Future[str] = Future()
    pool.submit(later, lambda: "ran")
    assert later.result(timeout=5) == "ran"


def test_threads_never_exceed_the_bound() -> None:
    """Twenty items at once on a pool of three: at most three threads, all items done."""
    pool = WorkerPool(3, idle_seconds=5)
    barrier_free = threading.Event()
    futures = [Future[object]() for _ in range(20)]
    for future in futures:
        pool.submit(future, lambda: barrier_free.wait(0.05))
    assert len(pool._threads) <= 3
    for future in futures:
        future.result(timeout=10)
    assert len(pool._threads) <= 3


def test_a_thread_the_process_cannot_start_leaves_the_work_queued(monkeypatch) -> None:
    """At the process's thread limit submit() does not raise: the item waits, cancellable."""

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    pool = WorkerPool(max_workers=2)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    future: Future[int] = Future()

    pool.submit(future, lambda: 1)

    assert not future.done()
    assert future.cancel()


def test_a_thread_is_idle_again_by_the_time_its_result_is_seen() -> None:
    """Sequential work reuses one thread: the thread counts itself idle before it hands over
    the outcome (seen here from the future's callback, which runs as the outcome is set)."""
    pool = WorkerPool(max_workers=8)
    idle_when_done: list[int] = []
    for number in range(20):
        future: Future[int] = Future()
        future.add_done_callback(lambda _: idle_when_done.append(pool._idle))
        pool.submit(future, lambda number=number: number)
        assert future.result(timeout=30) == number

    assert idle_when_done == [1] * 20
    assert len(pool._threads) == 1
