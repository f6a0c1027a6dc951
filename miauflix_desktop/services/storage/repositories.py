"""Queries and writes the services need, each a short transaction on its own session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Movie, MovieSource, WatchProgress


@dataclass(frozen=True)
class SourceRecord:
    """A source detached from the session (safe to hand to other tasks)."""

    id: int
    movie_id: int
    hash: str
    magnet_link: str
    torrent: bytes | None
    source: str
    size: int
    quality: str | None = None
    video_codec: str | None = None
    seeds: int | None = None
    peers: int | None = None
    score: int = 0
    audio: str = ""
    languages: str = ""
    explanation: str = ""
    playable: bool = True
    file_index: int | None = None
    hdr: str = ""  # "HDR10,DV"; "" for SDR
    bit_depth: int | None = None


def _record(src: MovieSource) -> SourceRecord:
    return SourceRecord(src.id, src.movie_id, src.hash, src.magnet_link, src.file, src.source,
                        src.size, src.quality, src.video_codec, src.broadcasters,
                        src.watchers, src.streaming_score, src.audio, src.languages,
                        src.score_explanation, src.playable, src.file_index,
                        src.hdr or "", src.bit_depth)


class MovieRepository:
    """Films, their sources and watch progress."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def demo_movies(self) -> list[Movie]:
        with self._db.session() as s:
            query = select(Movie).where(Movie.is_demo).order_by(Movie.tmdb_id.desc())
            return list(s.scalars(query))

    def get(self, movie_id: int) -> Movie | None:
        with self._db.session() as s:
            return s.get(Movie, movie_id)

    def upsert_demo(self, tmdb_id: int, title: str, overview: str, year: int, runtime: int,
                    poster: str, backdrop: str) -> int:
        """Create or refresh a demo film; returns its id (stable across runs)."""
        with self._db.session() as s, s.begin():
            movie = s.scalar(select(Movie).where(Movie.tmdb_id == tmdb_id))
            if movie is None:
                movie = Movie(tmdb_id=tmdb_id, title=title)
                s.add(movie)
            movie.title = title
            movie.overview = overview
            movie.release_date = f"{year:04d}-01-01"
            movie.runtime = runtime
            movie.poster = poster
            movie.backdrop = backdrop
            movie.is_demo = True
            s.flush()
            return movie.id

    def upsert_source(self, movie_id: int, info_hash: str, torrent: bytes, size: int,
                      source: str, quality: str | None = None,
                      video_codec: str | None = None) -> int:
        with self._db.session() as s, s.begin():
            src = s.scalar(select(MovieSource).where(MovieSource.movie_id == movie_id,
                                                     MovieSource.hash == info_hash))
            if src is None:
                src = MovieSource(movie_id=movie_id, hash=info_hash, source=source)
                s.add(src)
            src.file = torrent
            src.size = size
            src.quality = quality
            src.video_codec = video_codec
            src.magnet_link = f"magnet:?xt=urn:btih:{info_hash}"
            s.flush()
            return src.id

    def best_source(self, movie_id: int) -> SourceRecord | None:
        with self._db.session() as s:
            # Playable first (this PC cannot decode the others), then by score.
            src = s.scalar(select(MovieSource).where(MovieSource.movie_id == movie_id)
                           .order_by(MovieSource.playable.desc(),
                                     MovieSource.streaming_score.desc(), MovieSource.id))
            return _record(src) if src else None

    def sources(self, movie_id: int) -> list[SourceRecord]:
        """Every source of a film, in the order best_source() would pick them."""
        with self._db.session() as s:
            rows = s.scalars(select(MovieSource).where(MovieSource.movie_id == movie_id)
                             .order_by(MovieSource.playable.desc(),
                                       MovieSource.streaming_score.desc(), MovieSource.id))
            return [_record(src) for src in rows]

    def get_source(self, source_id: int) -> SourceRecord | None:
        with self._db.session() as s:
            src = s.get(MovieSource, source_id)
            return _record(src) if src else None

    def progress(self, movie_id: int) -> WatchProgress | None:
        with self._db.session() as s:
            return s.get(WatchProgress, movie_id)

    def forget_progress(self, movie_id: int) -> None:
        """Start over: the next Play begins at 0 (the row goes; "Continue watching" too)."""
        with self._db.session() as s, s.begin():
            row = s.get(WatchProgress, movie_id)
            if row is not None:
                s.delete(row)

    def save_progress(self, movie_id: int, position: float, duration: float) -> None:
        with self._db.session() as s, s.begin():
            row = s.get(WatchProgress, movie_id)
            if row is None:
                row = WatchProgress(movie_id=movie_id)
                s.add(row)
            row.position = position
            row.duration = duration
