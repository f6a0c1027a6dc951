"""Download marks: the films (table ``download``, 0007) and the seasons of series (table
``season_download``, 0009) the user asked to keep on disk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import (
    Download,
    EpisodeSource,
    Movie,
    SeasonDownload,
    TVShow,
)


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


@dataclass(frozen=True)
class SeasonDownloadRecord:
    """One torrent of a marked season, with its series and source, detached."""

    id: int
    show_id: int
    show_title: str
    poster: str
    season: int
    source_id: int | None
    episodes: tuple[int, ...]
    state: str
    error: str
    size: int
    # The source's torrent (None: the source is gone); hash lower case.
    hash: str
    magnet: str
    torrent: bytes | None
    created_at: datetime


@dataclass(frozen=True)
class SeasonPick:
    """A torrent chosen for a season: the source and the episodes it is chosen for."""

    source_id: int
    size: int
    episodes: tuple[int, ...]


class SeasonDownloadRepository:
    """Reads and writes season marks (``season_download``); each call one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[SeasonDownloadRecord]:
        """Every row, oldest mark first."""
        with self._db.session() as s:
            rows = s.execute(
                select(SeasonDownload, TVShow.name, TVShow.poster, EpisodeSource)
                .join(TVShow, TVShow.id == SeasonDownload.tvshow_id)
                .outerjoin(EpisodeSource, EpisodeSource.id == SeasonDownload.episode_source_id)
                .order_by(SeasonDownload.created_at, SeasonDownload.id))
            return [_season_record(*row) for row in rows]

    def mark(self, show_id: int, season: int,
             picks: list[SeasonPick]) -> list[SeasonDownloadRecord]:
        """The season's rows become exactly ``picks`` (a mark made again replaces them)."""
        with self._db.session() as s, s.begin():
            existing = {r.episode_source_id: r for r in s.scalars(
                select(SeasonDownload).where(SeasonDownload.tvshow_id == show_id,
                                             SeasonDownload.season_number == season))}
            for pick in picks:
                row = existing.pop(pick.source_id, None)
                if row is None:
                    row = SeasonDownload(tvshow_id=show_id, season_number=season,
                                         episode_source_id=pick.source_id)
                    s.add(row)
                row.episodes = ",".join(str(n) for n in pick.episodes)
                row.size = pick.size
                row.state = "queued"
                row.error = ""
                row.completed_at = None
            for row in existing.values():
                s.delete(row)
        return [r for r in self.all() if r.show_id == show_id and r.season == season]

    def update(self, row_id: int, *, state: str, error: str = "", size: int | None = None,
               completed_at: datetime | None = None) -> None:
        with self._db.session() as s, s.begin():
            row = s.get(SeasonDownload, row_id)
            if row is None:
                return
            row.state = state
            row.error = error
            if size:
                row.size = size
            row.completed_at = completed_at

    def get(self, row_id: int) -> SeasonDownloadRecord | None:
        return next((r for r in self.all() if r.id == row_id), None)

    def remove(self, show_id: int, season: int) -> int:
        """Forget a season's mark; returns how many rows went."""
        with self._db.session() as s, s.begin():
            rows = list(s.scalars(select(SeasonDownload).where(
                SeasonDownload.tvshow_id == show_id, SeasonDownload.season_number == season)))
            for row in rows:
                s.delete(row)
            return len(rows)


def _season_record(row: SeasonDownload, title: str, poster: str | None,
                   src: EpisodeSource | None) -> SeasonDownloadRecord:
    episodes = tuple(int(n) for n in row.episodes.split(",") if n)
    return SeasonDownloadRecord(
        row.id, row.tvshow_id, title, poster or "", row.season_number, row.episode_source_id,
        episodes, row.state, row.error, row.size,
        src.hash.lower() if src is not None else "",
        src.magnet_link if src is not None else "",
        src.file if src is not None else None, row.created_at)
