"""Time for background jobs: the real loop clock, or a manual one tests move by hand.

The scheduler asks a Clock for "now" (wall time, for the Activity screen and the stored
last runs) and to wait "until this many seconds pass or the event is set". A ManualClock
answers both from a number that only `advance()` changes, so a test can check that a job
on a 2 s interval runs exactly at 2, 4, 6 s without sleeping for six seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        """Wait for `event` or `timeout` seconds; True when the event was set."""
        ...


class LoopClock:
    """The real clock: wall time now, asyncio timers for waiting."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
            return True
        return event.is_set()


class ManualClock:
    """A clock that stands still until advance(); waiters wake in deadline order."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    @property
    def elapsed(self) -> float:
        """Seconds advanced since the clock was made."""
        return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    async def wait(self, event: asyncio.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._elapsed + timeout, fut)
        self._sleepers.append(entry)
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({fut, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if entry in self._sleepers:
                self._sleepers.remove(entry)
        return event.is_set()

    async def advance(self, seconds: float, step: float = 0.05) -> None:
        """Move time forward in small steps, letting woken jobs run between steps."""
        target = self._elapsed + seconds
        await self._settle()  # what is due now runs at now, not one step later
        while self._elapsed < target - 1e-9:
            self._elapsed = min(target, self._elapsed + step)
            for deadline, fut in list(self._sleepers):
                if deadline <= self._elapsed + 1e-9 and not fut.done():
                    fut.set_result(None)
            await self._settle()

    @staticmethod
    async def _settle() -> None:
        # Several loop turns: a woken job runs, finishes, and goes back to waiting.
        for _ in range(8):
            await asyncio.sleep(0)
