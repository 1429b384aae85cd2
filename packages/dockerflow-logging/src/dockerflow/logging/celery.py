"""The request's id and trace in Celery tasks (opt-in: only this module imports Celery).

Call :func:`connect` once in the module that builds your Celery app, the one
both the web service and the worker import::

    from celery import Celery
    from dockerflow.logging import celery as dockerflow_celery

    app = Celery("myservice", broker=...)
    dockerflow_celery.connect()

Then:

- a task sent while a request is handled carries the request's id and trace
  in its message headers (``dockerflow_request_id``, ``dockerflow_traceparent``);
  a task sent outside a request carries a new id of its own, and a task sent
  from a task carries that task's id;
- the worker sets them in :data:`~dockerflow.logging.request_id_context` and
  :data:`~dockerflow.logging.trace_context` while the task runs, so with
  :class:`~dockerflow.logging.RequestIdLogFilter` on the worker's handler
  every line the task logs (Celery's own "succeeded" line included) has
  ``rid`` and the trace.

A header passed with ``apply_async(headers=...)`` is kept. A task run
eagerly (``task.apply()``, ``task_always_eager``) already runs in the caller's
context and is left alone.
"""

from __future__ import annotations

from typing import Any

from celery import signals  # type: ignore[import-not-found, import-untyped, unused-ignore]

from ._request_id import new_request_id, request_id_context, request_id_from
from ._trace_context import parse_traceparent, trace_context

__all__ = ["REQUEST_ID_HEADER", "TRACEPARENT_HEADER", "connect", "disconnect"]

#: The message header holding the request id.
REQUEST_ID_HEADER = "dockerflow_request_id"
#: The message header holding the trace, as a W3C ``traceparent`` value.
TRACEPARENT_HEADER = "dockerflow_traceparent"
# Where a running task keeps the tokens that reset the two variables.
_TOKENS = "dockerflow_context_tokens"


def connect() -> None:
    """Connect the three signal receivers; calling it again does nothing."""
    signals.before_task_publish.connect(_add_headers, weak=False, dispatch_uid=_add_headers)
    signals.task_prerun.connect(_enter_task, weak=False, dispatch_uid=_enter_task)
    signals.task_postrun.connect(_leave_task, weak=False, dispatch_uid=_leave_task)


def disconnect() -> None:
    """Undo :func:`connect`."""
    signals.before_task_publish.disconnect(dispatch_uid=_add_headers)
    signals.task_prerun.disconnect(dispatch_uid=_enter_task)
    signals.task_postrun.disconnect(dispatch_uid=_leave_task)


def _add_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    headers.setdefault(REQUEST_ID_HEADER, request_id_context.get() or new_request_id())
    trace = trace_context.get()
    if trace is not None:
        flags = "01" if trace.sampled else "00"
        headers.setdefault(TRACEPARENT_HEADER, f"00-{trace.trace_id}-{trace.span_id}-{flags}")


def _enter_task(task: Any = None, **kwargs: Any) -> None:
    request = task.request
    if request.is_eager:
        return
    request_id = request_id_from(request.get(REQUEST_ID_HEADER))
    traceparent = request.get(TRACEPARENT_HEADER)
    trace = parse_traceparent(traceparent) if isinstance(traceparent, str) else None
    tokens = request_id_context.set(request_id), trace_context.set(trace)
    setattr(request, _TOKENS, tokens)


def _leave_task(task: Any = None, **kwargs: Any) -> None:
    tokens = task.request.get(_TOKENS)
    if tokens is not None:
        request_id_token, trace_token = tokens
        trace_context.reset(trace_token)
        request_id_context.reset(request_id_token)
