"""DownloadsService: "download for later" — whole titles kept on disk, within the quota.

Marking a film picks the source Play would use (``StreamService.choose_source``: the
quality setting, best first), refuses it with the numbers when it does not fit ("Needs
4.2 GB, 1.1 GB free in the 20 GB download cache"; other downloads reserve their size,
while ordinary cached torrents can be evicted to make room), records the mark (table
``download``, migration 0007) and adds the torrent to the engine. Torrents download with
libtorrent's normal piece priorities, so a torrent nobody reads fetches every piece.

Kept torrents are exempt from the cache's LRU eviction (``TorrentCache.keep``) but still
count in its quota and follow the seeding policy. Marks survive restarts: ``start`` keeps
and re-adds every one (resume data makes finished ones seed-ready without a download).
The VPN gate pauses the whole session (``TorrentEngine.pause_all``), downloads included;
``items`` then says "paused". Play of a marked title uses the marked source
(``StreamService.prefer_sources``), served from the pieces on disk: no peers needed.

Seasons of series (``mark_season``, table ``season_download``, migration 0009): each
episode's best source is picked as Play would (``EpisodeStreams.season_sources``), a
season pack holding several episodes is downloaded once, and the whole season is checked
against the quota like a film. Their torrents are kept, re-added and reported like films';
Play of a downloaded episode uses its downloaded source (``EpisodeStreams.prefer_sources``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import libtorrent as lt

from miauflix_desktop.core.downloads import (
    DONE,
    DOWNLOADING,
    FAILED,
    PAUSED,
    QUEUED,
    DownloadError,
    DownloadItem,
)
from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.season_downloads import SeasonDownloadItem
from miauflix_desktop.services.storage.download_repository import (
    DownloadRecord,
    DownloadRepository,
    SeasonDownloadRecord,
    SeasonDownloadRepository,
    SeasonPick,
)
from miauflix_desktop.services.storage.repositories import MovieRepository, SourceRecord
from miauflix_desktop.services.storage.source_repository import EpisodeSourceRecord
from miauflix_desktop.services.torrent.metainfo import load_torrent_info
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentStats
from miauflix_desktop.services.torrent.torrent import Torrent

log = logging.getLogger(__name__)

GIB = 1024**3
# Completion and lost torrents are checked this often; the screen polls items() itself.
DEFAULT_INTERVAL_S = 5.0
# A torrent removed while its metadata was awaited is added again this often.
ADD_ATTEMPTS = 3
ADD_RETRY_S = 1.0
# Unmarking a torrent left on disk by an earlier run adds it back to delete it; its
# resume data makes that immediate, so this only bounds a damaged one.
REMOVE_ADD_S = 10.0


class KeepCache(Protocol):
    """The part of TorrentCache a download needs (its quota and the eviction exemption)."""

    @property
    def quota_bytes(self) -> int: ...

    def keep(self, info_hash: str) -> None: ...

    def release(self, info_hash: str) -> None: ...


class OpenedSource(Protocol):
    @property
    def torrent(self) -> Torrent: ...


class EpisodeDownloads(Protocol):
    """The part of EpisodeStreams a season download needs."""

    async def season_sources(self, show_id: int, season: int
                             ) -> tuple[list[tuple[EpisodeSourceRecord, tuple[int, ...]]],
                                        list[int]]: ...

    async def open_download(self, source_id: int) -> Torrent: ...


Choose = Callable[[int], Awaitable[SourceRecord | None]]
OpenSource = Callable[[int], Awaitable[OpenedSource]]
GateReason = Callable[[], str | None]  # why torrents are paused now (None: they are not)
WaitOpen = Callable[[], Awaitable[None]]


def size_text(n: int) -> str:
    """Bytes as the settings name the quota (GB of 1024^3): "20 GB", "4.2 GB", "700 MB"."""
    if n >= 0.95 * GIB:
        gb = n / GIB
        return f"{gb:.0f} GB" if abs(gb - round(gb)) < 0.05 else f"{gb:.1f} GB"
    mb = n / 1024**2
    return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f} MB"


class DownloadsService:
    """A lifecycle service (a small completion loop); see the module docstring."""

    def __init__(self, repo: DownloadRepository, movies: MovieRepository,
                 engine: TorrentEngine, cache: KeepCache, *, choose: Choose,
                 open_source: OpenSource, gate_reason: GateReason | None = None,
                 wait_open: WaitOpen | None = None,
                 interval_s: float = DEFAULT_INTERVAL_S,
                 seasons: SeasonDownloadRepository | None = None,
                 episodes: EpisodeDownloads | None = None) -> None:
        self._repo = repo
        self._movies = movies
        self._engine = engine
        self._cache = cache
        self._choose = choose
        self._open_source = open_source
        self._gate_reason = gate_reason or (lambda: None)
        # The VPN gate's wait_open: no torrent is added while a required VPN is down.
        self._wait_open = wait_open
        self._loaded = False
        self._interval = interval_s
        self._marks: dict[int, DownloadRecord] = {}  # movie id -> mark (mirror of the table)
        self._hashes: dict[int, str] = {}  # movie id -> info hash (lower case)
        self._adding: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        # Seasons (None: not wired, mark_season refuses): row id -> row, and the adds.
        self._seasons = seasons
        self._episodes = episodes
        self._season_rows: dict[int, SeasonDownloadRecord] = {}
        self._season_adding: dict[int, asyncio.Task[None]] = {}
        # Episodes without a source when the season was marked (this run only).
        self._season_missing: dict[tuple[int, int], int] = {}
        # One change of the season marks at a time (marking, removing, re-picking).
        self._season_lock = asyncio.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def keeper(self) -> _MarkKeeper:
        """A lifecycle step to run right after the torrent cache starts: reads the marks
        and keeps their torrents before the cache's first tick could evict them (the rest
        of ``start`` runs later, once the VPN gate and the demo seeder are up)."""
        return _MarkKeeper(self)

    async def load_marks(self) -> None:
        """Read the marks and keep their torrents (once; ``start`` calls it if needed)."""
        if self._loaded:
            return
        self._loaded = True
        records = await asyncio.to_thread(self._repo.all)
        for record in records:
            self._marks[record.movie_id] = record
            source = await self._source_of(record)
            if source is None:
                if record.state != FAILED:
                    await self._fail(record.movie_id, "The source of this download is gone.")
                continue
            key = source.hash.lower()
            self._hashes[record.movie_id] = key
            self._cache.keep(key)
        log.info("downloads: %d marked title(s)", len(records))
        if self._seasons is not None:
            for row in await asyncio.to_thread(self._seasons.all):
                self._season_rows[row.id] = row
                if not row.hash:
                    if row.state != FAILED:
                        await self._fail_season(row.id, "The source of this download is gone.")
                    continue
                self._cache.keep(row.hash)

    async def start(self) -> None:
        await self.load_marks()
        for media_id, record in list(self._marks.items()):
            if record.state != FAILED and record.source_id is not None \
                    and media_id in self._hashes:
                self._spawn_add(media_id, record.source_id)
        for row in list(self._season_rows.values()):
            if row.state != FAILED and row.hash:
                self._spawn_season_add(row.id)
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="downloads")

    async def stop(self) -> None:
        tasks = [t for t in [self._task, *self._adding.values(),
                             *self._season_adding.values()] if t is not None]
        self._task = None
        self._adding.clear()
        self._season_adding.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ----------------------------------------------------------------- public API

    def is_marked(self, media_id: int) -> bool:
        return media_id in self._marks

    def preferred_source(self, media_id: int) -> int | None:
        """The marked source of a title, for Play (StreamService.prefer_sources)."""
        record = self._marks.get(media_id)
        return record.source_id if record is not None and record.state != FAILED else None

    async def mark(self, media_id: int) -> DownloadItem:
        """Mark a film for download; DownloadError with the reason when it cannot be."""
        existing = self._marks.get(media_id)
        if existing is not None and existing.state != FAILED:
            return await self._item(existing, await self._stats_by_hash())
        movie = await asyncio.to_thread(self._movies.get, media_id)
        if movie is None:
            raise DownloadError(f"No film with id {media_id}.")
        source = await self._choose(media_id)
        if source is None:
            raise DownloadError(f"No source found yet for “{movie.title}”.")
        size = source.size or _torrent_size(source.torrent)
        key = source.hash.lower()
        if size:
            await self._check_room(media_id, key, size)
        record = await asyncio.to_thread(self._repo.mark, media_id, source.id, size)
        old = self._hashes.get(media_id)
        if old is not None and old != key and old not in {
                k for m, k in self._hashes.items() if m != media_id}:
            self._cache.release(old)  # a failed earlier try of another source: evictable
        self._marks[media_id] = record
        self._hashes[media_id] = key
        self._cache.keep(key)
        log.info("download marked: %s (source %d, %s)", movie.title, source.id,
                 size_text(size) if size else "size unknown")
        self._spawn_add(media_id, source.id)
        return await self._item(record, await self._stats_by_hash())

    async def unmark(self, media_id: int) -> None:
        """Forget the mark and delete the data (unless it is playing right now)."""
        task = self._adding.pop(media_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        record = self._marks.pop(media_id, None)
        key = self._hashes.pop(media_id, None)
        await asyncio.to_thread(self._repo.remove, media_id)
        if key is None or self._in_use(key):
            return
        self._cache.release(key)
        if self._engine.is_streaming(key):
            # Being watched: leave it; the cache evicts it like any torrent later.
            log.info("download %s unmarked while playing; the cache will evict it", key)
            return
        try:
            if (self._engine.get(key) is None and record is not None
                    and record.source_id is not None
                    and self._engine.resume_path(key).exists()):
                # On disk from an earlier run but not added back yet (the VPN gate is
                # closed): add it (no network while paused) so removing deletes its files.
                await asyncio.wait_for(self._open_source(record.source_id), REMOVE_ADD_S)
            await self._engine.remove(key, delete_files=True)
        except (MiauflixError, TimeoutError) as exc:
            log.warning("removing the download %s failed: %s", key, exc)
        log.info("download unmarked: media %d (%s), data deleted", media_id, key)

    async def items(self) -> list[DownloadItem]:
        """Every mark with its progress, oldest first (cheap: one status sweep)."""
        stats = await self._stats_by_hash()
        return [await self._item(r, stats) for r in list(self._marks.values())]

    async def tick(self) -> None:
        """Record finished downloads and re-add torrents that left the engine."""
        stats = await self._stats_by_hash()
        for media_id, record in list(self._marks.items()):
            key = self._hashes.get(media_id)
            if record.state == FAILED or key is None:
                continue
            st = stats.get(key)
            if st is not None and st.total_wanted and st.total_done >= st.total_wanted:
                if record.state != DONE:
                    await self._set(media_id, DONE, size=st.total_wanted,
                                    completed_at=datetime.now(UTC))
                    log.info("download finished: %s (%s)", record.title,
                             size_text(st.total_wanted))
            elif (self._engine.get(key) is None and media_id not in self._adding
                  and record.source_id is not None):
                self._spawn_add(media_id, record.source_id)
            elif (self._engine.seeding_stopped(key) and media_id not in self._adding
                  and record.source_id is not None):
                # Paused while unfinished (a stall switch gave it up, say): a download
                # for later must go on; open_source resumes it (with its peer hints).
                log.info("download %d was paused unfinished; resuming %s", media_id, key)
                self._spawn_add(media_id, record.source_id)
        await self._tick_seasons(stats)

    # ------------------------------------------------------------------ seasons

    def is_season_marked(self, show_id: int, season: int) -> bool:
        return any(r.show_id == show_id and r.season == season
                   for r in self._season_rows.values())

    def preferred_episode_source(self, show_id: int, season: int,
                                 episode: int) -> int | None:
        """The downloaded source of an episode, for Play (EpisodeStreams.prefer_sources)."""
        for row in self._season_rows.values():
            if ((row.show_id, row.season) == (show_id, season) and episode in row.episodes
                    and row.state != FAILED):
                return row.source_id
        return None

    async def mark_season(self, show_id: int, season: int) -> SeasonDownloadItem:
        """Mark every episode of a season; DownloadError with the reason when it cannot be
        (no source for any episode, or the season does not fit the quota or the disk)."""
        if self._seasons is None or self._episodes is None:
            raise DownloadError("Seasons cannot be downloaded here.")
        async with self._season_lock:
            mine = self._rows_of(show_id, season)
            if not mine or any(r.state == FAILED for r in mine):
                await self._pick_season(show_id, season, strict=True)
        return (await self._season_items(await self._stats_by_hash(), (show_id, season)))[0]

    async def _pick_season(self, show_id: int, season: int, *, strict: bool) -> None:
        """(Re)choose the season's torrents and record them. ``strict`` (the user asked):
        DownloadError when nothing can be downloaded; otherwise (a pack turned out to lack
        episodes) a choice that does not fit only leaves those episodes to streaming."""
        assert self._seasons is not None and self._episodes is not None
        mine = self._rows_of(show_id, season)
        picks, missing = await self._episodes.season_sources(show_id, season)
        if not picks:
            if strict:
                raise DownloadError(f"No source found yet for any episode of season "
                                    f"{season}.")
            return
        if not strict and {(r.source_id, r.episodes) for r in mine} == {
                (record.id, eps) for record, eps in picks}:
            return  # nothing changed
        chosen = [SeasonPick(record.id, record.size or _torrent_size(record.torrent), eps)
                  for record, eps in picks]
        # Room for the torrents no other mark keeps already (a pack may be marked twice).
        mine_ids = {r.id for r in mine}
        others = set(self._hashes.values()) | {
            r.hash for r in self._season_rows.values() if r.id not in mine_ids}
        fresh = {record.hash.lower(): pick.size
                 for (record, _eps), pick in zip(picks, chosen, strict=True)
                 if record.hash.lower() not in others}
        try:
            await self._check_season_room(mine_ids, fresh)
        except DownloadError as exc:
            if strict:
                raise
            log.warning("season %d of show %d: %s", season, show_id, exc)
            return
        rows = await asyncio.to_thread(self._seasons.mark, show_id, season, chosen)
        new_ids = {r.id for r in rows}
        for old in mine:
            self._season_rows.pop(old.id, None)
            if old.id not in new_ids:
                task = self._season_adding.pop(old.id, None)
                if task is not None:
                    task.cancel()
        for row in rows:
            self._season_rows[row.id] = row
            if row.hash:
                self._cache.keep(row.hash)
        for old in mine:
            if old.id not in new_ids and old.hash and not self._in_use(old.hash):
                # Not chosen any more (a failed try, or a pack without those episodes).
                self._cache.release(old.hash)
        self._season_missing[(show_id, season)] = len(missing)
        log.info("season marked: show %d season %d (%d torrent(s), %d episode(s) without a "
                 "source)", show_id, season, len(rows), len(missing))
        for row in rows:
            self._spawn_season_add(row.id)

    async def unmark_season(self, show_id: int, season: int) -> None:
        """Forget a season's mark and delete its torrents' data (unless another mark
        keeps the same torrent, or it is playing right now)."""
        if self._seasons is None:
            return
        async with self._season_lock:
            await self._unmark_season(show_id, season)

    async def _unmark_season(self, show_id: int, season: int) -> None:
        assert self._seasons is not None
        mine = self._rows_of(show_id, season)
        for row in mine:
            task = self._season_adding.pop(row.id, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._season_rows.pop(row.id, None)
        self._season_missing.pop((show_id, season), None)
        await asyncio.to_thread(self._seasons.remove, show_id, season)
        for key in {r.hash for r in mine if r.hash}:
            if self._in_use(key):
                continue
            self._cache.release(key)
            if self._engine.is_streaming(key):
                log.info("season download %s unmarked while playing; left to the cache", key)
                continue
            try:
                await self._engine.remove(key, delete_files=True)
            except MiauflixError as exc:
                log.warning("removing the season download %s failed: %s", key, exc)
        log.info("season unmarked: show %d season %d, data deleted", show_id, season)

    async def season_items(self) -> list[SeasonDownloadItem]:
        """Every marked season with its progress, oldest mark first."""
        return await self._season_items(await self._stats_by_hash())

    async def _tick_seasons(self, stats: dict[str, TorrentStats]) -> None:
        for row in list(self._season_rows.values()):
            if row.state == FAILED or not row.hash:
                continue
            st = stats.get(row.hash)
            if st is not None and st.total_wanted and st.total_done >= st.total_wanted:
                if row.state != DONE:
                    await self._set_season(row.id, DONE, size=st.total_wanted,
                                           completed_at=datetime.now(UTC))
                    log.info("season download finished: %s season %d (%s)",
                             row.show_title, row.season, size_text(st.total_wanted))
            elif ((self._engine.get(row.hash) is None or self._engine.seeding_stopped(row.hash))
                  and row.id not in self._season_adding):
                # Gone from the engine, or paused unfinished: a download must go on.
                self._spawn_season_add(row.id)

    def _rows_of(self, show_id: int, season: int) -> list[SeasonDownloadRecord]:
        return [r for r in self._season_rows.values()
                if (r.show_id, r.season) == (show_id, season)]

    def _in_use(self, key: str) -> bool:
        """A mark (a film or a season) keeps this torrent."""
        return key in self._hashes.values() or any(
            r.hash == key for r in self._season_rows.values())

    async def _check_season_room(self, exclude_rows: set[int], fresh: dict[str, int]) -> None:
        need = sum(fresh.values())
        if not need:
            return
        quota = self._cache.quota_bytes
        reserved = sum(r.size for r in self._marks.values() if r.state != FAILED)
        reserved += sum(r.size for r in self._season_rows.values()
                        if r.state != FAILED and r.id not in exclude_rows)
        if quota:
            free = max(0, quota - reserved)
            if need > free:
                raise DownloadError(f"Needs {size_text(need)}, {size_text(free)} free in the "
                                    f"{size_text(quota)} download cache.")
        stats = await self._stats_by_hash()
        have = sum(stats[k].total_done for k in fresh if k in stats)
        disk_free = await asyncio.to_thread(_disk_free, self._engine.save_root)
        if disk_free is not None and need - have > disk_free:
            raise DownloadError(f"Needs {size_text(need - have)}, {size_text(disk_free)} "
                                "free on the disk.")

    def _spawn_season_add(self, row_id: int) -> None:
        if row_id in self._season_adding:
            return
        task = asyncio.create_task(self._add_season(row_id), name=f"season-add-{row_id}")
        self._season_adding[row_id] = task

        def done(t: asyncio.Task[None], r: int = row_id) -> None:
            if self._season_adding.get(r) is t:
                del self._season_adding[r]

        task.add_done_callback(done)

    async def _add_season(self, row_id: int) -> None:
        assert self._episodes is not None
        row = self._season_rows.get(row_id)
        if row is None or row.source_id is None:
            return
        if self._wait_open is not None:
            await self._wait_open()
        try:
            torrent = await self._episodes.open_download(row.source_id)
            meta = await torrent.metadata()
        except asyncio.CancelledError:
            raise
        except MiauflixError as exc:
            await self._fail_season(row_id, str(exc))
            return
        # As for films: a lookup may have added it in upload mode; a download wants all.
        torrent.handle.unset_flags(lt.torrent_flags.upload_mode)
        row = self._season_rows.get(row_id)
        if row is not None and row.state == QUEUED:
            total = sum(f.size for f in meta.files)
            await self._set_season(row_id, DOWNLOADING, size=total or row.size)
        if row is not None:
            # A pack's file list is known now; if it lacks episodes it was chosen for,
            # their own releases join the season's download.
            async with self._season_lock:
                if row_id in self._season_rows:
                    await self._pick_season(row.show_id, row.season, strict=False)

    async def _fail_season(self, row_id: int, message: str) -> None:
        log.warning("season download %d failed: %s", row_id, message)
        await self._set_season(row_id, FAILED, error=message)

    async def _set_season(self, row_id: int, state: str, *, error: str = "", size: int = 0,
                          completed_at: datetime | None = None) -> None:
        assert self._seasons is not None
        await asyncio.to_thread(self._seasons.update, row_id, state=state, error=error,
                                size=size or None, completed_at=completed_at)
        row = await asyncio.to_thread(self._seasons.get, row_id)
        if row is None:
            self._season_rows.pop(row_id, None)
        elif row_id in self._season_rows:
            self._season_rows[row_id] = row

    async def _season_items(self, stats: dict[str, TorrentStats],
                            only: tuple[int, int] | None = None) -> list[SeasonDownloadItem]:
        groups: dict[tuple[int, int], list[SeasonDownloadRecord]] = {}
        for row in self._season_rows.values():
            key = (row.show_id, row.season)
            if only is None or key == only:
                groups.setdefault(key, []).append(row)
        paused = self._engine_paused() or self._gate_reason() is not None
        items = []
        for (show_id, season), rows in groups.items():
            size = done = rate = peers = 0
            states: list[str] = []
            error = ""
            for row in rows:
                st = stats.get(row.hash) if row.hash else None
                torrent = self._engine.get(row.hash) if row.hash else None
                r_size = st.total_wanted if st is not None and st.total_wanted else row.size
                if st is not None:
                    r_done, peers = st.total_done, peers + st.peers
                else:
                    r_done = r_size if row.state == DONE else 0
                if torrent is not None:
                    rate += torrent.status().download_rate
                size, done = size + r_size, done + r_done
                if row.state == FAILED:
                    states.append(FAILED)
                    error = error or row.error
                elif r_size and r_done >= r_size:
                    states.append(DONE)
                elif paused:
                    states.append(PAUSED)
                else:
                    states.append(DOWNLOADING if st is not None else QUEUED)
            # The season is as far as its least advanced torrent.
            state = next((s for s in (FAILED, PAUSED, QUEUED, DOWNLOADING) if s in states),
                         DONE)
            if state == PAUSED:
                error = self._gate_reason() or "Torrents are paused."
            eta = (size - done) / rate if state == DOWNLOADING and rate > 0 else None
            items.append(SeasonDownloadItem(
                show_id, season, f"{rows[0].show_title} — Season {season}", state, size,
                done, sum(len(r.episodes) for r in rows),
                self._season_missing.get((show_id, season), 0), rate, peers, eta, error,
                rows[0].poster))
        return items


    # ------------------------------------------------------------------ internals

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.tick()
            except Exception:
                log.exception("downloads tick failed")

    async def _source_of(self, record: DownloadRecord) -> SourceRecord | None:
        if record.source_id is None:
            return None
        return await asyncio.to_thread(self._movies.get_source, record.source_id)

    async def _check_room(self, media_id: int, key: str, size: int) -> None:
        quota = self._cache.quota_bytes
        # Other downloads reserve their whole size; anything else cached can be evicted.
        reserved = sum(r.size for m, r in self._marks.items()
                       if m != media_id and r.state != FAILED and self._hashes.get(m) != key)
        reserved += sum(r.size for r in self._season_rows.values()
                        if r.state != FAILED and r.hash != key)
        if quota:
            free = max(0, quota - reserved)
            if size > free:
                raise DownloadError(f"Needs {size_text(size)}, {size_text(free)} free in the "
                                    f"{size_text(quota)} download cache.")
        have = 0
        st = (await self._stats_by_hash()).get(key)
        if st is not None:
            have = st.total_done
        disk_free = await asyncio.to_thread(_disk_free, self._engine.save_root)
        if disk_free is not None and size - have > disk_free:
            raise DownloadError(f"Needs {size_text(size - have)}, {size_text(disk_free)} "
                                "free on the disk.")

    def _spawn_add(self, media_id: int, source_id: int) -> None:
        if media_id in self._adding:
            return
        task = asyncio.create_task(self._add(media_id, source_id),
                                   name=f"download-add-{media_id}")
        self._adding[media_id] = task
        task.add_done_callback(lambda t, m=media_id: self._added(m, t))

    def _added(self, media_id: int, task: asyncio.Task[None]) -> None:
        if self._adding.get(media_id) is task:
            del self._adding[media_id]

    async def _add(self, media_id: int, source_id: int) -> None:
        if self._wait_open is not None:
            await self._wait_open()
        for attempt in range(1, ADD_ATTEMPTS + 1):
            try:
                opened = await self._open_source(source_id)
                meta = await opened.torrent.metadata()
                break
            except asyncio.CancelledError:
                raise
            except MiauflixError as exc:
                key = self._hashes.get(media_id, "")
                if attempt < ADD_ATTEMPTS and key and self._engine.get(key) is None:
                    # Removed under us (a metadata lookup of the same hash ended, or
                    # the cache evicted it before our keep): add it again.
                    log.info("download %d: torrent left the engine (%s); adding again",
                             media_id, exc)
                    await asyncio.sleep(ADD_RETRY_S)
                    continue
                await self._fail(media_id, str(exc))
                return
            except Exception as exc:
                log.exception("adding download %d failed", media_id)
                await self._fail(media_id, f"The download could not start: {exc}")
                return
        else:  # pragma: no cover - the loop always breaks or returns
            return
        # A metadata lookup may have added the same torrent in upload mode (no piece is
        # downloaded then); a download wants every piece.
        opened.torrent.handle.unset_flags(lt.torrent_flags.upload_mode)
        record = self._marks.get(media_id)
        if record is None:  # unmarked meanwhile
            return
        total = sum(f.size for f in meta.files)
        if not record.size and total:
            # A magnet without a known size: check the room now that it is known.
            try:
                await self._check_room(media_id, self._hashes.get(media_id, ""), total)
            except DownloadError as exc:
                await self._fail(media_id, str(exc))
                key = self._hashes.get(media_id)
                if key is not None and key not in {
                        k for m, k in self._hashes.items() if m != media_id}:
                    self._cache.release(key)
                    await self._engine.remove(key, delete_files=True)
                return
        if record.state == QUEUED:
            await self._set(media_id, DOWNLOADING, size=total or record.size)

    async def _fail(self, media_id: int, message: str) -> None:
        log.warning("download of media %d failed: %s", media_id, message)
        await self._set(media_id, FAILED, error=message)

    async def _set(self, media_id: int, state: str, *, error: str = "", size: int = 0,
                   completed_at: datetime | None = None) -> None:
        await asyncio.to_thread(self._repo.update, media_id, state=state, error=error,
                                size=size or None, completed_at=completed_at)
        record = await asyncio.to_thread(self._repo.get, media_id)
        if record is None:
            self._marks.pop(media_id, None)
        elif media_id in self._marks:
            self._marks[media_id] = record

    async def _stats_by_hash(self) -> dict[str, TorrentStats]:
        try:
            return {s.info_hash: s for s in await self._engine.stats()}
        except MiauflixError:
            return {}  # the engine is not running (stopping): nothing to report

    async def _item(self, record: DownloadRecord,
                    stats: dict[str, TorrentStats]) -> DownloadItem:
        key = self._hashes.get(record.movie_id, "")
        st = stats.get(key)
        torrent = self._engine.get(key) if key else None
        size, done, rate, peers = record.size, 0, 0, 0
        if st is not None:
            size, done, peers = st.total_wanted or size, st.total_done, st.peers
        if torrent is not None:
            rate = torrent.status().download_rate
        if record.state == FAILED:
            state, error = FAILED, record.error
        elif st is not None and size and done >= size:
            state, error = DONE, ""
        elif st is None and record.state == DONE:
            # Finished earlier and not (yet) back in the session: its bytes are on disk.
            state, error, done = DONE, "", size
        elif self._engine_paused() or self._gate_reason() is not None:
            state, error = PAUSED, self._gate_reason() or "Torrents are paused."
        elif st is None:
            state, error = QUEUED, ""
        else:
            state, error = DOWNLOADING, ""
        eta = (size - done) / rate if state == DOWNLOADING and rate > 0 else None
        return DownloadItem(record.movie_id, record.title, state, size, done, rate, peers,
                            eta, error, record.poster, record.source_id)

    def _engine_paused(self) -> bool:
        try:
            return self._engine.paused
        except MiauflixError:
            return False


def _torrent_size(torrent: bytes | None) -> int:
    if not torrent:
        return 0
    try:
        return int(load_torrent_info(torrent).total_size())
    except MiauflixError:
        return 0


def _disk_free(folder: Path) -> int | None:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


class _MarkKeeper:
    """``DownloadsService.keeper``: a Service whose start is ``load_marks``."""

    def __init__(self, service: DownloadsService) -> None:
        self._service = service

    async def start(self) -> None:
        await self._service.load_marks()

    async def stop(self) -> None:
        return None
