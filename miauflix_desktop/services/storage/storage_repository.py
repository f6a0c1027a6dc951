"""Storage rows: what the torrent cache knows about each source's data on disk.

A torrent is known by its info hash; a Storage row belongs to a MovieSource. The same
release can be a source of more than one title, so one torrent may update several rows.
Sources are found by their (deterministically encrypted, ADR 0005) hash, in lower and
upper case because providers spell hashes either way. Torrents without a source (a
magnet added by hand, metadata lookups) have no row and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import MovieSource, Storage

EVICTED = "evicted"


@dataclass(frozen=True)
class StorageUpdate:
    """One torrent's state to write into the Storage rows of its sources."""

    info_hash: str
    location: str
    status: str  # "downloading", "seeding", "paused" or "evicted"
    size: int = 0
    total_pieces: int = 0
    piece_length: int = 0
    pieces_done: int = 0
    progress: float = 0.0
    downloaded: int = 0  # verified bytes on disk
    uploaded: int = 0  # all-time bytes sent to peers
    peers: int = 0
    downloaded_pieces: bytes | None = None  # bitfield; None = leave as it is
    last_access_at: datetime | None = None  # None = leave as it is
    wrote: bool = False  # data was written since the last update (sets last_write_at)


@dataclass(frozen=True)
class StorageRecord:
    """A Storage row detached from its session."""

    movie_source_id: int
    status: str
    size: int
    downloaded: int
    uploaded: int
    pieces_done: int
    total_pieces: int
    progress: float
    peers: int
    location: str
    last_access_at: datetime | None


def _hash_forms(info_hash: str) -> list[str]:
    return list(dict.fromkeys([info_hash.lower(), info_hash.upper()]))


class StorageRepository:
    """Writes torrent state into Storage rows; each call is one short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, updates: Sequence[StorageUpdate], now: datetime) -> int:
        """Create or update the rows of every update's sources; returns rows written."""
        written = 0
        with self._db.session() as s, s.begin():
            for update in updates:
                sources = s.scalars(select(MovieSource).where(
                    MovieSource.hash.in_(_hash_forms(update.info_hash))))
                for source in sources:
                    row = source.storage
                    if row is None:
                        row = Storage(movie_source_id=source.id, location=update.location)
                        s.add(row)
                    _apply(row, update, now)
                    written += 1
        return written

    def get(self, info_hash: str) -> list[StorageRecord]:
        """The Storage rows of every source with this info hash."""
        with self._db.session() as s:
            rows = s.scalars(select(Storage).join(MovieSource).where(
                MovieSource.hash.in_(_hash_forms(info_hash))).order_by(Storage.id))
            return [_record(row) for row in rows]

    def last_access(self, info_hashes: Iterable[str]) -> dict[str, datetime]:
        """The latest last_access_at per info hash (the cache's LRU across restarts)."""
        out: dict[str, datetime] = {}
        with self._db.session() as s:
            for info_hash in info_hashes:
                latest = s.scalar(select(Storage.last_access_at).join(MovieSource).where(
                    MovieSource.hash.in_(_hash_forms(info_hash)),
                    Storage.last_access_at.is_not(None))
                    .order_by(Storage.last_access_at.desc()).limit(1))
                if latest is not None:
                    out[info_hash.lower()] = latest
        return out


def _apply(row: Storage, update: StorageUpdate, now: datetime) -> None:
    row.location = update.location
    row.status = update.status
    row.size = update.size or row.size
    row.total_pieces = update.total_pieces or row.total_pieces
    row.piece_length = update.piece_length or row.piece_length
    row.pieces_done = update.pieces_done
    row.progress = update.progress
    row.downloaded = update.downloaded
    row.uploaded = update.uploaded
    row.peers = update.peers
    if update.downloaded_pieces is not None:
        row.downloaded_pieces = update.downloaded_pieces
    if update.last_access_at is not None:
        row.last_access_at = update.last_access_at
    if update.wrote:
        row.last_write_at = now


def _record(row: Storage) -> StorageRecord:
    return StorageRecord(row.movie_source_id, row.status, row.size, row.downloaded,
                         row.uploaded, row.pieces_done, row.total_pieces, row.progress,
                         row.peers, row.location, row.last_access_at)
