"""SharedOpens: one in-flight "open this source" per key, shared by every caller.

Opening a source (adding its torrent, waiting for its metadata) can take seconds, or
forever for a magnet nobody seeds. It must never run under a lock that the stream
route also takes (one dead magnet would block every stream), yet two callers asking for
the same source at once must not add it twice. So the first caller starts the work as
a task and later callers await the same task. A caller that gives up (its own timeout,
or it was cancelled) only stops waiting; the work is cancelled when the last waiter
has gone, so a magnet nobody waits for any more does not keep a task alive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Flight(Generic[V]):
    def __init__(self, task: asyncio.Task[V]) -> None:
        self.task = task
        self.waiters = 0


class SharedOpens(Generic[K, V]):
    """Runs ``work()`` once per key while anyone waits for it (see the module doc)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._flights: dict[K, _Flight[V]] = {}

    def running(self, key: K) -> bool:
        """True while someone still waits for ``key``'s work."""
        return key in self._flights

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        flight = self._flights.get(key)
        if flight is None:
            async def _work() -> V:
                return await work()

            flight = _Flight(asyncio.get_running_loop().create_task(
                _work(), name=f"{self._name}-{key}"))
            self._flights[key] = flight
        flight.waiters += 1
        try:
            # shield: this waiter's cancellation (its timeout) must not cancel the work
            # the others still wait for.
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters <= 0 and self._flights.get(key) is flight:
                del self._flights[key]
                if not flight.task.done():
                    flight.task.cancel()
                else:
                    # Nobody else will read a failure: mark it retrieved (no warning).
                    _ = flight.task.cancelled() or flight.task.exception()

    def cancel_all(self) -> None:
        for flight in self._flights.values():
            flight.task.cancel()
        self._flights.clear()


__all__ = ["SharedOpens"]
