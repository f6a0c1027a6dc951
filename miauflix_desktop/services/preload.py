"""ViewportPreloader: warm start for the titles the viewer is looking at (the seed's
viewport preload).

Home and Browse report the focused card, its neighbours and the other cards on screen
(``report``, the UI's PreloadPort). Once the viewport has been still for ``debounce_ms``
a small priority queue works through them, at most ``max_jobs`` at once:

* focused  -> best source, torrent + metadata, and the header and footer pieces of the
  main video (``StreamService.warm``), so Play starts from local pieces;
* adjacent -> source, torrent + metadata (pieces too while the budget is under half used);
* visible  -> the best source only (a database read).

Rules: a focused title preempts lower work when all slots are busy; work for a title
that left the viewport (or changed rank) is cancelled at once; piece downloads count
against a per-minute budget; nothing runs while the VPN gate is closed or anything
streams (running jobs are cancelled); a warm-up that failed or found no source is
retried a minute later, not in a loop. Torrents added by the preload want only their
warmed pieces and are evicted first (TorrentCache); beyond ``keep_warm`` of them the
oldest one nobody played is removed with its data, and all are at stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from miauflix_desktop.config.settings import PreloadSettings
from miauflix_desktop.core.preload import WarmResult
from miauflix_desktop.services.clock import Clock, LoopClock
from miauflix_desktop.services.torrent.priorities import FOOTER_BYTES, HEADER_BYTES, MIB

log = logging.getLogger(__name__)

# What a warm-up achieves, in order; a title's rank in the viewport asks for one of them.
NOTHING, SOURCE, METADATA, PIECES = 0, 1, 2, 3
LEVEL_NAMES = {NOTHING: "nothing", SOURCE: "source", METADATA: "metadata", PIECES: "pieces"}

# Budget window: bytes downloaded by the preload in the last minute.
BUDGET_WINDOW_S = 60.0
# A title whose warm-up failed or had no source is tried again after this long (sources
# may be found meanwhile); never in a tight loop.
RETRY_AFTER_S = 60.0
# While paused (VPN gate closed, a stream playing) the queue looks again this often.
PAUSED_POLL_S = 1.0
# Nothing to do: sleep until a report or a finished job wakes the queue.
IDLE_WAIT_S = 3600.0
# Visible titles beyond this many are ignored (a huge grid must not flood the queue).
MAX_VISIBLE = 40


class Warmer(Protocol):
    """What the preload needs from the stream service (StreamService in the app)."""

    async def warm(self, media_id: int, header_bytes: int, footer_bytes: int, *,
                   add_torrent: bool = True) -> WarmResult | None: ...

    async def release_warm(self, info_hash: str) -> bool: ...

    def warm_only_hashes(self) -> list[str]: ...


class Gate(Protocol):
    """The VPN gate as the preload sees it (services.network.vpn.VpnGate)."""

    @property
    def is_open(self) -> bool: ...


@dataclass
class _Job:
    media_id: int
    rank: int  # the level the viewport asked for (decides cancelling)
    level: int  # the level this job works towards (may be above rank: spare budget)
    task: asyncio.Task[None] | None = None
    spend: list[float] = field(default_factory=list)  # its budget entry [time, bytes]


class ViewportPreloader:
    """The UI's PreloadPort and a lifecycle service; see the module docstring."""

    def __init__(self, warmer: Warmer, settings: PreloadSettings, *,
                 gate: Gate | None = None, busy: Sequence[Callable[[], bool]] = (),
                 clock: Clock | None = None, header_bytes: int = HEADER_BYTES,
                 footer_bytes: int = FOOTER_BYTES) -> None:
        self._warmer = warmer
        self._settings = settings
        self._gate = gate
        self._busy = list(busy)
        self._clock = clock or LoopClock()
        self._header = header_bytes
        self._footer = footer_bytes
        self._wanted: dict[int, int] = {}  # media id -> rank level, most important first
        self._reported_at = float("-inf")
        self._running: dict[int, _Job] = {}
        self._achieved: dict[int, int] = {}  # media id -> level reached
        self._results: dict[int, WarmResult] = {}
        self._failed: dict[int, float] = {}  # media id -> when (retried after RETRY_AFTER_S)
        self._spent: list[list[float]] = []  # [time, bytes] of piece downloads
        self._waiters: list[tuple[int, int, asyncio.Future[WarmResult | None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._paused_reason = ""

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="viewport-preload")

    async def stop(self) -> None:
        """Cancel all work and remove every preloaded torrent nobody played: its piece
        priorities must not outlive the run (a restart would see a torrent that wants
        almost nothing)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._cancel_all()
        for info_hash in self._warmer.warm_only_hashes():
            try:
                await self._warmer.release_warm(info_hash)
            except Exception:
                log.exception("removing preloaded torrent %s failed", info_hash)
        for _mid, _level, fut in self._waiters:
            if not fut.done():
                fut.cancel()
        self._waiters.clear()

    # ----------------------------------------------------------------- public API

    def report(self, focused: int | None, adjacent: Sequence[int],
               visible: Sequence[int]) -> None:
        """The viewport changed (PreloadPort). Records it, cancels work for titles that
        left it or changed rank, and lets the queue run after the debounce."""
        wanted: dict[int, int] = {}
        if focused is not None and focused > 0:
            wanted[focused] = PIECES
        for media_id in adjacent:
            if media_id > 0:
                wanted.setdefault(media_id, METADATA)
        for media_id in list(visible)[:MAX_VISIBLE]:
            if media_id > 0:
                wanted.setdefault(media_id, SOURCE)
        if wanted == self._wanted:
            return  # the same cards (a repaint, a re-report): the debounce keeps running
        self._wanted = wanted
        self._reported_at = self._now()
        for job in list(self._running.values()):
            if wanted.get(job.media_id) != job.rank:
                self._cancel(job, "left the viewport" if job.media_id not in wanted
                             else "changed rank")
        self._wake.set()

    def add_busy_check(self, busy: Callable[[], bool]) -> None:
        """Another "something is streaming" signal (the player, built with the UI)."""
        self._busy.append(busy)
        self._wake.set()

    def running(self) -> dict[int, int]:
        """Media id -> level of each job running now."""
        return {mid: job.level for mid, job in self._running.items()}

    def achieved(self, media_id: int) -> int:
        return self._achieved.get(media_id, NOTHING)

    def result(self, media_id: int) -> WarmResult | None:
        return self._results.get(media_id)

    @property
    def paused_reason(self) -> str:
        """Why nothing runs now ("" when the queue is free to work)."""
        return self._paused_reason

    def spent_bytes(self) -> int:
        """Piece bytes the preload downloaded (or has reserved) in the last minute."""
        self._expire_spend(self._now())
        return int(sum(b for _t, b in self._spent))

    async def wait_level(self, media_id: int, level: int = PIECES) -> WarmResult | None:
        """Wait until ``media_id`` reaches ``level`` (bench and tests); cancellable."""
        if self.achieved(media_id) >= level:
            return self._results.get(media_id)
        fut: asyncio.Future[WarmResult | None] = asyncio.get_running_loop().create_future()
        self._waiters.append((media_id, level, fut))
        try:
            return await fut
        finally:
            self._waiters = [w for w in self._waiters if w[2] is not fut]

    # ------------------------------------------------------------------ internals

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = self._step()
            except Exception:
                log.exception("viewport preload step failed")
                delay = PAUSED_POLL_S
            await self._clock.wait(self._wake, IDLE_WAIT_S if delay is None else delay)

    def _step(self) -> float | None:
        """Start what may start now; seconds until something may change (None: idle)."""
        reason = self._pause_reason()
        if reason:
            if reason != self._paused_reason:
                log.info("viewport preload paused: %s", reason)
            self._paused_reason = reason
            self._cancel_all_now(reason)
            return PAUSED_POLL_S
        self._paused_reason = ""
        now = self._now()
        quiet = self._settings.debounce_ms / 1000.0 - (now - self._reported_at)
        if quiet > 0:
            return quiet
        retry_at: float | None = None
        budget_at: float | None = None
        for media_id, rank in list(self._wanted.items()):
            if media_id in self._running:
                continue
            failed_at = self._failed.get(media_id)
            if failed_at is not None:
                if now - failed_at < RETRY_AFTER_S:
                    wake = failed_at + RETRY_AFTER_S - now
                    retry_at = wake if retry_at is None else min(retry_at, wake)
                    continue
                del self._failed[media_id]
            level, wait_s = self._level_for(rank, now)
            if wait_s is not None:
                budget_at = wait_s if budget_at is None else min(budget_at, wait_s)
            if level <= self.achieved(media_id):
                continue
            full = len(self._running) >= max(1, self._settings.max_jobs)
            if full and (rank != PIECES or not self._preempt()):
                break
            self._start_job(media_id, rank, level, now)
        waits = [w for w in (retry_at, budget_at) if w is not None]
        if self._running:
            # Running jobs stop within a second of the gate closing or a stream starting.
            waits.append(PAUSED_POLL_S)
        return min(waits) if waits else None

    def _pause_reason(self) -> str:
        if not self._settings.enabled:
            return "turned off in the settings"
        if self._gate is not None and not self._gate.is_open:
            return "the VPN gate is closed"
        for busy in self._busy:
            try:
                if busy():
                    return "a stream is playing"
            except Exception:
                log.exception("preload busy check failed")
        return ""

    def _level_for(self, rank: int, now: float) -> tuple[int, float | None]:
        """The level to work towards for a rank given the budget, and (when the budget
        holds pieces back) seconds until it frees up."""
        if rank == SOURCE:
            return SOURCE, None
        cost = self._header + self._footer
        budget = self._budget_bytes()
        self._expire_spend(now)
        spent = sum(b for _t, b in self._spent)
        # Adjacent titles only use the first half: the next focused card needs the rest.
        limit = budget if rank == PIECES else budget / 2
        if budget > 0 and spent + cost <= limit:
            return PIECES, None
        wait_s = None
        if budget > 0 and self._spent and rank == PIECES:
            wait_s = max(0.05, self._spent[0][0] + BUDGET_WINDOW_S - now)
        return METADATA, wait_s

    def _budget_bytes(self) -> float:
        return max(0.0, float(self._settings.budget_mib_per_minute)) * MIB

    def _expire_spend(self, now: float) -> None:
        self._spent = [e for e in self._spent if now - e[0] < BUDGET_WINDOW_S]

    def _preempt(self) -> bool:
        """Free a slot for the focused title: cancel the least important running job."""
        victims = [j for j in self._running.values() if j.rank != PIECES]
        if not victims:
            return False
        victim = min(victims, key=lambda j: j.rank)  # visible (SOURCE) before adjacent
        self._cancel(victim, "preempted by the focused title")
        return True

    def _start_job(self, media_id: int, rank: int, level: int, now: float) -> None:
        job = _Job(media_id, rank, level)
        if level >= PIECES:
            # Reserved up front; corrected to what was really downloaded when it ends.
            job.spend = [now, float(self._header + self._footer)]
            self._spent.append(job.spend)
        job.task = asyncio.create_task(self._work(job), name=f"preload-{media_id}")
        self._running[media_id] = job
        log.debug("preload %s: %s", media_id, LEVEL_NAMES[level])

    async def _work(self, job: _Job) -> None:
        pieces = job.level >= PIECES
        try:
            result = await self._warmer.warm(
                job.media_id, self._header if pieces else 0, self._footer if pieces else 0,
                add_torrent=job.level >= METADATA)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed warm-up only costs speed; Play reports errors
            log.info("preload of %s failed: %s", job.media_id, exc)
            self._failed[job.media_id] = self._now()
            self._finish(job, None)
            return
        if job.spend:
            job.spend[1] = float(result.fetched_bytes if result is not None else 0)
        if result is None or (job.level >= METADATA and not result.info_hash):
            # No source yet, or only a magnet whose .torrent discovery has not fetched
            # yet: look again later.
            self._failed[job.media_id] = self._now()
            if result is not None:
                self._achieved[job.media_id] = max(self.achieved(job.media_id), SOURCE)
                self._results[job.media_id] = result
        else:
            self._achieved[job.media_id] = max(self.achieved(job.media_id), job.level)
            self._results[job.media_id] = result
        self._finish(job, result)
        await self._trim_warm()

    def _finish(self, job: _Job, result: WarmResult | None) -> None:
        if self._running.get(job.media_id) is job:
            del self._running[job.media_id]
        for media_id, level, fut in self._waiters:
            if media_id == job.media_id and self.achieved(media_id) >= level and not fut.done():
                fut.set_result(result)
        self._wake.set()

    def _cancel(self, job: _Job, why: str) -> None:
        log.debug("preload of %s cancelled: %s", job.media_id, why)
        if self._running.get(job.media_id) is job:
            del self._running[job.media_id]
        if job.task is not None:
            job.task.cancel()
        self._wake.set()

    def _cancel_all_now(self, why: str) -> None:
        for job in list(self._running.values()):
            self._cancel(job, why)

    async def _cancel_all(self) -> None:
        tasks = [j.task for j in self._running.values() if j.task is not None]
        self._cancel_all_now("stopping")
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _trim_warm(self) -> None:
        """Keep at most keep_warm preloaded torrents nobody played: remove the oldest that
        is not on screen, with its data."""
        hashes = self._warmer.warm_only_hashes()
        excess = len(hashes) - max(0, self._settings.keep_warm)
        if excess <= 0:
            return
        on_screen = {r.info_hash for mid, r in self._results.items()
                     if mid in self._wanted and r.info_hash}
        for info_hash in hashes:
            if excess <= 0:
                break
            if info_hash in on_screen:
                continue
            try:
                removed = await self._warmer.release_warm(info_hash)
            except Exception:
                log.exception("removing preloaded torrent %s failed", info_hash)
                continue
            if removed:
                excess -= 1
                log.info("removed preloaded torrent %s (never played)", info_hash)
                for mid, r in list(self._results.items()):
                    if r.info_hash == info_hash:
                        # Its pieces are gone: a later focus warms it again.
                        self._achieved[mid] = min(self.achieved(mid), SOURCE)
