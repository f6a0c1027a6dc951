"""An async token bucket that spaces out requests to one remote API (pure, injectable clock)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_EPSILON = 1e-9


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; one token per request.

    `try_acquire` is the whole policy and does no I/O, so it is unit-tested with a fake
    clock. `acquire` waits for a token; waiters are served first come, first served
    because they queue on a lock (a burst of 50 poster-grid requests must not starve the
    one a person is waiting for behind later arrivals).

    `pause(seconds)` empties the bucket and blocks it: after a 429 every request shares
    the penalty, not only the one that got the answer.
    """

    def __init__(self, rate: float, burst: float | None = None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else 1.0
        if self.burst < 1.0:
            raise ValueError("burst must allow at least one request")
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._blocked_until = 0.0
        self._lock: asyncio.Lock | None = None

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds to wait."""
        now = self._clock()
        if now < self._blocked_until:
            return self._blocked_until - now
        self._refill(now)
        # The epsilon absorbs float rounding: 0.05 s * 20/s can come out as 0.9999999,
        # and a wait of 1e-16 s added to a large clock value never moves it.
        if self._tokens >= 1.0 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1.0)
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def pause(self, seconds: float) -> None:
        """Hand out nothing for `seconds` (a server asked us to back off), then start empty."""
        now = self._clock()
        until = now + max(0.0, seconds)
        if until > self._blocked_until:
            self._blocked_until = until
        self._tokens = 0.0
        self._updated = max(self._updated, until)

    async def acquire(self) -> None:
        # The lock is created lazily so the bucket can be built outside a running loop.
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                wait = self.try_acquire()
                if wait <= 0.0:
                    return
                await self._sleep(wait)
