"""Download marks: the films the user asked to keep on disk (table ``download``, 0007)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Download, Movie


@dataclass(frozen=True)
class DownloadRecord:
    """A download row with its film's title, detached from the session."""

    movie_id: int
    title: str
    poster: str
    source_id: int | None
    state: str
    error: str
    size: int
    created_at: datetime
    completed_at: datetime | None


class DownloadRepository:
    """Reads and writes download marks; each call is one short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[DownloadRecord]:
        """Every mark, oldest first (the order they were asked for)."""
        with self._db.session() as s:
            rows = s.execute(select(Download, Movie.title, Movie.poster)
                             .join(Movie, Movie.id == Download.movie_id)
                             .order_by(Download.created_at, Download.id))
            return [_record(d, title, poster) for d, title, poster in rows]

    def get(self, movie_id: int) -> DownloadRecord | None:
        with self._db.session() as s:
            row = s.execute(select(Download, Movie.title, Movie.poster)
                            .join(Movie, Movie.id == Download.movie_id)
                            .where(Download.movie_id == movie_id)).first()
            return _record(*row) if row is not None else None

    def mark(self, movie_id: int, source_id: int, size: int) -> DownloadRecord:
        """Create the mark (or point an existing one at this source, queued again)."""
        with self._db.session() as s, s.begin():
            row = s.scalar(select(Download).where(Download.movie_id == movie_id))
            if row is None:
                row = Download(movie_id=movie_id)
                s.add(row)
            row.movie_source_id = source_id
            row.size = size
            row.state = "queued"
            row.error = ""
            row.completed_at = None
        record = self.get(movie_id)
        assert record is not None
        return record

    def update(self, movie_id: int, *, state: str, error: str = "", size: int | None = None,
               completed_at: datetime | None = None) -> None:
        with self._db.session() as s, s.begin():
            row = s.scalar(select(Download).where(Download.movie_id == movie_id))
            if row is None:
                return
            row.state = state
            row.error = error
            if size:
                row.size = size
            row.completed_at = completed_at

    def remove(self, movie_id: int) -> bool:
        with self._db.session() as s, s.begin():
            row = s.scalar(select(Download).where(Download.movie_id == movie_id))
            if row is None:
                return False
            s.delete(row)
            return True


def _record(row: Download, title: str, poster: str) -> DownloadRecord:
    return DownloadRecord(row.movie_id, title, poster or "", row.movie_source_id, row.state,
                          row.error, row.size, row.created_at, row.completed_at)
