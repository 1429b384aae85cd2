"""Running work elsewhere (a thread, an executor) in the context of the code that hands it over."""

from __future__ import annotations

import contextvars
import functools
from typing import Any, Callable, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def in_current_context(func: F) -> F:
    """Return ``func`` wrapped to run in a copy of the current context, wherever it is called.

    Call it where the work is handed over, during the request: the request's
    id (:data:`request_id_context`) and trace (:data:`trace_context`), and
    every other context variable, are then set while ``func`` runs in a
    thread or an executor, so the lines it logs carry ``rid`` and the trace::

        executor.submit(in_current_context(send_receipt), order_id)
        threading.Thread(target=in_current_context(reindex)).start()

    Each call runs in its own copy of that context, so the wrapper may be
    called many times, concurrently (``executor.map``), and what ``func``
    sets in context variables stays in its call.
    """
    context = contextvars.copy_context()

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        return context.copy().run(func, *args, **kwargs)

    return cast(F, run)
