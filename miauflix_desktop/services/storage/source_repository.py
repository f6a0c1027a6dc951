"""What source discovery reads and writes: titles to search, found releases, metadata
and tracker stats. Each method is one short transaction (call it via asyncio.to_thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Movie, MovieSource

# The demo library's own sources: seeded locally, nothing to discover or check.
DEMO_SOURCE = "demo"


@dataclass(frozen=True)
class TitleToSearch:
    """A film the providers should be asked about."""

    movie_id: int
    tmdb_id: int
    imdb_id: str | None
    title: str
    year: int | None


@dataclass(frozen=True)
class FoundSource:
    """One scored release ready to store (plaintext here; the model encrypts columns)."""

    info_hash: str
    provider: str
    release_name: str
    magnet: str
    torrent_url: str | None
    size_bytes: int
    seeds: int | None
    peers: int | None
    uploaded_at: datetime | None
    quality: str | None
    video_codec: str | None
    release_type: str | None
    audio: str
    languages: str
    hdr: str
    bit_depth: int | None
    score: int
    explanation: str
    playable: bool


@dataclass(frozen=True)
class SourceRef:
    """A stored source as the background jobs need it."""

    id: int
    movie_id: int
    info_hash: str
    magnet: str
    torrent_url: str | None
    release_name: str
    provider: str
    size_bytes: int
    seeds: int | None
    peers: int | None
    uploaded_at: datetime | None
    quality: str | None
    video_codec: str | None
    release_type: str | None
    dead_since: datetime | None
    last_stats_check: datetime | None


SourceRefs = list[SourceRef]


def _year(release_date: str) -> int | None:
    return int(release_date[:4]) if release_date[:4].isdigit() else None


def _ref(src: MovieSource) -> SourceRef:
    return SourceRef(src.id, src.movie_id, src.hash, src.magnet_link, src.url,
                     src.release_name, src.source, src.size, src.broadcasters, src.watchers,
                     src.source_uploaded_at, src.quality, src.video_codec, src.source_type,
                     src.dead_since, src.last_stats_check)


class SourceRepository:
    """Films' source-search state and their MovieSource rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- titles ---------------------------------------------------------------------

    def title(self, movie_id: int) -> TitleToSearch | None:
        with self._db.session() as s:
            m = s.get(Movie, movie_id)
            if m is None:
                return None
            return TitleToSearch(m.id, m.tmdb_id, m.imdb_id, m.title, _year(m.release_date))

    def titles_to_search(self, stale_before: datetime, limit: int = 1) -> list[TitleToSearch]:
        """Never-searched films first (most popular first), then the longest ago searched
        before `stale_before`. Demo titles have their own sources and are skipped."""
        with self._db.session() as s:
            rows = s.execute(
                select(Movie.id, Movie.tmdb_id, Movie.imdb_id, Movie.title,
                       Movie.release_date)
                # TMDB films only: demo titles (and torrents the user added, negative
                # ids) bring their own source and have nothing to look up.
                .where(Movie.is_demo.is_(False), Movie.tmdb_id > 0,
                       or_(Movie.sources_searched_at.is_(None),
                           Movie.sources_searched_at < stale_before))
                .order_by(Movie.sources_searched_at.is_not(None),
                          Movie.sources_searched_at, Movie.popularity.desc())
                .limit(limit)
            ).all()
            return [TitleToSearch(r.id, r.tmdb_id, r.imdb_id, r.title, _year(r.release_date))
                    for r in rows]

    def set_imdb_id(self, movie_id: int, imdb_id: str) -> None:
        with self._db.session() as s, s.begin():
            movie = s.get(Movie, movie_id)
            if movie is not None and not movie.imdb_id:
                # Another film may already hold this id (a duplicate TMDB entry): keep
                # the first, the unique index would refuse the second anyway.
                taken = s.scalar(select(Movie.id).where(Movie.imdb_id == imdb_id))
                if taken is None:
                    movie.imdb_id = imdb_id

    def mark_searched(self, movie_id: int, when: datetime, found: int) -> None:
        with self._db.session() as s, s.begin():
            movie = s.get(Movie, movie_id)
            if movie is None:
                return
            movie.sources_searched_at = when
            movie.source_search_misses = 0 if found else movie.source_search_misses + 1

    # -- sources --------------------------------------------------------------------

    def save_found(self, movie_id: int, found: list[FoundSource], when: datetime) -> int:
        """Insert new releases and refresh known ones (by info hash); returns how many
        were new. Validated metadata and tracker stats already stored are kept."""
        new = 0
        with self._db.session() as s, s.begin():
            existing = {src.hash: src for src in s.scalars(
                select(MovieSource).where(MovieSource.movie_id == movie_id))}
            for f in found:
                src = existing.get(f.info_hash)
                if src is None:
                    src = MovieSource(movie_id=movie_id, hash=f.info_hash, source=f.provider,
                                      next_stats_check_at=when)
                    s.add(src)
                    existing[f.info_hash] = src
                    new += 1
                src.magnet_link = f.magnet
                src.url = f.torrent_url or src.url
                src.release_name = f.release_name
                src.size = f.size_bytes or src.size
                if src.last_stats_check is None:
                    # Until our own tracker check, the provider's counts are all we have.
                    src.broadcasters = f.seeds
                    src.watchers = f.peers
                src.source_uploaded_at = f.uploaded_at
                src.quality = f.quality
                src.video_codec = f.video_codec
                src.source_type = f.release_type
                src.audio = f.audio
                src.languages = f.languages
                src.hdr = f.hdr
                src.bit_depth = f.bit_depth
                src.streaming_score = f.score
                src.score_explanation = f.explanation
                src.playable = f.playable
        return new

    def sources_of(self, movie_id: int) -> list[SourceRef]:
        with self._db.session() as s:
            return [_ref(src) for src in s.scalars(
                select(MovieSource).where(MovieSource.movie_id == movie_id)
                .order_by(MovieSource.streaming_score.desc(), MovieSource.id))]

    def sources_without_file(self, limit: int = 1) -> list[SourceRef]:
        """Sources whose metadata was never fetched and validated (best scored first)."""
        with self._db.session() as s:
            return [_ref(src) for src in s.scalars(
                select(MovieSource).where(MovieSource.file_count.is_(None),
                                          MovieSource.file.is_(None),
                                          MovieSource.source != DEMO_SOURCE)
                .order_by(MovieSource.streaming_score.desc()).limit(limit))]

    def save_file(self, source_id: int, torrent: bytes, file_index: int, file_count: int,
                  size: int) -> None:
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None:
                src.file = torrent
                src.file_index = file_index
                src.file_count = file_count
                src.size = size

    def mark_file_unavailable(self, source_id: int) -> None:
        """Nobody delivered the metadata this time (file_count 0); resync retries later."""
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None and src.file is None:
                src.file_count = 0

    def retry_unavailable_files(self) -> int:
        with self._db.session() as s, s.begin():
            # synchronize_session=False: the ORM would otherwise evaluate the criteria in
            # Python against loaded rows, which the encrypted `file` column refuses.
            result = s.execute(update(MovieSource).where(MovieSource.file_count == 0,
                                                         MovieSource.file.is_(None))
                               .values(file_count=None)
                               .execution_options(synchronize_session=False))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def mark_file_rejected(self, source_id: int) -> None:
        """Metadata failed validation: the source can never play, so it goes."""
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None:
                s.delete(src)

    def sources_due_for_stats(self, now: datetime, limit: int = 20) -> list[SourceRef]:
        with self._db.session() as s:
            return [_ref(src) for src in s.scalars(
                select(MovieSource).where(MovieSource.next_stats_check_at <= now,
                                          MovieSource.source != DEMO_SOURCE)
                .order_by(MovieSource.next_stats_check_at).limit(limit))]

    def save_stats(self, source_id: int, seeds: int, peers: int, checked: datetime,
                   next_check: datetime, score: int, explanation: str,
                   playable: bool) -> None:
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is None:
                return
            src.broadcasters = seeds
            src.watchers = peers
            src.last_stats_check = checked
            src.next_stats_check_at = next_check
            src.streaming_score = score
            src.score_explanation = explanation
            src.playable = playable
            if seeds > 0:
                src.dead_since = None
            elif src.dead_since is None:
                src.dead_since = checked

    def postpone_stats(self, source_id: int, next_check: datetime) -> None:
        """No tracker answered: try again later without touching the counts."""
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None:
                src.next_stats_check_at = next_check

    def page_of_sources(self, after_id: int, limit: int = 50) -> list[SourceRef]:
        """Sources in id order from after_id (resync walks the table in pages)."""
        with self._db.session() as s:
            return [_ref(src) for src in s.scalars(
                select(MovieSource).where(MovieSource.id > after_id,
                                          MovieSource.source != DEMO_SOURCE)
                .order_by(MovieSource.id).limit(limit))]

    def rescore(self, source_id: int, score: int, explanation: str, playable: bool,
                quality: str | None, video_codec: str | None) -> None:
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None:
                src.streaming_score = score
                src.score_explanation = explanation
                src.playable = playable
                src.quality = quality
                src.video_codec = video_codec

    def drop_source(self, source_id: int) -> None:
        with self._db.session() as s, s.begin():
            src = s.get(MovieSource, source_id)
            if src is not None:
                s.delete(src)
