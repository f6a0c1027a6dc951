"""TorrentCache: the download folder's quota (LRU eviction), the seeding policy, Storage rows.

Every ``interval_s`` (5 s) one ``tick``:

1. reads every torrent's counters (``TorrentEngine.stats``: one ``handle.status()`` per
   torrent, off the loop);
2. marks torrents being played (an open reader, or ``pin``) as just used;
3. applies the seeding policy: a finished torrent that is not being played stops
   uploading after ``seed_ratio`` x its size or ``seed_time_minutes`` of seeding;
4. while the data on disk exceeds ``cache_quota_gb``, evicts the least recently used
   torrent that is not being played (torrents the viewport preload added and nobody
   played go first, see ``set_preload_check``): removed from the session with its files
   and resume data. Torrents that are not in the session (left by an earlier run, known from their
   resume data) count and are evicted the same way;
5. writes what changed into the Storage rows of the torrents' sources (status
   "downloading", "seeding", "paused" or "evicted", bytes, pieces, peers, last access).

"Used" means added (Play, prepare), played, or ``touch``-ed. Last access times live in
memory while running and in Storage.last_access_at across restarts (a torrent without a
row falls back to its resume file's modification time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import libtorrent as lt

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.storage.storage_repository import EVICTED, StorageUpdate
from miauflix_desktop.services.torrent.metainfo import key_of
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentStats

log = logging.getLogger(__name__)

# Bookkeeping only (quota, Storage rows, seeding policy): nothing here is on a read path,
# and a few seconds of lag on any of them is harmless.
DEFAULT_INTERVAL_S = 5.0

GIB = 1024**3


class StorageSink(Protocol):
    """Where the cache keeps per-source state (StorageRepository in the app)."""

    def record(self, updates: Sequence[StorageUpdate], now: datetime) -> int: ...

    def last_access(self, info_hashes: Iterable[str]) -> dict[str, datetime]: ...


@dataclass
class CacheEntry:
    """A torrent whose data is in the download folder, in the session or not."""

    info_hash: str
    bytes_on_disk: int
    last_access: float  # seconds since the epoch
    in_session: bool
    playing: bool = False
    files: tuple[Path, ...] = ()  # only for torrents outside the session
    name: str = ""


@dataclass
class TickReport:
    """What one tick saw and did (for logs and tests)."""

    usage_bytes: int = 0
    quota_bytes: int = 0
    evicted: list[str] = field(default_factory=list)
    stopped_seeding: list[str] = field(default_factory=list)
    storage_rows: int = 0


@dataclass(frozen=True)
class _Dormant:
    """A parsed resume file of a torrent not in the session (cached by mtime)."""

    mtime_ns: int
    name: str
    files: tuple[Path, ...]


class TorrentCache:
    """A lifecycle Service next to the TorrentEngine; see the module docstring."""

    def __init__(self, engine: TorrentEngine, settings: TorrentSettings,
                 storage: StorageSink | None = None, *,
                 interval_s: float = DEFAULT_INTERVAL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._settings = settings
        self._storage = storage
        self._interval = interval_s
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one tick at a time (timer, stop, tests)
        self._access: dict[str, float] = {}
        self._pins: dict[str, int] = {}
        # Downloads the user asked to keep (services/downloads.py): never evicted, but
        # unlike pins they do not touch the seeding policy.
        self._kept: set[str] = set()
        # Torrents the viewport preload added and nobody played (StreamService.is_warm_only):
        # evicted before anything the viewer actually watched.
        self._preload_only: Callable[[str], bool] = lambda _key: False
        self._seeding_since: dict[str, float] = {}  # monotonic, when first seen finished
        self._written: dict[str, tuple[object, ...]] = {}  # last Storage values per hash
        self._done: dict[str, int] = {}  # last total_done (to set last_write_at)
        self._dormant: dict[str, _Dormant] = {}
        self._stored_access_loaded = False
        engine.add_access_listener(self.touch)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="torrent-cache")

    async def stop(self) -> None:
        """Stop the timer and write the torrents' final state into Storage."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self.tick(evict=False)
        except Exception:
            log.exception("final torrent cache update failed")

    # ----------------------------------------------------------------- public API

    def pin(self, info_hash: str) -> None:
        """Mark a torrent as being played: never evicted, keeps seeding. Counted."""
        key = info_hash.lower()
        self._pins[key] = self._pins.get(key, 0) + 1
        self.touch(key)

    def unpin(self, info_hash: str) -> None:
        key = info_hash.lower()
        count = self._pins.get(key, 0) - 1
        if count > 0:
            self._pins[key] = count
        else:
            self._pins.pop(key, None)
        self.touch(key)

    def keep(self, info_hash: str) -> None:
        """Never evict this torrent (a download for later); it still counts in the quota."""
        self._kept.add(info_hash.lower())

    def release(self, info_hash: str) -> None:
        """Undo ``keep``: the torrent is evictable again."""
        self._kept.discard(info_hash.lower())

    def is_kept(self, info_hash: str) -> bool:
        return info_hash.lower() in self._kept

    def set_preload_check(self, preload_only: Callable[[str], bool]) -> None:
        """Torrents for which ``preload_only(info_hash)`` is true are evicted first."""
        self._preload_only = preload_only

    def touch(self, info_hash: str) -> None:
        """Record a use of the torrent now (it becomes the most recently used)."""
        self._access[info_hash.lower()] = self._clock()

    def is_playing(self, info_hash: str) -> bool:
        key = info_hash.lower()
        return key in self._pins or self._engine.is_streaming(key)

    @property
    def quota_bytes(self) -> int:
        """The cap from the settings, read each time so a change applies at once."""
        return max(0, int(float(self._settings.cache_quota_gb) * GIB))

    async def tick(self, evict: bool = True) -> TickReport:
        """One round of bookkeeping; see the module docstring."""
        async with self._lock:
            return await self._tick(evict)

    # ------------------------------------------------------------------ internals

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                report = await self.tick()
            except Exception:
                log.exception("torrent cache tick failed")
                continue
            if report.evicted or report.stopped_seeding:
                log.info("torrent cache: %.1f of %.1f GiB used; evicted %s; stopped "
                         "seeding %s", report.usage_bytes / GIB, report.quota_bytes / GIB,
                         report.evicted or "none", report.stopped_seeding or "none")

    async def _tick(self, evict: bool) -> TickReport:
        report = TickReport(quota_bytes=self.quota_bytes)
        stats = await self._engine.stats()
        now = self._clock()
        await self._load_stored_access([s.info_hash for s in stats])
        for st in stats:
            self._access.setdefault(st.info_hash, now)
            if self.is_playing(st.info_hash):
                self._access[st.info_hash] = now
        report.stopped_seeding = self._apply_seeding_policy(stats)
        if report.stopped_seeding:
            # Their state is "paused" now; refresh so Storage says so this tick.
            stats = await self._engine.stats()
        entries = [self._entry_of(st) for st in stats]
        entries += await asyncio.to_thread(self._dormant_entries,
                                           {st.info_hash for st in stats})
        report.usage_bytes = sum(e.bytes_on_disk for e in entries)
        evicted: list[CacheEntry] = []
        if evict and report.quota_bytes and report.usage_bytes > report.quota_bytes:
            evicted = await self._evict(entries, report)
        updates = [self._update_of(st) for st in stats
                   if st.info_hash not in {e.info_hash for e in evicted}]
        updates += [StorageUpdate(info_hash=e.info_hash, location=str(self._engine.save_root),
                                  status=EVICTED, downloaded_pieces=b"") for e in evicted]
        report.storage_rows = await self._write_storage(updates)
        return report

    def _apply_seeding_policy(self, stats: Sequence[TorrentStats]) -> list[str]:
        ratio_limit = float(self._settings.seed_ratio)
        minutes_limit = float(self._settings.seed_time_minutes)
        stopped: list[str] = []
        mono = time.monotonic()
        for st in stats:
            if not st.finished or st.paused:
                self._seeding_since.pop(st.info_hash, None)
                continue
            since = self._seeding_since.setdefault(st.info_hash, mono)
            if self.is_playing(st.info_hash):
                continue
            # Ratio against the size, not the bytes downloaded: a torrent that was
            # already complete on disk (downloaded 0) still shares its fair part.
            ratio = st.uploaded / st.total_wanted if st.total_wanted else 0.0
            # libtorrent's seeding time survives restarts (resume data); ours covers
            # builds whose bindings do not report it.
            seeded_s = max(st.seeding_s, mono - since)
            by_ratio = ratio_limit >= 0 and ratio >= ratio_limit
            by_time = minutes_limit >= 0 and seeded_s >= minutes_limit * 60
            if by_ratio or by_time:
                log.info("seeding policy: stopping %s (ratio %.2f, seeded %.0f s)",
                         st.info_hash, ratio, seeded_s)
                self._engine.stop_seeding(st.info_hash)
                stopped.append(st.info_hash)
        return stopped

    def _entry_of(self, st: TorrentStats) -> CacheEntry:
        return CacheEntry(st.info_hash, st.total_done, self._access.get(st.info_hash, 0.0),
                          in_session=True, playing=self.is_playing(st.info_hash),
                          name=st.name)

    async def _evict(self, entries: list[CacheEntry], report: TickReport) -> list[CacheEntry]:
        usage = report.usage_bytes
        evicted: list[CacheEntry] = []
        for entry in sorted((e for e in entries
                             if not e.playing and e.info_hash not in self._kept),
                            key=lambda e: (not self._preload_only(e.info_hash),
                                           e.last_access)):
            if usage <= report.quota_bytes:
                break
            # Checked again: a reader may have opened while this tick awaited.
            if self.is_playing(entry.info_hash):
                continue
            log.info("evicting %s (%s, %.1f MiB, last used %.0f s ago) to stay under the "
                     "%.1f GiB quota", entry.info_hash, entry.name or "?",
                     entry.bytes_on_disk / 2**20, self._clock() - entry.last_access,
                     report.quota_bytes / GIB)
            try:
                if entry.in_session:
                    await self._engine.remove(entry.info_hash, delete_files=True)
                else:
                    await asyncio.to_thread(self._delete_dormant, entry)
            except Exception:
                log.exception("evicting %s failed", entry.info_hash)
                continue
            usage -= entry.bytes_on_disk
            evicted.append(entry)
            report.evicted.append(entry.info_hash)
            self._forget(entry.info_hash)
        return evicted

    def _forget(self, key: str) -> None:
        self._access.pop(key, None)
        self._seeding_since.pop(key, None)
        self._written.pop(key, None)
        self._done.pop(key, None)
        self._dormant.pop(key, None)

    # -------------------------------------------- torrents outside the session

    def _dormant_entries(self, in_session: set[str]) -> list[CacheEntry]:
        """Torrents with resume data and files on disk that are not in the session."""
        entries: list[CacheEntry] = []
        seen: set[str] = set()
        for path in self._engine.resume_dir.glob("*.fastresume"):
            key = path.stem.lower()
            if key in in_session:
                continue
            seen.add(key)
            try:
                mtime_ns = path.stat().st_mtime_ns
            except OSError:
                continue
            dormant = self._dormant.get(key)
            if dormant is None or dormant.mtime_ns != mtime_ns:
                dormant = self._parse_resume(path, key, mtime_ns)
                if dormant is None:
                    continue
                self._dormant[key] = dormant
            used = sum(_allocated(f) for f in dormant.files)
            last = self._access.get(key, mtime_ns / 1e9)
            entries.append(CacheEntry(key, used, last, in_session=False, files=dormant.files,
                                      name=dormant.name))
        for key in set(self._dormant) - seen:
            del self._dormant[key]
        return entries

    def _parse_resume(self, path: Path, key: str, mtime_ns: int) -> _Dormant | None:
        try:
            params = lt.read_resume_data(path.read_bytes())
        except (OSError, RuntimeError) as exc:
            log.debug("skipping resume data %s: %s", path, exc)
            return None
        ti = params.ti
        if ti is None or key_of(params.info_hashes) != key:
            return None
        root = Path(params.save_path or self._engine.save_root)
        fs = ti.layout()
        files: list[Path] = []
        for i in range(fs.num_files()):
            if fs.file_flags(i) & lt.file_storage.flag_pad_file:
                continue
            candidate = root / fs.file_path(i)
            # Only ever delete inside the download folder, whatever a resume file says.
            if _inside(candidate, self._engine.save_root):
                files.append(candidate)
        return _Dormant(mtime_ns, ti.name(), tuple(files))

    def _delete_dormant(self, entry: CacheEntry) -> None:
        for path in entry.files:
            path.unlink(missing_ok=True)
        # Empty folders the torrent made (multi-file torrents), deepest first.
        root = self._engine.save_root.resolve()
        folders = {p.parent.resolve() for p in entry.files}
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != root and _inside(folder, root):
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent
        self._engine.resume_path(entry.info_hash).unlink(missing_ok=True)

    # ------------------------------------------------------------- Storage rows

    async def _load_stored_access(self, keys: Sequence[str]) -> None:
        """Once per run: last access times from Storage, so LRU survives restarts."""
        if self._stored_access_loaded or self._storage is None:
            return
        self._stored_access_loaded = True
        wanted = {p.stem.lower() for p in self._engine.resume_dir.glob("*.fastresume")}
        wanted.update(keys)
        try:
            stored = await asyncio.to_thread(self._storage.last_access, sorted(wanted))
        except Exception:
            log.exception("reading last access times failed")
            return
        for key, when in stored.items():
            # A use seen in this run (touch, add) is newer than anything stored.
            self._access.setdefault(key, _epoch(when))

    def _update_of(self, st: TorrentStats) -> StorageUpdate:
        previous_done = self._done.get(st.info_hash)
        self._done[st.info_hash] = st.total_done
        access = self._access.get(st.info_hash)
        return StorageUpdate(
            info_hash=st.info_hash, location=st.save_path, status=st.state,
            size=st.total_wanted, total_pieces=st.num_pieces, piece_length=st.piece_length,
            pieces_done=st.pieces_done, progress=round(st.progress, 4),
            downloaded=st.total_done, uploaded=st.uploaded, peers=st.peers,
            downloaded_pieces=st.pieces,
            last_access_at=datetime.fromtimestamp(access, UTC) if access else None,
            wrote=previous_done is not None and st.total_done > previous_done)

    async def _write_storage(self, updates: Sequence[StorageUpdate]) -> int:
        if self._storage is None:
            return 0
        # Only what changed since the last write: most ticks of a finished torrent that
        # nobody plays write nothing.
        changed = [u for u in updates if self._written.get(u.info_hash) != _fingerprint(u)]
        if not changed:
            return 0
        storage = self._storage
        now = datetime.now(UTC)
        try:
            rows = await asyncio.to_thread(storage.record, changed, now)
        except Exception:
            log.exception("writing Storage rows failed")
            return 0
        for update in changed:
            if update.status == EVICTED:
                self._written.pop(update.info_hash, None)
            else:
                self._written[update.info_hash] = _fingerprint(update)
        return rows


def _fingerprint(update: StorageUpdate) -> tuple[object, ...]:
    return (update.status, update.pieces_done, update.downloaded, update.uploaded,
            update.peers, update.last_access_at, update.location)


def _allocated(path: Path) -> int:
    """Bytes a (possibly sparse) file really uses on disk, at most its length."""
    try:
        st = os.stat(path)
    except OSError:
        return 0
    blocks = getattr(st, "st_blocks", None)
    return min(st.st_size, blocks * 512) if blocks is not None else st.st_size


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _epoch(when: datetime) -> float:
    # SQLite hands DateTime(timezone=True) back naive; the app writes UTC.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
