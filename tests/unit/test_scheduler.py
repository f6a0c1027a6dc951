"""Scheduler: intervals, triggers, no overlap, retries with backoff, restart continues, stop."""

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta

import pytest

from miauflix_desktop.services.scheduler import Job, MemoryStateStore, Scheduler


class Recorder:
    """A job that records when it ran and can be told to fail or to take time."""

    def __init__(self, duration: float = 0.0, fail_times: int = 0) -> None:
        self.runs: list[float] = []
        self.duration = duration
        self.fail_times = fail_times
        self.active = 0
        self.max_active = 0

    async def __call__(self) -> None:
        self.runs.append(time.monotonic())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.duration:
                await asyncio.sleep(self.duration)
            if self.fail_times > 0:
                self.fail_times -= 1
                raise RuntimeError("TMDB unreachable")
        finally:
            self.active -= 1


async def wait_until(predicate, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def test_runs_on_its_interval():
    job = Recorder()
    sched = Scheduler([Job("lists", job, interval_s=0.05)])
    await sched.start()
    try:
        await wait_until(lambda: len(job.runs) >= 4)
    finally:
        await sched.stop()
    gaps = [b - a for a, b in zip(job.runs, job.runs[1:], strict=False)]
    assert all(g >= 0.045 for g in gaps), gaps


async def test_initial_delay_and_trigger():
    job = Recorder()
    sched = Scheduler([Job("sync", job, interval_s=100, initial_delay_s=100)])
    await sched.start()
    try:
        await asyncio.sleep(0.05)
        assert job.runs == []
        assert sched.status("sync").next_run is not None
        sched.trigger("sync")
        await wait_until(lambda: len(job.runs) == 1)
        await asyncio.sleep(0.05)
        assert len(job.runs) == 1  # back to its 100 s interval
        with pytest.raises(KeyError):
            sched.trigger("nope")
    finally:
        await sched.stop()


async def test_run_now_waits_for_the_run_and_raises_its_error():
    job = Recorder(fail_times=1)
    sched = Scheduler([Job("sync", job, interval_s=100, initial_delay_s=100, retry_base_s=100)])
    await sched.start()
    try:
        with pytest.raises(RuntimeError, match="unreachable"):
            await sched.run_now("sync")
        await sched.run_now("sync")
        assert len(job.runs) == 2
        assert sched.status("sync").last_error is None
    finally:
        await sched.stop()


async def test_never_two_runs_at_once_and_triggers_during_a_run_coalesce():
    job = Recorder(duration=0.1)
    sched = Scheduler([Job("seasons", job, interval_s=100)])
    await sched.start()
    try:
        await wait_until(lambda: job.active == 1)
        for _ in range(5):
            sched.trigger("seasons")
            await asyncio.sleep(0.01)
        assert sched.status("seasons").running
        await wait_until(lambda: len(job.runs) == 2)
        await wait_until(lambda: job.active == 0)
        await asyncio.sleep(0.15)
    finally:
        await sched.stop()
    assert job.max_active == 1
    assert len(job.runs) == 2  # five triggers during one run -> exactly one more run


async def test_failing_job_is_retried_with_growing_backoff_and_reported():
    job = Recorder(fail_times=3)
    events: list[tuple[str, str]] = []
    sched = Scheduler(
        [Job("movies", job, interval_s=10, retry_base_s=0.04)],
        on_job_ok=lambda name: events.append(("ok", name)),
        on_job_error=lambda name, exc: events.append(("error", str(exc))),
    )
    await sched.start()
    try:
        await wait_until(lambda: len(job.runs) == 4)
        await wait_until(lambda: ("ok", "movies") in events)
    finally:
        await sched.stop()
    assert events == [("error", "TMDB unreachable")] * 3 + [("ok", "movies")]
    gaps = [b - a for a, b in zip(job.runs, job.runs[1:], strict=False)]
    assert gaps[0] >= 0.035 and gaps[1] >= 0.075 and gaps[2] >= 0.155, gaps  # 40, 80, 160 ms
    assert sched.status("movies").consecutive_failures == 0


async def test_backoff_is_capped_at_the_interval():
    job = Recorder(fail_times=100)
    sched = Scheduler([Job("tv", job, interval_s=0.05, retry_base_s=10)])
    await sched.start()
    try:
        await wait_until(lambda: len(job.runs) >= 3)
    finally:
        await sched.stop()
    assert sched.status("tv").consecutive_failures >= 3


async def test_a_failing_status_callback_does_not_stop_the_job():
    job = Recorder()

    def broken(name: str) -> None:
        raise ValueError("banner exploded")

    sched = Scheduler([Job("lists", job, interval_s=0.03)], on_job_ok=broken)
    await sched.start()
    try:
        await wait_until(lambda: len(job.runs) >= 3)
    finally:
        await sched.stop()


async def test_last_run_recorded_only_on_success():
    store = MemoryStateStore()
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    job = Recorder(fail_times=1)
    sched = Scheduler([Job("lists", job, interval_s=100, retry_base_s=100)], store,
                      now=lambda: now)
    await sched.start()
    try:
        with pytest.raises(RuntimeError):
            await sched.run_now("lists")
        assert store.get_last_run("lists") is None
        await sched.run_now("lists")
        assert store.get_last_run("lists") == now
        assert sched.status("lists").last_run == now
    finally:
        await sched.stop()


@pytest.mark.parametrize(("ago", "runs_at_once"), [(30, False), (200, True), (-50, False)])
async def test_restart_continues_from_the_stored_last_run(ago, runs_at_once):
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    store = MemoryStateStore()
    # Databases often hand back naive UTC datetimes; the scheduler must cope.
    store.set_last_run("lists", (now - timedelta(seconds=ago)).replace(tzinfo=None))
    job = Recorder()
    sched = Scheduler([Job("lists", job, interval_s=100)], store, now=lambda: now)
    await sched.start()
    try:
        if runs_at_once:
            await wait_until(lambda: len(job.runs) == 1)
        else:
            await asyncio.sleep(0.1)
            assert job.runs == []
            next_run = sched.status("lists").next_run
            # 30 s ago -> 70 s left; a last run "in the future" counts as just now.
            expected = 70 if ago == 30 else 100
            assert next_run == now + timedelta(seconds=expected)
    finally:
        await sched.stop()


async def test_stop_cancels_a_running_job_promptly():
    job = Recorder(duration=60)
    sched = Scheduler([Job("slow", job, interval_s=100)])
    await sched.start()
    await wait_until(lambda: job.active == 1)
    t0 = time.monotonic()
    await sched.stop()
    assert time.monotonic() - t0 < 0.5
    assert job.active == 0


async def test_stop_gives_up_on_a_job_that_ignores_cancellation():
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                if release.is_set():
                    raise
                continue  # misbehaving job: swallows the cancel

    sched = Scheduler([Job("stubborn", stubborn, interval_s=100)], stop_timeout_s=0.2)
    await sched.start()
    await asyncio.sleep(0.02)
    t0 = time.monotonic()
    await sched.stop()
    assert time.monotonic() - t0 < 0.5
    # Clean up the task stop() gave up on, so the test loop can close.
    release.set()
    task = next(t for t in asyncio.all_tasks() if t.get_name() == "job:stubborn")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_jobs_added_after_start_run_and_names_are_unique():
    sched = Scheduler()
    await sched.start()
    job = Recorder()
    try:
        sched.add(Job("late", job, interval_s=100))
        await wait_until(lambda: len(job.runs) == 1)
        with pytest.raises(ValueError):
            sched.add(Job("late", job, interval_s=100))
        with pytest.raises(ValueError):
            sched.add(Job("zero", job, interval_s=0))
        assert sched.job_names == ["late"]
    finally:
        await sched.stop()


# -- a controllable clock: the seed's intervals without waiting for them ---------------

from miauflix_desktop.services.clock import ManualClock  # noqa: E402


async def test_manual_clock_runs_jobs_exactly_on_their_intervals():
    clock = ManualClock()
    seen: dict[str, list[float]] = {"stats": [], "search": []}

    def job(name: str):
        async def run() -> int:
            seen[name].append(round(clock.elapsed, 2))
            return 3
        return run

    sched = Scheduler([Job("stats", job("stats"), interval_s=2.0),
                       Job("search", job("search"), interval_s=0.5, initial_delay_s=0.25)],
                      clock=clock)
    await sched.start()
    try:
        await clock.advance(6.0, step=0.05)
    finally:
        await sched.stop()
    assert seen["stats"] == [0.0, 2.0, 4.0, 6.0]
    assert seen["search"] == [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.25, 4.75,
                              5.25, 5.75]
    status = sched.status("stats")
    assert (status.runs, status.items_last, status.items_total) == (4, 3, 12)
    assert status.interval_s == 2.0


async def test_fast_jobs_back_off_up_to_their_cap_and_are_not_persisted():
    clock = ManualClock()
    store = MemoryStateStore()
    runs: list[float] = []

    async def failing() -> None:
        runs.append(round(clock.elapsed, 2))
        raise RuntimeError("provider down")

    sched = Scheduler([Job("movieSourceSearch", failing, interval_s=0.1, retry_base_s=1.0,
                           max_backoff_s=4.0)], store, clock=clock)
    await sched.start()
    try:
        await clock.advance(20.0, step=0.05)
    finally:
        await sched.stop()
    # 1, 2, 4, then capped at 4 s between tries: not ten tries a second.
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(runs)]
    assert gaps[:5] == [1.0, 2.0, 4.0, 4.0, 4.0], gaps
    assert store.last_runs == {}
    assert sched.status("movieSourceSearch").last_error == "provider down"


async def test_set_interval_takes_effect_after_the_current_wait():
    clock = ManualClock()
    runs: list[float] = []

    async def job() -> None:
        runs.append(round(clock.elapsed, 2))

    sched = Scheduler([Job("resync", job, interval_s=5.0)], clock=clock)
    await sched.start()
    try:
        await clock.advance(0.1)
        sched.set_interval("resync", 1.0)
        await clock.advance(8.0)
    finally:
        await sched.stop()
    assert runs[:4] == [0.0, 5.0, 6.0, 7.0], runs
    with pytest.raises(ValueError):
        sched.set_interval("resync", 0)


def test_a_run_stepped_without_a_running_loop_is_not_left_running():
    """qasync may step a task while Qt runs events outside the asyncio loop; the run then
    fails at once, and the job must not read "running now" forever (the Activity
    screen showed exactly that)."""

    async def job() -> int:
        return 1

    scheduler = Scheduler([Job("j", job, interval_s=60)], MemoryStateStore())
    coro = scheduler._run_once(scheduler._jobs["j"])
    with pytest.raises(RuntimeError):
        coro.send(None)  # no loop is running here
    coro.close()
    assert not scheduler.status("j").running
