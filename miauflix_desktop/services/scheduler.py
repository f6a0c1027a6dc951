"""Runs named background jobs on the asyncio loop, each on its own interval, surviving restarts.

One asyncio task per job. A job is an `async def` with no arguments; it must not block
the loop, so any synchronous work (SQLAlchemy repositories, file I/O, parsing a big
answer) goes through `await asyncio.to_thread(...)` inside the job. The scheduler itself
reads and writes the state store through `asyncio.to_thread` for the same reason.

Timing rules:
- a job never runs twice at once (one task per job, runs are sequential);
- after a successful run the next one is `interval_s` after that run *started*;
- a failing run is logged, reported to `on_job_error`, and retried sooner than a normal
  tick, backing off (`retry_base_s`, doubling, capped at the interval) while it keeps
  failing, so a job that failed because the network was down recovers by itself;
- `trigger(name)` runs a job now; a trigger during a run queues exactly one more run;
- "a restart continues": the last successful run is kept in `state_store`, and on start
  a job whose last run was recent waits only the rest of its interval. Jobs on
  sub-minute ticks (source search every 0.1 s) are not persisted: they would write the
  database ten times a second for nothing.

A job may return how many items it handled (titles searched, sources checked); the
Activity screen shows the last run's count and the total. Time comes from a Clock
(services.clock) so tests can drive intervals with a ManualClock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from miauflix_desktop.services.clock import Clock, LoopClock

log = logging.getLogger(__name__)

# A job returns the number of items it handled, or None when counting makes no sense.
JobFunc = Callable[[], Awaitable[int | None]]
Now = Callable[[], datetime]
# Jobs with shorter intervals than this are not written to the state store.
PERSIST_MIN_INTERVAL_S = 60.0


class StateStore(Protocol):
    """Where each job's last successful run is kept (SyncState in the database).

    Synchronous on purpose (repositories are); the scheduler calls it in a worker thread.
    """

    def get_last_run(self, name: str) -> datetime | None: ...

    def set_last_run(self, name: str, when: datetime) -> None: ...


class MemoryStateStore:
    """A StateStore for tests and the demo library: forgets everything on exit."""

    def __init__(self) -> None:
        self.last_runs: dict[str, datetime] = {}

    def get_last_run(self, name: str) -> datetime | None:
        return self.last_runs.get(name)

    def set_last_run(self, name: str, when: datetime) -> None:
        self.last_runs[name] = when


@dataclass(frozen=True)
class Job:
    """A named periodic job. `initial_delay_s` staggers the first run after start-up so
    the app's first seconds belong to the UI, not to ten jobs at once."""

    name: str
    func: JobFunc
    interval_s: float
    initial_delay_s: float = 0.0
    # First retry after a failure; doubles per consecutive failure, capped at
    # max_backoff_s (default: the interval). A 0.1 s job sets a larger cap so it does not
    # hammer a dead network ten times a second.
    retry_base_s: float = 60.0
    max_backoff_s: float | None = None


@dataclass(frozen=True)
class JobStatus:
    """A snapshot for the UI (e.g. a "TMDB unreachable" banner, a settings page)."""

    name: str
    running: bool
    last_run: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_run: datetime | None
    interval_s: float = 0.0
    runs: int = 0
    items_last: int | None = None  # what the last successful run handled
    items_total: int = 0
    last_duration_s: float | None = None


@dataclass
class _JobState:
    job: Job
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    running: bool = False
    last_run: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    next_run: datetime | None = None
    runs: int = 0
    items_last: int | None = None
    items_total: int = 0
    last_duration_s: float | None = None
    # run_now() callers waiting for the next run to finish / those the current run serves.
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class Scheduler:
    """A lifecycle Service: `start()` launches one task per job, `stop()` cancels them.

    `on_job_ok(name)` / `on_job_error(name, exc)` are called on the loop after each run,
    for a status banner; an exception inside them is logged and otherwise ignored.
    """

    def __init__(
        self,
        jobs: Sequence[Job] = (),
        state_store: StateStore | None = None,
        *,
        on_job_ok: Callable[[str], None] | None = None,
        on_job_error: Callable[[str, BaseException], None] | None = None,
        now: Now | None = None,
        stop_timeout_s: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self._store: StateStore = state_store if state_store is not None else MemoryStateStore()
        self._on_ok = on_job_ok
        self._on_error = on_job_error
        self._clock: Clock = clock or LoopClock()
        # `now` overrides only the wall time (older tests and callers pass just that).
        self._now: Now = now or self._clock.now
        self._stop_timeout_s = stop_timeout_s
        self._jobs: dict[str, _JobState] = {}
        self._started = False
        for job in jobs:
            self.add(job)

    # -- configuration -----------------------------------------------------------------

    def add(self, job: Job) -> None:
        """Register a job; if the scheduler is running, it starts at once."""
        if job.name in self._jobs:
            raise ValueError(f"a job named {job.name!r} already exists")
        if job.interval_s <= 0:
            raise ValueError("interval_s must be positive")
        state = _JobState(job)
        self._jobs[job.name] = state
        if self._started:
            self._launch(state)

    @property
    def job_names(self) -> list[str]:
        return list(self._jobs)

    def set_interval(self, name: str, interval_s: float) -> None:
        """Change a job's interval (settings); takes effect after its current wait."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        state = self._jobs[name]
        job = state.job
        state.job = dataclasses.replace(job, interval_s=interval_s)

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        for state in self._jobs.values():
            self._launch(state)

    async def stop(self) -> None:
        """Cancel every job; wait at most stop_timeout_s for them to unwind."""
        self._started = False
        tasks = [s.task for s in self._jobs.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self._stop_timeout_s)
            for task in pending:
                log.warning("job task %s did not stop within %.1fs", task.get_name(),
                            self._stop_timeout_s)
        for state in self._jobs.values():
            state.task = None
            state.running = False
            for fut in state.waiters:
                if not fut.done():
                    fut.cancel()
            state.waiters.clear()

    # -- control --------------------------------------------------------------------

    def trigger(self, name: str) -> None:
        """Run the job now (or right after the current run). Unknown names raise KeyError."""
        self._jobs[name].wake.set()

    async def run_now(self, name: str) -> None:
        """Trigger the job and wait for that run; raises what the run raised."""
        state = self._jobs[name]
        if not self._started:
            raise RuntimeError("the scheduler is not running")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        state.waiters.append(fut)
        state.wake.set()
        await fut

    def status(self, name: str) -> JobStatus:
        s = self._jobs[name]
        return JobStatus(name=name, running=s.running, last_run=s.last_run,
                         last_error=s.last_error, consecutive_failures=s.failures,
                         next_run=s.next_run, interval_s=s.job.interval_s, runs=s.runs,
                         items_last=s.items_last, items_total=s.items_total,
                         last_duration_s=s.last_duration_s)

    def statuses(self) -> list[JobStatus]:
        return [self.status(name) for name in self._jobs]

    # -- the per-job loop -------------------------------------------------------------

    def _launch(self, state: _JobState) -> None:
        state.task = asyncio.create_task(self._loop(state), name=f"job:{state.job.name}")

    async def _first_delay(self, state: _JobState) -> float:
        job = state.job
        if job.interval_s < PERSIST_MIN_INTERVAL_S:
            return job.initial_delay_s
        try:
            last = await asyncio.to_thread(self._store.get_last_run, job.name)
        except Exception:
            log.exception("reading the last run of %s failed; running it as new", job.name)
            last = None
        state.last_run = last
        if last is None:
            return job.initial_delay_s
        if last.tzinfo is None:  # stored naive by a database column: it is UTC
            last = last.replace(tzinfo=UTC)
        elapsed = (self._now() - last).total_seconds()
        # A last run "in the future" (clock changed) counts as just now, not as never.
        remaining = job.interval_s - max(0.0, elapsed)
        return max(job.initial_delay_s, remaining)

    async def _loop(self, state: _JobState) -> None:
        delay = await self._first_delay(state)
        while True:
            if delay > 0 and not state.wake.is_set():
                state.next_run = self._now() + timedelta(seconds=delay)
                await self._clock.wait(state.wake, delay)
            state.next_run = None
            state.wake.clear()
            started = self._now()
            ok = await self._run_once(state)
            job = state.job
            if ok:
                # Measured from the run's start (module docstring): a 0.1 s job that
                # takes 0.1 s runs back to back, as the seed's tasks do.
                took = (self._now() - started).total_seconds()
                delay = max(0.0, job.interval_s - took)
            else:
                cap = job.max_backoff_s if job.max_backoff_s is not None else job.interval_s
                delay = min(cap, job.retry_base_s * 2 ** (state.failures - 1))

    async def _run_once(self, state: _JobState) -> bool:
        job = state.job
        # Waiters that arrived before this run started are answered by it.
        # Asked before any state changes: a task stepped with no running loop (qasync
        # can do that while Qt runs events outside the loop) must not leave the job
        # marked "running" forever when this raises.
        loop = asyncio.get_running_loop()
        waiters, state.waiters = state.waiters, []
        started = self._now()
        state.running = True
        state.runs += 1
        t0 = loop.time()
        try:
            items = await job.func()
        except asyncio.CancelledError:
            for fut in waiters:
                fut.cancel()
            raise
        except Exception as exc:
            state.failures += 1
            state.last_error = str(exc) or type(exc).__name__
            log.warning("job %s failed (%d in a row): %s", job.name, state.failures,
                        state.last_error, exc_info=exc)
            self._notify(self._on_error, job.name, exc)
            for fut in waiters:
                if not fut.done():
                    fut.set_exception(exc)
            return False
        finally:
            state.running = False
            state.last_duration_s = loop.time() - t0
        log.debug("job %s finished in %.2fs", job.name, state.last_duration_s)
        state.failures = 0
        state.last_error = None
        state.last_run = started
        state.items_last = items if isinstance(items, int) else None
        state.items_total += state.items_last or 0
        if job.interval_s >= PERSIST_MIN_INTERVAL_S:
            try:
                await asyncio.to_thread(self._store.set_last_run, job.name, started)
            except Exception:
                # The job did its work; losing the timestamp only means an earlier rerun.
                log.exception("recording the last run of %s failed", job.name)
        self._notify(self._on_ok, job.name)
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        return True

    @staticmethod
    def _notify(callback: Callable[..., None] | None, *args: object) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("a scheduler status callback failed")
