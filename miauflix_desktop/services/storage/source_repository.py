"""What source discovery reads and writes: titles to search, found releases, metadata
and tracker stats, for films and for episodes of series (EpisodeSourceRepository).
Each method is one short transaction (call it via asyncio.to_thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import (
    Episode,
    EpisodeProgress,
    EpisodeSource,
    EpisodeSourceFile,
    Movie,
    MovieSource,
    Season,
    TVShow,
)

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


def _copy_release(src: MovieSource | EpisodeSource, f: FoundSource) -> None:
    """What parsing and scoring said about a release, onto its film or series row (both
    tables have the same release columns)."""
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
                _copy_release(src, f)
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


# ---------------------------------------------------------------------------------------
# Episodes of series


@dataclass(frozen=True)
class EpisodeToSearch:
    """An episode the providers should be asked about (with its series' ids)."""

    episode_id: int
    show_id: int
    show_tmdb_id: int
    imdb_id: str | None  # the series' IMDb id (providers list episodes under it)
    show_title: str
    year: int | None
    season: int
    episode: int
    title: str


@dataclass(frozen=True)
class FoundEpisodeSource:
    """A scored release of a series and the (season, episode) pairs it holds; episode 0
    stands for a whole season (a pack, mapped to its files later)."""

    found: FoundSource
    holds: tuple[tuple[int, int], ...]
    season_pack: bool


@dataclass(frozen=True)
class EpisodeSourceRecord:
    """A stored episode source as playback needs it (detached from the session)."""

    id: int
    show_id: int
    hash: str
    magnet_link: str
    torrent: bytes | None
    source: str
    release_name: str
    size: int
    quality: str | None
    video_codec: str | None
    seeds: int | None
    peers: int | None
    score: int
    audio: str
    languages: str
    explanation: str
    playable: bool
    season_pack: bool
    files_mapped: bool
    # The file of the asked episode when known (None: find it in the file list).
    file_index: int | None


def _episode_record(src: EpisodeSource, file_index: int | None) -> EpisodeSourceRecord:
    return EpisodeSourceRecord(
        src.id, src.tvshow_id, src.hash, src.magnet_link, src.file, src.source,
        src.release_name, src.size, src.quality, src.video_codec, src.broadcasters,
        src.watchers, src.streaming_score, src.audio, src.languages, src.score_explanation,
        src.playable, src.season_pack, src.files_mapped, file_index)


class EpisodeSourceRepository:
    """Series releases (EpisodeSource), the episodes each holds, and episode progress."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- catalog --------------------------------------------------------------------

    def episode(self, episode_id: int) -> EpisodeToSearch | None:
        with self._db.session() as s:
            row = s.execute(
                select(Episode, Season.season_number, TVShow)
                .join(Season, Episode.season_id == Season.id)
                .join(TVShow, Season.tvshow_id == TVShow.id)
                .where(Episode.id == episode_id)).first()
            if row is None:
                return None
            ep, season, show = row
            return EpisodeToSearch(ep.id, show.id, show.tmdb_id, show.imdb_id, show.name,
                                   show.year, season, ep.episode_number, ep.name)

    def next_episode(self, episode_id: int) -> EpisodeToSearch | None:
        """The episode after this one: the next of its season, else the first of the
        next season (specials, season 0, are never "next")."""
        current = self.episode(episode_id)
        if current is None:
            return None
        with self._db.session() as s:
            next_id = s.scalar(
                select(Episode.id).join(Season, Episode.season_id == Season.id)
                .where(Season.tvshow_id == current.show_id, Season.season_number > 0,
                       or_(Season.season_number > current.season,
                           (Season.season_number == current.season)
                           & (Episode.episode_number > current.episode)))
                .order_by(Season.season_number, Episode.episode_number).limit(1))
        return self.episode(next_id) if next_id is not None else None

    def set_show_imdb_id(self, show_id: int, imdb_id: str) -> None:
        with self._db.session() as s, s.begin():
            show = s.get(TVShow, show_id)
            if show is not None and not show.imdb_id:
                show.imdb_id = imdb_id

    # -- sources --------------------------------------------------------------------

    def save_found(self, show_id: int, found: list[FoundEpisodeSource]) -> int:
        """Insert new releases and refresh known ones (by info hash), adding the episodes
        they hold; returns how many were new. File indexes already mapped are kept."""
        new = 0
        with self._db.session() as s, s.begin():
            existing = {src.hash: src for src in s.scalars(
                select(EpisodeSource).where(EpisodeSource.tvshow_id == show_id))}
            for item in found:
                f = item.found
                src = existing.get(f.info_hash)
                if src is None:
                    src = EpisodeSource(tvshow_id=show_id, hash=f.info_hash, source=f.provider)
                    s.add(src)
                    existing[f.info_hash] = src
                    new += 1
                src.magnet_link = f.magnet
                src.url = f.torrent_url or src.url
                src.release_name = f.release_name
                src.size = f.size_bytes or src.size
                src.broadcasters = f.seeds
                src.watchers = f.peers
                _copy_release(src, f)
                src.season_pack = item.season_pack
                s.flush()
                held = {(r.season_number, r.episode_number) for r in src.files}
                for season, episode in item.holds:
                    if (season, episode) not in held:
                        src.files.append(EpisodeSourceFile(season_number=season,
                                                           episode_number=episode))
                        held.add((season, episode))
        return new

    def sources_for(self, show_id: int, season: int,
                    episode: int) -> list[EpisodeSourceRecord]:
        """The releases holding one episode, best first: playable, then score; at equal
        score a single-episode release before a pack (see _candidate_order)."""
        with self._db.session() as s:
            rows = s.execute(
                select(EpisodeSource, EpisodeSourceFile)
                .join(EpisodeSourceFile,
                      EpisodeSourceFile.episode_source_id == EpisodeSource.id)
                .where(EpisodeSource.tvshow_id == show_id,
                       EpisodeSourceFile.season_number == season,
                       or_(EpisodeSourceFile.episode_number == episode,
                           # A pack not opened yet: it should hold every episode of the
                           # season; once mapped, only its real files count.
                           (EpisodeSourceFile.episode_number == 0)
                           & EpisodeSource.files_mapped.is_(False)))).all()
            best: dict[int, EpisodeSourceRecord] = {}
            for src, link in rows:
                known = best.get(src.id)
                if known is None or (known.file_index is None and link.episode_number):
                    best[src.id] = _episode_record(
                        src, link.file_index if link.episode_number else None)
            return sorted(best.values(), key=_candidate_order)

    def get(self, source_id: int, season: int, episode: int) -> EpisodeSourceRecord | None:
        """One source as sources_for() describes it (None if it does not hold the
        episode)."""
        with self._db.session() as s:
            src = s.get(EpisodeSource, source_id)
            if src is None:
                return None
            show_id = src.tvshow_id
        return next((r for r in self.sources_for(show_id, season, episode)
                     if r.id == source_id), None)

    def save_file_map(self, source_id: int, files: dict[tuple[int, int], int],
                      torrent: bytes | None = None) -> None:
        """The torrent's file list was read: (season, episode) -> file index for every
        episode file; the season placeholders go (an episode the pack lacks stops
        being offered)."""
        with self._db.session() as s, s.begin():
            src = s.get(EpisodeSource, source_id)
            if src is None:
                return
            by_key = {(r.season_number, r.episode_number): r for r in src.files}
            for (season, episode), index in files.items():
                row = by_key.get((season, episode))
                if row is None:
                    src.files.append(EpisodeSourceFile(season_number=season,
                                                       episode_number=episode,
                                                       file_index=index))
                else:
                    row.file_index = index
            for key, row in by_key.items():
                if key[1] == 0:
                    src.files.remove(row)
            src.files_mapped = True
            if torrent is not None and src.file is None:
                src.file = torrent

    # -- progress -------------------------------------------------------------------

    def progress(self, episode_id: int) -> tuple[float, float] | None:
        with self._db.session() as s:
            row = s.get(EpisodeProgress, episode_id)
            return (row.position, row.duration) if row is not None else None

    def save_progress(self, episode_id: int, position: float, duration: float) -> None:
        with self._db.session() as s, s.begin():
            row = s.get(EpisodeProgress, episode_id)
            if row is None:
                row = EpisodeProgress(episode_id=episode_id)
                s.add(row)
            row.position = position
            row.duration = duration

    def season_episode_numbers(self, show_id: int, season: int) -> list[int]:
        """The season's episode numbers in order (what downloading it covers)."""
        with self._db.session() as s:
            return list(s.scalars(
                select(Episode.episode_number).join(Season, Episode.season_id == Season.id)
                .where(Season.tvshow_id == show_id, Season.season_number == season)
                .order_by(Episode.episode_number)))

    def source(self, source_id: int) -> EpisodeSourceRecord | None:
        """One source by id (no particular episode: file_index None)."""
        with self._db.session() as s:
            src = s.get(EpisodeSource, source_id)
            return _episode_record(src, None) if src is not None else None

    def forget_progress(self, episode_id: int) -> None:
        """"Start over": the episode's next open starts at 0."""
        with self._db.session() as s, s.begin():
            row = s.get(EpisodeProgress, episode_id)
            if row is not None:
                s.delete(row)


def _candidate_order(record: EpisodeSourceRecord) -> tuple[bool, int, bool, int]:
    # Score first: availability dominates it, and a well-seeded pack should beat a
    # barely-seeded single episode. At equal score the single episode wins: its torrent
    # is smaller (metadata sooner, less of the cache quota taken) and needs no file
    # mapping before the first byte.
    return (not record.playable, -record.score, record.season_pack, record.id)
