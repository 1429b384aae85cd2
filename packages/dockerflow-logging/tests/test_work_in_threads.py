"""in_current_context: work handed to a thread or an executor logs the request's id and trace."""

from __future__ import annotations

import io
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dockerflow.logging import (
    MozlogFormatter,
    RequestIdLogFilter,
    TraceContext,
    in_current_context,
    request_id_context,
    trace_context,
)

TRACE = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", sampled=True)


@pytest.fixture
def logged():
    """A logger writing mozlog with RequestIdLogFilter; yields it and its parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MozlogFormatter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("test.work_in_threads")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.fixture
def in_request():
    """The request id and trace set, as a web integration sets them for a request."""
    tokens = request_id_context.set("req-1"), trace_context.set(TRACE)
    yield
    trace_context.reset(tokens[1])
    request_id_context.reset(tokens[0])


def test_a_thread_started_with_the_wrapper_logs_the_request_id_and_trace(logged, in_request):
    logger, lines = logged
    thread = threading.Thread(target=in_current_context(logger.info), args=("in a thread",))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    [line] = lines()
    assert line["Fields"]["rid"] == "req-1"
    assert (line["Fields"]["trace_id"], line["Fields"]["span_id"]) == TRACE[:2]


def test_a_plain_thread_logs_no_request_id(logged, in_request):
    """What the wrapper fixes: a thread starts with an empty context."""
    logger, lines = logged
    thread = threading.Thread(target=logger.info, args=("in a thread",))
    thread.start()
    thread.join(timeout=30)
    [line] = lines()
    assert line["Fields"]["rid"] is None
    assert "trace_id" not in line["Fields"]


def test_executor_work_keeps_the_id_of_the_request_that_submitted_it(logged):
    """Two requests share one pool: each task logs its own request's id, after the request ended."""
    logger, lines = logged
    submitted = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for rid in ("req-a", "req-b"):
            token = request_id_context.set(rid)
            submitted.append(pool.submit(in_current_context(logger.info), "task of %s", rid))
            request_id_context.reset(token)
        for future in submitted:
            future.result(timeout=30)
    assert sorted((line["Fields"]["rid"], line["Fields"]["msg"]) for line in lines()) == [
        ("req-a", "task of req-a"),
        ("req-b", "task of req-b"),
    ]


def test_one_wrapper_may_run_concurrently_and_each_call_keeps_its_own_changes(in_request):
    """executor.map calls one wrapper from several threads; what a call sets stays in that call."""
    barrier = threading.Barrier(4, timeout=30)

    def work(n: int) -> tuple[str | None, str | None]:
        seen = request_id_context.get()
        barrier.wait()  # all four calls are inside the same wrapper at once
        request_id_context.set(f"changed-{n}")
        barrier.wait()
        return seen, request_id_context.get()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(in_current_context(work), range(4), timeout=30))
    assert results == [("req-1", f"changed-{n}") for n in range(4)]
    assert request_id_context.get() == "req-1"


def test_the_wrapper_keeps_the_name_and_result_of_the_function():
    def add(a: int, b: int) -> int:
        return a + b

    wrapped = in_current_context(add)
    assert (wrapped.__name__, wrapped(2, b=3)) == ("add", 5)
