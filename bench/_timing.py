"""Tiny timing helpers shared by the benchmarks (works in any environment).

``per_call_us(func, arg, iterations)`` times ``func(arg)`` in a tight loop with
the garbage collector off and returns microseconds per call;
``median_of(values)`` is ``statistics.median``. Import it from a script in
``bench/`` as ``from _timing import per_call_us`` (the script's directory is on
``sys.path``).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Iterable
from typing import Any, Callable


def per_call_us(func: Callable[[Any], Any], arg: Any, iterations: int) -> float:
    """Microseconds per ``func(arg)`` call, averaged over ``iterations`` calls."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(iterations):
            func(arg)
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / iterations * 1e6


def median_of(values: Iterable[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)
