"""Token bucket policy with a fake clock: rate, burst, pause after a 429, FIFO waiting."""

import asyncio

import pytest

from miauflix_desktop.services.catalog.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_burst_then_steady_rate():
    clock = FakeClock()
    bucket = TokenBucket(10, burst=3, clock=clock)
    assert [bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(0.1)


def test_tokens_never_exceed_burst():
    clock = FakeClock()
    bucket = TokenBucket(5, burst=2, clock=clock)
    clock.now += 3600
    assert [bucket.try_acquire() for _ in range(2)] == [0.0, 0.0]
    assert bucket.try_acquire() > 0


def test_a_waiting_caller_takes_nothing():
    clock = FakeClock()
    bucket = TokenBucket(4, burst=1, clock=clock)
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(0.25)
    clock.now += 0.1
    assert bucket.try_acquire() == pytest.approx(0.15)  # the refusal did not spend anything


def test_pause_blocks_then_starts_empty():
    clock = FakeClock()
    bucket = TokenBucket(10, burst=5, clock=clock)
    bucket.pause(2.0)
    assert bucket.try_acquire() == pytest.approx(2.0)
    clock.now += 2.0
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.try_acquire() == 0.0


def test_shorter_pause_does_not_shorten_a_longer_one():
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock)
    bucket.pause(5.0)
    bucket.pause(1.0)
    assert bucket.try_acquire() == pytest.approx(5.0)


def test_bad_parameters():
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(1, burst=0.5)


async def test_acquire_spaces_n_requests_by_n_over_rate():
    clock = FakeClock()
    bucket = TokenBucket(20, burst=1, clock=clock, sleep=clock.sleep)
    start = clock.now
    await asyncio.gather(*(bucket.acquire() for _ in range(11)))
    assert clock.now - start == pytest.approx(10 / 20)


async def test_waiters_are_served_in_arrival_order():
    clock = FakeClock()
    bucket = TokenBucket(10, burst=1, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def one(i: int) -> None:
        await bucket.acquire()
        order.append(i)

    await asyncio.gather(*(one(i) for i in range(6)))
    assert order == list(range(6))
