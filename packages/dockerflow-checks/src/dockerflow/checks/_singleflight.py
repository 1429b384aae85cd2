"""Short-lived result caching where concurrent callers share one computation."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Callable, Generic, TypeVar

__all__ = ["SingleFlightCache"]

V = TypeVar("V")


class _Flight(Generic[V]):
    __slots__ = ("done", "error", "expires", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: V | None = None
        self.error: BaseException | None = None
        self.expires = 0.0


class SingleFlightCache(Generic[V]):
    """Compute a value once per key for everyone asking meanwhile, keep it ``ttl`` s.

    The first caller of a key computes; callers arriving while it runs wait for
    and share its result; callers within ``ttl`` seconds after it finished get
    the same result. An exception is shared with the waiters and not cached.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._flights: dict[Hashable, _Flight[V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The fresh value of ``key``, computing it with ``compute`` when needed."""
        with self._lock:
            now = self._clock()
            self._drop_expired(now)
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        try:
            flight.value = compute()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                self._flights.pop(key, None)
            raise
        finally:
            flight.expires = self._clock() + self.ttl
            flight.done.set()
        return flight.value

    def _drop_expired(self, now: float) -> None:
        expired = [k for k, f in self._flights.items() if f.done.is_set() and f.expires <= now]
        for key in expired:
            del self._flights[key]
