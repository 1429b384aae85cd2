"""The runner: concurrency, timeouts, isolation of failures, logging, results."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import threading
import time
from typing import Any

import pytest

from dockerflow import health
from dockerflow.checks import (
    DEFAULT_CHECK_TIMEOUT,
    CheckMessage,
    Critical,
    Debug,
    Error,
    Heartbeat,
    Info,
    Warning,
    run_checks,
    run_checks_async,
)
from dockerflow.checks._coroutines import is_async_check
from dockerflow.checks._pool import DEFAULT_MAX_WORKERS, shared_pool


@pytest.fixture
def runner() -> Heartbeat:
    """A runner whose timeout no passing check reaches, however loaded the machine.

    Tests of timeouts build their own runner with a short one.
    """
    return Heartbeat(timeout=10)


def sleeper(seconds: float) -> Any:
    def check() -> list[CheckMessage]:
        time.sleep(seconds)
        return []

    return check


def test_default_timeout_is_three_seconds() -> None:
    """DEFAULT_CHECK_TIMEOUT is finite: 3 seconds, and runners use it by default."""
    assert DEFAULT_CHECK_TIMEOUT == 3.0
    assert Heartbeat().timeout == 3.0


def test_results_have_statuses_for_all_and_details_above_ok(runner: Heartbeat) -> None:
    """Every check gets a status; only checks above ok get details; level is the max."""
    results = runner.run(
        {
            "fine": list,
            "noted": lambda: [Debug("d", id="x.D1")],
            "slow": lambda: [Warning("w", id="x.W1")],
        }
    )
    assert results.statuses == {"fine": "ok", "noted": "debug", "slow": "warning"}
    assert results.level == 30
    assert results.details == {
        "noted": {"status": "debug", "level": 10, "messages": {"x.D1": "d"}},
        "slow": {"status": "warning", "level": 30, "messages": {"x.W1": "w"}},
    }


def test_accepts_name_callable_pairs(runner: Heartbeat) -> None:
    """run() takes (name, callable) pairs as python-dockerflow's run_checks does."""
    results = runner.run([("a", list), ("b", lambda: [Error("e")])])
    assert results.statuses == {"a": "ok", "b": "error"}


def test_duplicate_names_in_pairs_are_rejected(runner: Heartbeat) -> None:
    """Two checks of one name would hide each other: ValueError."""
    with pytest.raises(ValueError, match="'a'"):
        runner.run([("a", list), ("a", list)])


def test_independent_checks_run_concurrently(runner: Heartbeat) -> None:
    """Ten checks meet at one barrier: each waits there until all ten run at once."""
    barrier = threading.Barrier(10)

    def meets() -> list[CheckMessage]:
        barrier.wait(timeout=5)
        return []

    checks = {f"meets{i}": meets for i in range(10)}
    results = runner.run(checks)
    assert results.statuses == dict.fromkeys(checks, "ok")


def test_hanging_check_times_out_with_stable_id(release: threading.Event) -> None:
    """A check that never returns becomes an Error with the timeout id, within the timeout."""
    runner = Heartbeat(timeout=0.3)
    results = runner.run({"hangs": lambda: release.wait(30), "fine": list})
    assert results.statuses == {"hangs": "error", "fine": "ok"}
    messages = results.details["hangs"]["messages"]
    assert list(messages) == [health.ERROR_CHECK_TIMEOUT]
    assert "0.3s" in messages[health.ERROR_CHECK_TIMEOUT]


def test_stuck_check_is_not_started_again(release: threading.Event) -> None:
    """While an earlier call still hangs, later runs report it without starting another."""
    calls = []

    def hangs() -> list[CheckMessage]:
        calls.append(1)
        release.wait(30)
        return []

    runner = Heartbeat(timeout=0.1)
    first = runner.run({"hangs": hangs})
    second = runner.run({"hangs": hangs})
    assert len(calls) == 1
    assert health.ERROR_CHECK_TIMEOUT in first.details["hangs"]["messages"]
    assert "still running" in second.details["hangs"]["messages"][health.ERROR_CHECK_TIMEOUT]
    release.set()
    assert wait_for(lambda: runner.run({"hangs": hangs}).level == 0)


def wait_for(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_hanging_check_run_fifty_times_keeps_threads_bounded(release: threading.Event) -> None:
    """Fifty heartbeats of a hanging check leave a bounded number of live threads."""
    runner = Heartbeat(timeout=0.02)
    before = threading.active_count()
    hangs = lambda: release.wait(30)  # noqa: E731
    peak = 0
    for _ in range(50):
        results = runner.run({"hangs": hangs, "fine": list})
        assert results.statuses["hangs"] == "error"
        peak = max(peak, threading.active_count())
    assert peak - before <= 3
    release.set()


def test_check_threads_are_bounded_per_process_not_per_runner(release: threading.Event) -> None:
    """Forty hanging checks over four runners hold at most 32 threads; the rest do not start."""
    runners = [Heartbeat(timeout=0.5) for _ in range(4)]
    before = threading.active_count()
    results: list[Any] = []

    def run(runner: Heartbeat, first: int) -> None:
        checks = {f"hang{i}": (lambda: release.wait(30)) for i in range(first, first + 10)}
        results.append(runner.run(checks))

    threads = [
        threading.Thread(target=run, args=(runner, 10 * n)) for n, runner in enumerate(runners)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert threading.active_count() - before <= DEFAULT_MAX_WORKERS
    texts = [m for r in results for d in r.details.values() for m in d["messages"].values()]
    assert len(texts) == 40
    assert sum("all 32 check threads of the process are busy" in text for text in texts) >= 8
    release.set()


def test_raising_check_becomes_error_naming_exception_without_traceback(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception becomes an Error naming its type; the traceback goes to the log only."""

    def explodes() -> list[CheckMessage]:
        raise KeyError("missing-setting")

    with caplog.at_level(logging.DEBUG, logger="dockerflow.checks"):
        results = runner.run({"explodes": explodes})
    messages = results.details["explodes"]["messages"]
    assert list(messages) == [health.ERROR_CHECK_EXCEPTION]
    assert "KeyError" in messages[health.ERROR_CHECK_EXCEPTION]
    assert "Traceback" not in messages[health.ERROR_CHECK_EXCEPTION]
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info[0] is KeyError  # type: ignore[index]


def test_exception_text_has_passwords_masked(runner: Heartbeat) -> None:
    """A URL with a password in an exception's text is masked in the message."""

    def leaks() -> list[CheckMessage]:
        raise RuntimeError("cannot reach postgresql://app:hunter2@10.0.0.1/db")

    text = runner.run({"leaks": leaks}).details["leaks"]["messages"][health.ERROR_CHECK_EXCEPTION]
    assert "hunter2" not in text
    assert "postgresql://app:***@10.0.0.1/db" in text


def _formatted_log(caplog: pytest.LogCaptureFixture) -> str:
    """The failing check's record as a formatter writes it, and its exception's repr."""
    (record,) = [r for r in caplog.records if r.exc_info]
    return logging.Formatter().format(record) + "\n" + repr(record.exc_info[1])  # type: ignore[index]


def test_logged_traceback_has_passwords_masked(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """The log record of a check whose exception holds a password shows it masked, frames kept."""

    # Built apart from the raising line, which the traceback prints as source.
    url = "postgresql://app:" + "hunter2" + "@10.0.0.1/db"

    def leaks_password() -> list[CheckMessage]:
        raise RuntimeError(f"cannot reach {url}")

    with caplog.at_level(logging.ERROR, logger="dockerflow.checks"):
        runner.run({"leaks": leaks_password})
    logged = _formatted_log(caplog)

    assert "hunter2" not in logged
    assert "postgresql://app:***@10.0.0.1/db" in logged
    assert "builtins.RuntimeError" in logged
    assert "leaks_password" in logged  # the check's own frame


def test_logged_traceback_masks_the_exception_chain(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """A password only in the chained cause (as drivers raise them) stays out of the log too."""

    secret = "hunter2"

    def wraps_driver_error() -> list[CheckMessage]:
        try:
            raise ConnectionError(f"connect failed: host=db password={secret}")
        except ConnectionError as exc:
            raise RuntimeError("database unavailable") from exc

    with caplog.at_level(logging.ERROR, logger="dockerflow.checks"):
        runner.run({"chained": wraps_driver_error})
    logged = _formatted_log(caplog)

    assert "hunter2" not in logged
    assert "database unavailable" in logged


def test_logged_exception_masks_a_password_only_in_its_repr(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception whose str() is clean but whose repr() (its args) holds a password is masked."""
    secret = "hunter2"

    class DriverError(Exception):
        def __str__(self) -> str:
            return "cannot connect"

    def raises_driver_error() -> list[CheckMessage]:
        raise DriverError(f"postgres://u:{secret}@127.0.0.1/db")

    with caplog.at_level(logging.ERROR, logger="dockerflow.checks"):
        runner.run({"driver": raises_driver_error})

    assert "hunter2" not in _formatted_log(caplog)


def test_logged_exception_without_password_keeps_its_type(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """A password= in a frame's source line, not in the exception, leaves the exception as it is."""

    def connect(password: str) -> None:
        raise TimeoutError("no answer")

    def times_out() -> list[CheckMessage]:
        connect(password="from-settings")
        return []

    with caplog.at_level(logging.ERROR, logger="dockerflow.checks"):
        runner.run({"times_out": times_out})

    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is TimeoutError  # type: ignore[index]


@pytest.mark.parametrize(
    ("returned", "described"),
    [("ok", "a str"), (Error("x"), "a Error"), ([Error("x"), "y"], "a list holding a str")],
)
def test_non_list_result_becomes_error(runner: Heartbeat, returned: Any, described: str) -> None:
    """A check returning anything but a list of messages is an Error saying what it returned."""
    results = runner.run({"odd": lambda: returned})
    text = results.details["odd"]["messages"][health.ERROR_CHECK_INVALID_RESULT]
    assert described in text


def test_none_result_counts_as_no_message(runner: Heartbeat) -> None:
    """A check that returns None passed (documented)."""
    assert runner.run({"silent": lambda: None}).statuses == {"silent": "ok"}


def test_tuple_result_is_accepted(runner: Heartbeat) -> None:
    """A tuple of messages counts like a list."""
    assert runner.run({"t": lambda: (Info("i"),)}).statuses == {"t": "info"}


def test_async_checks_run_in_the_sync_runner(runner: Heartbeat) -> None:
    """Coroutine checks run too, concurrently: five of them meet at one barrier."""
    barrier = threading.Barrier(5)

    async def async_check() -> list[CheckMessage]:
        barrier.wait(timeout=5)  # each runs on its own thread and loop
        return [Warning("async warning", id="a.W1")]

    checks = {f"a{i}": async_check for i in range(5)}
    results = runner.run(checks)
    assert results.details["a0"]["messages"] == {"a.W1": "async warning"}
    assert set(results.statuses.values()) == {"warning"}


def test_hanging_async_check_times_out_and_is_cancelled() -> None:
    """An async check past the timeout is an Error, and its coroutine is cancelled."""
    runner = Heartbeat(timeout=0.3)
    cancelled = threading.Event()

    async def hangs() -> list[CheckMessage]:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return []

    results = runner.run({"hangs": hangs})
    assert health.ERROR_CHECK_TIMEOUT in results.details["hangs"]["messages"]
    assert cancelled.wait(10)


def test_run_async_runs_coroutines_on_the_calling_loop() -> None:
    """run_async awaits coroutine checks on the caller's loop and sync ones on threads."""
    runner = Heartbeat(timeout=0.5)
    seen_loops = []

    async def on_loop() -> list[CheckMessage]:
        seen_loops.append(asyncio.get_running_loop())
        return [Info("hello")]

    async def main() -> Any:
        results = await runner.run_async(
            {"on_loop": on_loop, "sync": lambda: [Error("e")], "slow": sleeper(5)}
        )
        return results, asyncio.get_running_loop()

    results, loop = asyncio.run(main())
    assert seen_loops == [loop]
    assert results.statuses == {"on_loop": "info", "sync": "error", "slow": "error"}


def test_module_run_checks_and_run_checks_async() -> None:
    """The module-level functions run checks with the given timeout."""
    checks = [("fine", list), ("bad", lambda: [Critical("c", id="c1")])]
    results = run_checks(checks, silenced_check_ids=None, timeout=1.0)
    assert results.statuses == {"fine": "ok", "bad": "critical"}
    awaited = asyncio.run(run_checks_async(checks, timeout=1.0))
    assert (awaited.details, awaited.statuses, awaited.level) == (
        results.details,
        results.statuses,
        results.level,
    )


def test_silenced_ids_are_dropped_and_not_logged(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """A silenced id leaves no trace in the results nor in the log, at any level."""
    checks = {"mixed": lambda: [Error("hushed", id="x.E1"), Warning("kept", id="x.W1")]}
    with caplog.at_level(logging.DEBUG, logger="dockerflow.checks"):
        results = runner.run(checks, silenced_check_ids=["x.E1"])
    assert results.statuses == {"mixed": "warning"}
    assert results.details["mixed"]["messages"] == {"x.W1": "kept"}
    assert not [r for r in caplog.records if "hushed" in r.getMessage()]
    assert [r.getMessage() for r in caplog.records] == ["x.W1: kept"]


def test_each_message_is_logged_once_at_its_level_as_id_colon_msg(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """Every kept message is logged once, at its level, on dockerflow.checks.registry.

    The text is python-dockerflow's ``"<id>: <msg>"``, ``"None: <msg>"`` without an id.
    """
    checks = {
        "one": lambda: [Info("i-msg", id="i"), Error("e-msg", id="e")],
        "two": lambda: [Critical("c-msg"), Warning("w-msg")],
    }
    with caplog.at_level(logging.DEBUG, logger="dockerflow.checks"):
        runner.run(checks)
    caplog.records[:] = [r for r in caplog.records if r.name != "dockerflow.heartbeat"]
    logged = {
        text: [r.levelno for r in caplog.records if text in r.getMessage()]
        for text in ("i-msg", "e-msg", "c-msg", "w-msg")
    }
    assert logged == {
        "i-msg": [logging.INFO],
        "e-msg": [logging.ERROR],
        "c-msg": [logging.CRITICAL],
        "w-msg": [logging.WARNING],
    }
    assert {r.name for r in caplog.records} == {"dockerflow.checks.registry"}
    assert sorted(r.getMessage() for r in caplog.records) == [
        "None: c-msg",
        "None: w-msg",
        "e: e-msg",
        "i: i-msg",
    ]
    assert {r.check for r in caplog.records} == {"one", "two"}  # type: ignore[attr-defined]


def test_messages_without_id_or_with_same_id_do_not_collide(runner: Heartbeat) -> None:
    """Id-less messages are keyed by the check name, repeats get #2, #3."""
    checks = {
        "disk": lambda: [
            Warning("first"),
            Warning("second"),
            Error("a", id="x.E1"),
            Error("b", id="x.E1"),
        ]
    }
    assert runner.run(checks).details["disk"]["messages"] == {
        "disk": "first",
        "disk#2": "second",
        "x.E1": "a",
        "x.E1#2": "b",
    }


def test_details_entries_are_exactly_status_level_and_messages(runner: Heartbeat) -> None:
    """python-dockerflow's shape, which services compare whole: a hint adds no key."""
    checks = {"db": lambda: [Warning("old", id="db.W1", hint="run migrations"), Info("x")]}
    assert runner.run(checks).details == {
        "db": {"status": "warning", "level": 30, "messages": {"db.W1": "old", "db": "x"}}
    }


def test_runner_rejects_non_positive_timeout() -> None:
    """A timeout of 0 or less would report everything as timed out: ValueError."""
    with pytest.raises(ValueError):
        Heartbeat(timeout=0)


def test_three_hundred_runners_share_one_bounded_pool_of_threads() -> None:
    """300 runners (300 apps) each running checks leave at most 32 check threads alive."""
    before = threading.active_count()
    runners = [Heartbeat(timeout=2) for _ in range(300)]
    for runner in runners:
        assert runner.run({"a": list, "b": lambda: None}).level == 0
    assert len(shared_pool()._threads) <= DEFAULT_MAX_WORKERS
    assert threading.active_count() - before <= DEFAULT_MAX_WORKERS


request_id: contextvars.ContextVar[str] = contextvars.ContextVar("test_request_id", default="-")


def test_each_check_runs_in_a_copy_of_the_callers_context(runner: Heartbeat) -> None:
    """A check sees the caller's context variables; what it sets stays in its own copy."""
    seen: list[str] = []

    def reads_and_sets() -> list[CheckMessage]:
        seen.append(request_id.get())
        request_id.set("changed by the check")
        return []

    async def reads_async() -> list[CheckMessage]:
        seen.append(request_id.get())
        return []

    token = request_id.set("rid-42")
    try:
        runner.run({"sync": reads_and_sets, "async": reads_async})
        assert request_id.get() == "rid-42"
    finally:
        request_id.reset(token)
    assert seen == ["rid-42", "rid-42"]


def test_check_logs_carry_the_callers_request_id(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """Records logged on a check thread pass RequestIdLogFilter with the caller's id."""
    from dockerflow.logging import RequestIdLogFilter, request_id_context

    def logs() -> list[CheckMessage]:
        logging.getLogger("test.check").warning("from the check")
        return []

    # pytest keeps one caplog handler for the session: the filter must go again.
    rid_filter = RequestIdLogFilter()
    caplog.handler.addFilter(rid_filter)
    token = request_id_context.set("caller-rid")
    try:
        with caplog.at_level(logging.WARNING):
            runner.run({"logs": logs})
    finally:
        request_id_context.reset(token)
        caplog.handler.removeFilter(rid_filter)
    (record,) = [r for r in caplog.records if r.name == "test.check"]
    assert record.rid == "caller-rid"  # type: ignore[attr-defined]


class AsyncCallable:
    async def __call__(self) -> list[CheckMessage]:
        return [Info("from __call__", id="c.I1")]


async def _async_function() -> None:
    return None


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (_async_function, True),
        (functools.partial(_async_function), True),
        (AsyncCallable(), True),
        (functools.partial(AsyncCallable()), True),
        (AsyncCallable, False),  # calling the class makes an object, not a coroutine
        (list, False),
        (lambda: None, False),
    ],
)
def test_is_async_check(check: Any, expected: bool) -> None:
    """async def functions, their partials and objects with async __call__ are async checks."""
    assert is_async_check(check) is expected


def test_run_async_runs_an_async_callable_object_on_the_calling_loop(runner: Heartbeat) -> None:
    """An object with ``async def __call__`` runs on the caller's loop, like an async function."""
    results = asyncio.run(runner.run_async({"obj": AsyncCallable()}))
    assert results.details["obj"]["messages"] == {"c.I1": "from __call__"}


def test_run_async_reports_a_check_that_raises_cancelled_error(runner: Heartbeat) -> None:
    """A coroutine check raising CancelledError itself is reported as raising it, not as late."""

    async def cancels_itself() -> list[CheckMessage]:
        raise asyncio.CancelledError

    results = asyncio.run(runner.run_async({"c": cancels_itself, "fine": list}))
    assert results.statuses == {"c": "error", "fine": "ok"}
    text = results.details["c"]["messages"][health.ERROR_CHECK_EXCEPTION]
    assert "CancelledError" in text


@pytest.mark.parametrize(
    "exception", [SystemExit(2), KeyboardInterrupt(), asyncio.CancelledError()], ids=repr
)
def test_base_exception_of_a_check_is_its_error_and_the_process_goes_on(
    runner: Heartbeat, exception: BaseException
) -> None:
    """SystemExit, KeyboardInterrupt and CancelledError from a check are its error, no more."""

    def raises() -> list[CheckMessage]:
        raise exception

    async def raises_async() -> list[CheckMessage]:
        raise exception

    results = runner.run({"sync": raises, "async": raises_async, "fine": list})
    assert results.statuses == {"sync": "error", "async": "error", "fine": "ok"}
    for name in ("sync", "async"):
        text = results.details[name]["messages"][health.ERROR_CHECK_EXCEPTION]
        assert type(exception).__name__ in text


def test_exception_whose_str_raises_is_reported(runner: Heartbeat) -> None:
    """An exception whose __str__ raises is still reported, by its type."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise ValueError("no")

    def raises() -> list[CheckMessage]:
        raise Unprintable

    text = runner.run({"u": raises}).details["u"]["messages"][health.ERROR_CHECK_EXCEPTION]
    assert "Unprintable" in text


@pytest.mark.parametrize(
    ("msg", "shown"),
    [
        (ValueError("boom"), "boom"),
        ({"b", "a"}, None),
        (float("nan"), "nan"),
        ({1: "x", "y": 2}, None),  # keys JSON could not sort
        ({"kept": [1, 2.5, None]}, {"kept": [1, 2.5, None]}),
    ],
    ids=["exception", "set", "nan", "mixed-keys", "json"],
)
def test_message_json_cannot_hold_becomes_its_str(runner: Heartbeat, msg: Any, shown: Any) -> None:
    """A msg JSON cannot hold as it is becomes str(msg); a JSON value stays as it is."""
    messages = runner.run({"m": lambda: [Error(msg, id="m.E1")]}).details["m"]["messages"]
    assert messages == {"m.E1": str(msg) if shown is None else shown}
    json.dumps(messages, allow_nan=False, sort_keys=True)


def test_check_that_raised_keeps_its_chain_masked_on_its_record(
    runner: Heartbeat, caplog: pytest.LogCaptureFixture
) -> None:
    """The logged chain keeps every link (cause and context), each with its password masked."""
    secret = "hunter" + "2"

    def chained() -> list[CheckMessage]:
        try:
            try:
                raise OSError(f"dsn postgresql://u:{secret}@db/x")
            except OSError:
                raise LookupError(f"retry failed: password={secret}")  # noqa: B904 - implicit context
        except LookupError as exc:
            raise RuntimeError("database unavailable") from exc

    with caplog.at_level(logging.ERROR):
        runner.run({"chained": chained})
    logged = _formatted_log(caplog)
    assert secret not in logged
    assert "postgresql://u:***@db/x" in logged
    assert "password=***" in logged
    assert "builtins.OSError" in logged
    assert "builtins.LookupError" in logged
    assert "builtins.RuntimeError: database unavailable" in logged
    assert "The above exception was the direct cause of the following exception" in logged
    assert "During handling of the above exception, another exception occurred" in logged


def test_two_callers_checks_of_the_same_name_never_share_an_outcome() -> None:
    """run_checks from two threads at once, each with its own "db": each gets its own status."""
    both_started = threading.Barrier(2, timeout=30)

    def slow_ok() -> list[Any]:
        both_started.wait()
        return []

    def failing() -> list[Any]:
        both_started.wait()
        return [Error("down", id="db.E001")]

    results: dict[str, Any] = {}

    def run(label: str, check: Any) -> None:
        results[label] = run_checks({"db": check}).statuses["db"]

    callers = (("ok", slow_ok), ("error", failing))
    threads = [threading.Thread(target=run, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results == {"ok": "ok", "error": "error"}


@pytest.mark.parametrize("cache_ttl", [-1.0, float("nan")])
def test_a_cache_ttl_that_is_not_seconds_is_refused(cache_ttl: float) -> None:
    with pytest.raises(ValueError, match="cache_ttl"):
        Heartbeat(3.0, cache_ttl)
