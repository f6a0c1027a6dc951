"""The catalog's reads and writes: sync upserts, Home shelves, Browse, Details, search.

Every method is synchronous and one short transaction on its own session (callers run
them with ``asyncio.to_thread``); results are frozen values (``core.media`` types or the
records below), never live ORM objects, so they are safe to hand to other tasks.

Images: rows store what TMDB returns (``/abc.jpg``); items carry ``tmdb:<size>:<path>``
for the image cache. Demo films (``is_demo``) store local file paths, passed through.

Languages: translations are stored under the code the sync used ("it-IT" or "it"). A
request for "it-IT" prefers "it-IT", then "it", then any "it-*"; titles then fall back
to the row's own title (English as synced) and last to the original title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    TextClause,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from miauflix_desktop.core.media import (
    MOVIE,
    SORT_NEWEST,
    SORT_POPULAR,
    SORT_RATING,
    SORT_TITLE,
    TV,
    WATCHED_FRACTION,
    EpisodeItem,
    EpisodeRef,
    Genre,
    MediaItem,
    SeasonItem,
)
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.fts import (
    BM25_WEIGHTS,
    POPULARITY_TIERS,
    fold,
    match_expression,
    tokens,
    with_tier,
)
from miauflix_desktop.services.storage.models import (
    Episode,
    GenreTranslation,
    MediaList,
    MediaListMovie,
    MediaListTVShow,
    Movie,
    MovieGenre,
    MovieTranslation,
    Season,
    SyncState,
    TVShow,
    TVShowGenre,
    TVShowTranslation,
    WatchProgress,
)
from miauflix_desktop.services.storage.models import Genre as GenreRow

DEFAULT_LANGUAGE = "en-US"
SORTS = (SORT_POPULAR, SORT_RATING, SORT_NEWEST, SORT_TITLE)
# Past this share of the runtime the film counts as watched (end credits).
FINISHED_FRACTION = 0.95
# Popularity's weight in search ranking: score = bm25 * (1 + k * ln(1 + popularity)).
# With title weight 10 vs translations 1, no popularity makes a translated-title-only
# hit outrank a title hit; among title hits it lifts well-known films over obscure
# namesakes whose shorter titles bm25 would otherwise prefer.
POPULARITY_BOOST = 0.2

# Up to this many matches every one is scored with bm25; past it the query is broad (a
# short prefix) and only the most popular matches are ranked. Scoring costs ~10 us a
# match (bm25 reads each row's column sizes, popularity a row lookup): 4-5 ms at 400.
FULL_RANK_MAX = 150
BROAD_CANDIDATES = 60
# A broad query's kind with up to this many matches has them all joined to their rows and
# sorted by popularity (one primary-key lookup each: ~0.5 ms for 600). Past it, FTS5 is
# asked only for the matches of a popularity tier (migration 0003) expected to hold
# TIER_MARGIN times the candidates needed, so an uneven spread of matches rarely forces
# the second, three times larger tier.
BROAD_JOIN_MAX = 600
TIER_MARGIN = 1.25
# In a broad search, a title that starts with the typed words ranks as if this many times
# more popular than one that merely contains them: "Alien" before "Aliens in the Attic",
# yet an obscure namesake still below a famous film ("Matrix", 0.5, after "The Matrix").
TITLE_START_BOOST = 4.0

# title_search rowids: movie.id for a film, tvshow.id + TV_ROWID_BASE for a series
# (migration 0002), so one kind's matches are a rowid range FTS5 seeks to.
TV_ROWID_BASE = 1 << 40

# Both kinds' counts in one pass over the matches (every FTS5 query on a prefix of four
# letters or more merges the doclists of all its terms again), and the series' ids as
# a JSON list: series are the smaller kind, and with these a broad search needs no second
# pass for them.
_COUNT_MATCHES = text(f"""
    SELECT count(*), count(*) FILTER (WHERE rowid >= {TV_ROWID_BASE}),
           '[' || coalesce(group_concat(rowid - {TV_ROWID_BASE})
                           FILTER (WHERE rowid >= {TV_ROWID_BASE}), '') || ']'
    FROM title_search WHERE title_search MATCH :expr
""")
# The broad search's series candidates, from the ids the count collected.
_SHOWS_BY_IDS = text("""
    SELECT id, popularity, name AS title, original_name AS original FROM tvshow
    WHERE id IN (SELECT value FROM json_each(:ids))
    ORDER BY popularity DESC LIMIT :limit
""")
# Joining on the rowid avoids reading the FTS content row of every match.
_RANKED = text(f"""
    SELECT ts.rowid
    FROM title_search AS ts
    LEFT JOIN movie AS m ON ts.rowid < {TV_ROWID_BASE} AND m.id = ts.rowid
    LEFT JOIN tvshow AS t ON ts.rowid >= {TV_ROWID_BASE} AND t.id = ts.rowid - {TV_ROWID_BASE}
    WHERE title_search MATCH :expr
    ORDER BY bm25(title_search, {", ".join(str(w) for w in BM25_WEIGHTS)})
             * (1 + :boost * ln(1 + max(coalesce(m.popularity, t.popularity), 0))),
             coalesce(m.popularity, t.popularity) DESC
    LIMIT :limit
""")


@dataclass(frozen=True)
class _BroadSQL:
    """A kind's statements for the most popular matches of a broad query.

    ``join``: every match looked up by primary key and sorted; for a few hundred matches
    (a tier's, or a kind with few). ``walk``: the popularity index walked from the top,
    keeping rows the MATCH (materialised once) holds; for thousands of matches, where
    the lookups would cost more (the unary + stops SQLite from probing the primary key
    for every match instead). ``floor``: the popularity of the title at rank
    ``:share`` x (the kind's size), where the tier to ask for starts.
    """

    join: TextClause
    walk: TextClause
    floor: TextClause


def _broad_sql(table: str, title: str, original: str, off: int) -> _BroadSQL:
    rows = f"rowid < {TV_ROWID_BASE}" if off == 0 else f"rowid >= {off}"
    return _BroadSQL(
        # CROSS JOIN keeps FTS5 as the outer loop: the other order runs the MATCH once
        # per row of the media table.
        join=text(f"""
            SELECT m.id, m.popularity, m.{title} AS title, m.{original} AS original
            FROM title_search AS ts CROSS JOIN {table} AS m ON m.id = ts.rowid - {off}
            WHERE title_search MATCH :expr AND ts.{rows}
            ORDER BY m.popularity DESC LIMIT :limit
        """),
        walk=text(f"""
            SELECT id, popularity, {title} AS title, {original} AS original FROM {table}
            WHERE +id + {off} IN (SELECT rowid FROM title_search
                                  WHERE title_search MATCH :expr AND {rows})
            ORDER BY popularity DESC LIMIT :limit
        """),
        # max(id) stands in for count(*) (a full index scan): a close upper bound, and
        # erring high only picks a larger tier.
        floor=text(f"""
            SELECT popularity FROM {table} ORDER BY popularity DESC LIMIT 1
            OFFSET CAST(:share * (SELECT max(id) FROM {table}) AS INTEGER)
        """),
    )


_BROAD = {MOVIE: _broad_sql("movie", "title", "original_title", 0),
          TV: _broad_sql("tvshow", "name", "original_name", TV_ROWID_BASE)}

POSTER_SIZE, BACKDROP_SIZE, STILL_SIZE = "w342", "w1280", "w300"


@dataclass(frozen=True)
class Translation:
    """One language's texts for a film or series (TMDB /translations)."""

    language: str
    title: str = ""
    overview: str = ""
    tagline: str = ""


@dataclass(frozen=True)
class SyncStateRecord:
    """Bookkeeping of a background job."""

    name: str
    last_run_at: datetime | None
    cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IncompleteShow:
    """A series with seasons whose episodes are not stored yet."""

    show_id: int
    tmdb_id: int
    season_numbers: tuple[int, ...]


def _naive(at: datetime | str | None) -> datetime:
    """A stored timestamp as naive UTC, so films' and episodes' times compare."""
    if at is None:
        return datetime.min
    if isinstance(at, str):  # a raw text() row: SQLite hands the stored text back
        at = datetime.fromisoformat(at)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _now() -> datetime:
    return datetime.now(UTC)


def image(value: str | None, size: str, *, local: bool = False) -> str | None:
    """What an item carries for a stored image: None, a local path, or tmdb:<size>:<path>."""
    if not value:
        return None
    if local or value.startswith(("tmdb:", "http://", "https://")):
        return value
    return f"tmdb:{size}:{value}"


def _year(day: str | None) -> int | None:
    head = (day or "")[:4]
    return int(head) if head.isdigit() else None


def _languages(language: str) -> tuple[str, str]:
    primary = language.split("-")[0]
    return language, primary


@lru_cache(maxsize=1024)
def _lang_rank(stored: str, language: str) -> int:
    """0 exact, 1 primary subtag, 2 same primary with another region, 3 English, 9 else."""
    wanted, primary = _languages(language)
    if stored == wanted:
        return 0
    if stored == primary:
        return 1
    if stored.split("-")[0] == primary:
        return 2
    if stored.split("-")[0] == "en":
        return 3
    return 9


def _lang_filter(column: Any, language: str, *, english: bool) -> ColumnElement[bool]:
    _, primary = _languages(language)
    clauses = [column == primary, column.like(f"{primary}-%")]
    if english:
        clauses += [column == "en", column.like("en-%")]
    return or_(*clauses)


@dataclass(frozen=True)
class _Kind:
    """What differs between films and series, so reads are written once."""

    kind: str
    table: Any
    title: Any
    original: Any
    date: Any
    translation: Any
    tr_fk: Any
    tr_title: Any
    genre_link: Any
    link_fk: Any
    list_link: Any
    list_fk: Any


_MOVIE = _Kind(MOVIE, Movie, Movie.title, Movie.original_title, Movie.release_date,
               MovieTranslation, MovieTranslation.movie_id, MovieTranslation.title,
               MovieGenre, MovieGenre.movie_id, MediaListMovie, MediaListMovie.movie_id)
_TV = _Kind(TV, TVShow, TVShow.name, TVShow.original_name, TVShow.first_air_date,
            TVShowTranslation, TVShowTranslation.tvshow_id, TVShowTranslation.name,
            TVShowGenre, TVShowGenre.tvshow_id, MediaListTVShow, MediaListTVShow.tvshow_id)


def _kind(kind: str) -> _Kind:
    if kind == MOVIE:
        return _MOVIE
    if kind == TV:
        return _TV
    raise ValueError(f"unknown kind {kind!r} (expected {MOVIE!r} or {TV!r})")


def _item_columns(k: _Kind) -> Select[Any]:
    t = k.table
    runtime = t.runtime if k is _MOVIE else literal_column("0")
    is_demo = t.is_demo if k is _MOVIE else literal_column("0")
    # Positional access in _items: 1 title, 2 original title, 4 date, 5 runtime.
    return select(t.id, k.title, k.original, t.overview, k.date, runtime.label("runtime"),
                  t.poster, t.backdrop, is_demo.label("is_demo"), t.rating, t.tagline)


@dataclass(frozen=True)
class _ItemSQL:
    """A kind's item-building statements: ids expand into one IN list; languages bound."""

    texts: TextClause
    genres: TextClause


def _item_sql(table: str, fk: str, title: str) -> _ItemSQL:
    ids = bindparam("ids", expanding=True)
    texts = text(f"""
        SELECT {fk}, language, {title}, overview, tagline FROM {table}_translation
        WHERE {fk} IN :ids AND (language = :primary OR language LIKE :region)
    """).bindparams(ids)
    # Genre names in the wanted language or English (the fallback), ranked in Python.
    genres = text(f"""
        SELECT l.{fk}, l.genre_id, g.language, g.name
        FROM {table}_genre AS l JOIN genre_translation AS g ON g.genre_id = l.genre_id
        WHERE l.{fk} IN :ids
          AND (g.language = :primary OR g.language LIKE :region
               OR g.language = 'en' OR g.language LIKE 'en-%')
    """).bindparams(ids)
    return _ItemSQL(texts, genres)


_ITEM_SQL = {MOVIE: _item_sql("movie", "movie_id", "title"),
             TV: _item_sql("tvshow", "tvshow_id", "name")}


def _k_sql(k: _Kind) -> _ItemSQL:
    return _ITEM_SQL[k.kind]


def _shelf_query(k: _Kind) -> Select[Any]:
    return (_item_columns(k)
            .join(k.list_link, k.list_fk == k.table.id)
            .join(MediaList, MediaList.id == k.list_link.list_id)
            .where(MediaList.slug == bindparam("slug"), k.title != "")
            .order_by(k.list_link.position).limit(bindparam("limit")))


def _continue_query() -> Select[Any]:
    wp = WatchProgress
    return (_item_columns(_MOVIE).add_columns(wp.position, wp.duration, wp.updated_at)
            .join(wp, wp.movie_id == Movie.id)
            .where(wp.position > 0,
                   or_(wp.duration <= 0, wp.position < wp.duration * FINISHED_FRACTION))
            .order_by(wp.updated_at.desc()).limit(bindparam("limit")))


# Episodes watched lately, newest first (the latest one per series is what counts).
# Bounded: a series shows once, so a few hundred rows cover far more series than a shelf.
_RECENT_EPISODES = text("""
    SELECT p.episode_id, p.position, p.duration, p.updated_at, s.tvshow_id,
           s.season_number, e.episode_number, e.name
    FROM episode_progress AS p
    JOIN episode AS e ON e.id = p.episode_id
    JOIN season AS s ON s.id = e.season_id
    ORDER BY p.updated_at DESC LIMIT 400
""")
# The episode after (season, number) of a series: the next of its season, else the first
# of a later one; specials (season 0) are never next. Its own saved progress, if any.
_NEXT_EPISODE = text("""
    SELECT e.id, s.season_number, e.episode_number, e.name, e.air_date,
           p.position, p.duration
    FROM episode AS e JOIN season AS s ON s.id = e.season_id
    LEFT JOIN episode_progress AS p ON p.episode_id = e.id
    WHERE s.tvshow_id = :show AND s.season_number > 0
      AND (s.season_number > :season
           OR (s.season_number = :season AND e.episode_number > :number))
    ORDER BY s.season_number, e.episode_number LIMIT 1
""")

# Hot reads built once: SQLAlchemy then finds the compiled form in its cache at once.
_SHELF = {MOVIE: _shelf_query(_MOVIE), TV: _shelf_query(_TV)}
_CONTINUE = _continue_query()
_BY_IDS = {k.kind: _item_columns(k).where(k.table.id.in_(bindparam("ids", expanding=True)))
           for k in (_MOVIE, _TV)}


class CatalogRepository:
    """Films, series, seasons, episodes, genres, lists and sync bookkeeping."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---------------------------------------------------------------- sync writes

    def upsert_movie(
        self,
        tmdb_id: int,
        *,
        title: str,
        original_title: str = "",
        original_language: str = "",
        overview: str = "",
        tagline: str = "",
        runtime: int = 0,
        rating: float = 0.0,
        popularity: float = 0.0,
        release_date: str = "",
        poster: str = "",
        backdrop: str = "",
        logo: str = "",
        imdb_id: str | None = None,
        trailer: str | None = None,
        genre_ids: Sequence[int] | None = None,
        translations: Sequence[Translation] | None = None,
        synced: bool = True,
    ) -> int:
        """Create or refresh a film by TMDB id; returns its id (stable across calls).

        ``genre_ids`` replaces the film's genres (None leaves them); ``translations``
        adds or refreshes those languages (others are kept). ``synced`` stamps
        ``last_synced_at`` so stale_movies() moves on to other rows.
        """
        with self._db.session() as s, s.begin():
            movie = s.scalar(select(Movie).where(Movie.tmdb_id == tmdb_id))
            if movie is None:
                movie = Movie(tmdb_id=tmdb_id, title=title)
                s.add(movie)
            movie.title = title
            movie.original_title = original_title
            movie.original_language = original_language
            movie.overview = overview
            movie.tagline = tagline
            movie.runtime = runtime
            movie.rating = rating
            movie.popularity = popularity
            movie.release_date = release_date
            movie.poster = poster
            movie.backdrop = backdrop
            movie.logo = logo
            movie.imdb_id = imdb_id
            movie.trailer = trailer
            return self._finish_upsert(s, _MOVIE, movie, synced, genre_ids, translations)

    def _finish_upsert(self, s: Session, k: _Kind, row: Any, synced: bool,
                       genre_ids: Sequence[int] | None,
                       translations: Sequence[Translation] | None) -> int:
        """The part of upsert_movie/upsert_show that is the same for both kinds."""
        if synced:
            row.last_synced_at = _now()
        s.flush()
        if genre_ids is not None:
            self._set_genres(s, k, row.id, genre_ids)
        for tr in translations or ():
            self._upsert_translation(s, k, row.id, tr)
        return int(row.id)

    def upsert_summary(
        self,
        kind: str,
        tmdb_id: int,
        *,
        title: str,
        original_title: str = "",
        original_language: str = "",
        overview: str = "",
        date: str = "",
        poster: str = "",
        backdrop: str = "",
        rating: float = 0.0,
        popularity: float = 0.0,
        genre_ids: Sequence[int] = (),
    ) -> int:
        """Store what a list page or search result says about a title, without losing more.

        List and search answers carry only card fields. A new title becomes a stale stub
        (the film/series job fetches its details next); an existing one only gets its
        card fields refreshed — runtime, tagline, ids, translations and last_synced_at
        stay as the details sync left them (a full upsert would wipe them every hour).
        """
        k = _kind(kind)
        t = k.table
        with self._db.session() as s, s.begin():
            row = s.scalar(select(t).where(t.tmdb_id == tmdb_id))
            new = row is None
            if new:
                row = t(tmdb_id=tmdb_id, **{k.title.key: title})
                s.add(row)
            setattr(row, k.title.key, title or getattr(row, k.title.key))
            if original_title:
                setattr(row, k.original.key, original_title)
            if original_language:
                row.original_language = original_language
            if overview:
                row.overview = overview
            if date:
                setattr(row, k.date.key, date)
            if poster:
                row.poster = poster
            if backdrop:
                row.backdrop = backdrop
            row.rating = rating
            row.popularity = popularity
            s.flush()
            if new and genre_ids:
                self._set_genres(s, k, row.id, genre_ids)
            return int(row.id)

    def upsert_show(
        self,
        tmdb_id: int,
        *,
        name: str,
        original_name: str = "",
        original_language: str = "",
        overview: str = "",
        tagline: str = "",
        first_air_date: str = "",
        poster: str = "",
        backdrop: str = "",
        status: str = "",
        type: str = "",  # TMDB's and the seed's field name
        in_production: bool = False,
        episode_run_time: Sequence[int] = (),
        rating: float = 0.0,
        popularity: float = 0.0,
        imdb_id: str | None = None,
        genre_ids: Sequence[int] | None = None,
        translations: Sequence[Translation] | None = None,
        synced: bool = True,
    ) -> int:
        """Create or refresh a series by TMDB id; same rules as upsert_movie."""
        with self._db.session() as s, s.begin():
            show = s.scalar(select(TVShow).where(TVShow.tmdb_id == tmdb_id))
            if show is None:
                show = TVShow(tmdb_id=tmdb_id, name=name)
                s.add(show)
            show.name = name
            show.original_name = original_name
            show.original_language = original_language
            show.overview = overview
            show.tagline = tagline
            show.first_air_date = first_air_date
            show.poster = poster
            show.backdrop = backdrop
            show.status = status
            show.type = type
            show.in_production = in_production
            show.episode_run_time = list(episode_run_time)
            show.rating = rating
            show.popularity = popularity
            show.imdb_id = imdb_id
            return self._finish_upsert(s, _TV, show, synced, genre_ids, translations)

    def upsert_season(
        self,
        show_tmdb_id: int,
        season_number: int,
        *,
        tmdb_id: int = 0,
        name: str = "",
        overview: str = "",
        air_date: str | None = None,
        poster_path: str | None = None,
        episode_count: int = 0,
    ) -> int:
        """Create or refresh a season of a stored series; returns the season's id.

        A new season starts ``synced=False``: shows_with_incomplete_seasons() lists it
        until mark_season_synced() is called after its episodes are stored.
        """
        with self._db.session() as s, s.begin():
            show_id = self._show_id(s, show_tmdb_id)
            season = s.scalar(select(Season).where(Season.tvshow_id == show_id,
                                                   Season.season_number == season_number))
            if season is None:
                season = Season(tvshow_id=show_id, season_number=season_number,
                                tmdb_id=tmdb_id)
                s.add(season)
            season.tmdb_id = tmdb_id
            season.name = name
            season.overview = overview
            season.air_date = air_date
            season.poster_path = poster_path
            season.episode_count = episode_count
            s.flush()
            return season.id

    def upsert_episode(
        self,
        show_tmdb_id: int,
        season_number: int,
        episode_number: int,
        *,
        tmdb_id: int = 0,
        name: str = "",
        overview: str = "",
        air_date: str = "",
        still_path: str = "",
        runtime: int = 0,
        imdb_id: str | None = None,
    ) -> int:
        """Create or refresh an episode; its season must exist (upsert_season first)."""
        with self._db.session() as s, s.begin():
            show_id = self._show_id(s, show_tmdb_id)
            season_id = s.scalar(select(Season.id).where(Season.tvshow_id == show_id,
                                                         Season.season_number == season_number))
            if season_id is None:
                raise LookupError(f"series tmdb:{show_tmdb_id} has no season {season_number}")
            ep = s.scalar(select(Episode).where(Episode.season_id == season_id,
                                                Episode.episode_number == episode_number))
            if ep is None:
                ep = Episode(season_id=season_id, episode_number=episode_number,
                             tmdb_id=tmdb_id)
                s.add(ep)
            ep.tmdb_id = tmdb_id
            ep.name = name
            ep.overview = overview
            ep.air_date = air_date
            ep.still_path = still_path
            ep.runtime = runtime
            ep.imdb_id = imdb_id
            s.flush()
            return ep.id

    def mark_season_synced(self, show_tmdb_id: int, season_number: int,
                           synced: bool = True) -> None:
        with self._db.session() as s, s.begin():
            show_id = self._show_id(s, show_tmdb_id)
            s.execute(update(Season).where(Season.tvshow_id == show_id,
                                           Season.season_number == season_number)
                      .values(synced=synced))

    def upsert_genres(self, kind: str, genres: Iterable[tuple[int, str, str]]) -> None:
        """Store TMDB's genre list for a kind: (genre id, name, language) triples."""
        flag = "for_movies" if _kind(kind) is _MOVIE else "for_tv"
        with self._db.session() as s, s.begin():
            for genre_id, name, language in genres:
                row = s.get(GenreRow, genre_id)
                if row is None:
                    row = GenreRow(id=genre_id, for_movies=False, for_tv=False)
                    s.add(row)
                setattr(row, flag, True)
                tr = s.scalar(select(GenreTranslation).where(
                    GenreTranslation.genre_id == genre_id, GenreTranslation.language == language))
                if tr is None:
                    s.add(GenreTranslation(genre_id=genre_id, language=language, name=name))
                else:
                    tr.name = name

    def replace_list(self, slug: str, kind: str, tmdb_ids: Sequence[int], *,
                     name: str | None = None) -> None:
        """Make list ``slug`` hold exactly these titles, in this order.

        Titles not stored yet are inserted as stubs (empty title, never synced) so the
        sync job picks them first; shelves skip them until they are filled.
        """
        k = _kind(kind)
        ordered = list(dict.fromkeys(tmdb_ids))  # a title twice would break the shelf
        with self._db.session() as s, s.begin():
            lst = s.scalar(select(MediaList).where(MediaList.slug == slug))
            if lst is None:
                lst = MediaList(slug=slug, name=name or slug, kind=kind)
                s.add(lst)
            elif name:
                lst.name = name
            lst.kind = kind
            lst.last_synced_at = _now()
            s.flush()
            known = self._ids_by_tmdb(s, k, ordered)
            missing = [t for t in ordered if t not in known]
            if missing:
                stub_title = {"title": ""} if k is _MOVIE else {"name": ""}
                s.execute(insert(k.table), [{"tmdb_id": t, **stub_title} for t in missing])
                known.update(self._ids_by_tmdb(s, k, missing))
            s.execute(delete(k.list_link).where(k.list_link.list_id == lst.id))
            fk = k.list_fk.key
            if ordered:
                s.execute(insert(k.list_link), [
                    {"list_id": lst.id, "position": pos, fk: known[t]}
                    for pos, t in enumerate(ordered)
                ])

    def stale_movies(self, limit: int, synced_before: datetime | None = None) -> list[int]:
        """TMDB ids of films to refresh: never synced first, then the oldest sync."""
        return self._stale(_MOVIE, limit, synced_before)

    def stale_shows(self, limit: int, synced_before: datetime | None = None) -> list[int]:
        """TMDB ids of series to refresh: never synced first, then the oldest sync."""
        return self._stale(_TV, limit, synced_before)

    def mark_synced(self, kind: str, tmdb_id: int, at: datetime | None = None) -> None:
        """Stamp a title as synced without changing it (e.g. TMDB answered 404)."""
        k = _kind(kind)
        with self._db.session() as s, s.begin():
            s.execute(update(k.table).where(k.table.tmdb_id == tmdb_id)
                      .values(last_synced_at=at or _now()))

    def shows_with_incomplete_seasons(self, limit: int) -> list[IncompleteShow]:
        """Series (most popular first) with seasons whose episodes are not stored yet."""
        with self._db.session() as s:
            shows = s.execute(
                select(TVShow.id, TVShow.tmdb_id)
                .where(select(Season.id).where(Season.tvshow_id == TVShow.id,
                                               ~Season.synced).exists())
                .order_by(TVShow.popularity.desc(), TVShow.id).limit(limit)
            ).all()
            if not shows:
                return []
            numbers: dict[int, list[int]] = {sid: [] for sid, _ in shows}
            for sid, num in s.execute(
                select(Season.tvshow_id, Season.season_number)
                .where(Season.tvshow_id.in_(numbers), ~Season.synced)
                .order_by(Season.tvshow_id, Season.season_number)
            ):
                numbers[sid].append(num)
            return [IncompleteShow(sid, tmdb, tuple(numbers[sid])) for sid, tmdb in shows]

    def sync_state(self, name: str) -> SyncStateRecord | None:
        with self._db.session() as s:
            row = s.scalar(select(SyncState).where(SyncState.name == name))
            if row is None:
                return None
            return SyncStateRecord(row.name, row.last_run_at, row.cursor, dict(row.extra or {}))

    def set_sync_state(self, name: str, *, last_run_at: datetime | None = None,
                       cursor: str | None = None, extra: dict[str, Any] | None = None) -> None:
        """Record a job's run (now if last_run_at is None); cursor/extra replace the old."""
        with self._db.session() as s, s.begin():
            row = s.scalar(select(SyncState).where(SyncState.name == name))
            if row is None:
                row = SyncState(name=name)
                s.add(row)
            row.last_run_at = last_run_at or _now()
            row.cursor = cursor
            row.extra = dict(extra or {})

    # ------------------------------------------------------------------ UI reads

    def list_items(self, slug: str, kind: str, limit: int = 40,
                   language: str = DEFAULT_LANGUAGE) -> list[MediaItem]:
        """A Home shelf: the list's titles in list order (stubs not synced yet skipped)."""
        k = _kind(kind)
        with self._db.engine.connect() as conn:
            rows = conn.execute(_SHELF[k.kind], {"slug": slug, "limit": limit}).all()
            return self._items(conn, k, rows, language)

    def list_slugs(self) -> list[tuple[str, str, str]]:
        """(slug, kind, name) of every stored list."""
        with self._db.session() as s:
            return [(r.slug, r.kind, r.name) for r in
                    s.execute(select(MediaList.slug, MediaList.kind, MediaList.name)
                              .order_by(MediaList.id))]

    def continue_watching(self, limit: int = 20,
                          language: str = DEFAULT_LANGUAGE) -> list[MediaItem]:
        """Films and series to go on with, most recently watched first (progress 0-1).

        Films: started and not finished. Series: the episode watched last, when it is
        unfinished; when it was watched (>= WATCHED_FRACTION), the episode after it
        ("Next up", like Jellyfin's), unless the series has no aired episode left. A
        series' item carries that episode (``MediaItem.episode``) and says it in its
        title ("Harbor Lights · S01E03"), the one line a card shows.
        """
        with self._db.engine.connect() as conn:
            rows = conn.execute(_CONTINUE, {"limit": limit}).all()
            progress = {r.id: (r.position / r.duration if r.duration > 0 else None)
                        for r in rows}
            films = self._items(conn, _MOVIE, rows, language, progress)
            when = {r.id: _naive(r.updated_at) for r in rows}
            dated = [(when[i.id], i) for i in films]
            dated += self._continue_series(conn, limit, language)
        dated.sort(key=lambda pair: pair[0], reverse=True)
        return [item for _, item in dated[:limit]]

    def _continue_series(self, conn: Connection, limit: int,
                         language: str) -> list[tuple[datetime, MediaItem]]:
        latest: dict[int, Row[Any]] = {}
        for r in conn.execute(_RECENT_EPISODES).all():
            # Opened and left before the first frame (position 0) is not watching it.
            if r.position > 0 and r.tvshow_id not in latest:
                latest[r.tvshow_id] = r
            if len(latest) >= limit:
                break
        today = date.today().isoformat()
        chosen: dict[int, tuple[datetime, EpisodeRef, float | None]] = {}
        for show_id, r in latest.items():
            if r.duration <= 0 or r.position < r.duration * WATCHED_FRACTION:
                ref = EpisodeRef(r.episode_id, r.season_number, r.episode_number, r.name)
                done = r.position / r.duration if r.duration > 0 else None
                chosen[show_id] = (_naive(r.updated_at), ref, done)
                continue
            nxt = conn.execute(_NEXT_EPISODE, {"show": show_id, "season": r.season_number,
                                               "number": r.episode_number}).first()
            if nxt is None or (nxt.air_date and nxt.air_date > today):
                continue  # caught up: nothing aired after the last watched episode
            done = None
            if nxt.position and nxt.duration and nxt.position < nxt.duration * WATCHED_FRACTION:
                done = nxt.position / nxt.duration  # started earlier, out of order
            chosen[show_id] = (_naive(r.updated_at),
                               EpisodeRef(nxt.id, nxt.season_number, nxt.episode_number,
                                          nxt.name), done)
        if not chosen:
            return []
        shows = conn.execute(_BY_IDS[TV], {"ids": list(chosen)}).all()
        out = []
        for show in self._items(conn, _TV, shows, language):
            at, ref, done = chosen[show.id]
            if done is not None:
                done = min(max(done, 0.0), 1.0)
            out.append((at, replace(show, title=f"{show.title} · {ref.code}", episode=ref,
                                    progress=done)))
        return out

    def browse(self, kind: str, genre_id: int | None = None, sort: str = SORT_POPULAR,
               offset: int = 0, limit: int = 40,
               language: str = DEFAULT_LANGUAGE) -> list[MediaItem]:
        """One page of a kind's titles, optionally in a genre, in one of SORTS."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r} (expected one of {SORTS})")
        k = _kind(kind)
        t = k.table
        query = _item_columns(k).where(k.title != "")
        if genre_id is not None:
            # EXISTS, not a join: SQLite then walks the sort index and probes the
            # (title, genre) primary key, instead of sorting every title of the genre.
            query = query.where(select(k.genre_link.genre_id).where(
                k.link_fk == t.id, k.genre_link.genre_id == genre_id).exists())
        # Tie-breaks follow each index's own order (id descends with a DESC scan) so
        # SQLite walks the index and stops at the page instead of sorting everything.
        if sort == SORT_POPULAR:
            query = query.order_by(t.popularity.desc(), t.id.desc())
        elif sort == SORT_RATING:
            query = query.order_by(t.rating.desc(), t.popularity.desc(), t.id.desc())
        elif sort == SORT_NEWEST:
            # Unreleased titles cannot be played yet; "newest" means newest released.
            query = query.where(k.date != "", k.date <= date.today().isoformat())
            query = query.order_by(k.date.desc(), t.id.desc())
        else:
            query = query.order_by(k.title, t.id)
        query = query.offset(max(offset, 0)).limit(limit)
        with self._db.engine.connect() as conn:
            return self._items(conn, k, conn.execute(query).all(), language)

    def genres(self, kind: str, language: str = DEFAULT_LANGUAGE) -> list[Genre]:
        """The kind's genres with names in ``language`` (fallback English), by name."""
        k = _kind(kind)
        flag = GenreRow.for_movies if k is _MOVIE else GenreRow.for_tv
        with self._db.session() as s:
            rows = s.execute(
                select(GenreTranslation.genre_id, GenreTranslation.language,
                       GenreTranslation.name)
                .join(GenreRow, GenreRow.id == GenreTranslation.genre_id)
                .where(flag, _lang_filter(GenreTranslation.language, language, english=True))
            ).all()
        names = _best_names(rows, language)
        return sorted((Genre(gid, name) for gid, name in names.items()),
                      key=lambda g: g.name.casefold())

    def movie_item(self, movie_id: int, language: str = DEFAULT_LANGUAGE) -> MediaItem | None:
        return self._one(_MOVIE, movie_id, language)

    def show_item(self, show_id: int, language: str = DEFAULT_LANGUAGE) -> MediaItem | None:
        return self._one(_TV, show_id, language)

    def seasons(self, show_id: int) -> list[SeasonItem]:
        """A series' seasons in order; the count is the stored episodes' when synced."""
        with self._db.session() as s:
            stored = (select(func.count(Episode.id)).where(Episode.season_id == Season.id)
                      .scalar_subquery())
            rows = s.execute(
                select(Season.season_number, Season.name, Season.overview,
                       Season.episode_count, Season.poster_path, Season.air_date,
                       Season.synced, stored.label("stored"))
                .where(Season.tvshow_id == show_id).order_by(Season.season_number)
            ).all()
        return [SeasonItem(show_id=show_id, number=r.season_number,
                           title=r.name or f"Season {r.season_number}", overview=r.overview,
                           episode_count=r.stored if r.synced else r.episode_count,
                           poster=image(r.poster_path, POSTER_SIZE), year=_year(r.air_date))
                for r in rows]

    def episodes(self, show_id: int, season_number: int) -> list[EpisodeItem]:
        with self._db.session() as s:
            rows = s.execute(
                select(Episode).join(Season, Season.id == Episode.season_id)
                .where(Season.tvshow_id == show_id, Season.season_number == season_number)
                .order_by(Episode.episode_number)
            ).scalars().all()
            return [EpisodeItem(id=e.id, show_id=show_id, season_number=season_number,
                                number=e.episode_number,
                                title=e.name or f"Episode {e.episode_number}",
                                overview=e.overview, runtime_minutes=e.runtime or None,
                                still=image(e.still_path, STILL_SIZE), air_date=e.air_date)
                    for e in rows]

    def search(self, query: str, limit: int = 40,
               language: str = DEFAULT_LANGUAGE) -> list[MediaItem]:
        """Films and series whose titles (original, translated) start with the words typed.

        Up to FULL_RANK_MAX matches: ranked by bm25 (title 10 > original title 4 >
        translations 1) boosted by popularity, ties by popularity. More (a short prefix):
        see _broad_search. Any input is safe (see storage/fts.py).
        """
        expr = match_expression(query)
        if expr is None or limit <= 0:
            return []
        with self._db.engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                return self._search_like(conn, query, limit, language)
            matches, shows, show_ids = conn.execute(_COUNT_MATCHES, {"expr": expr}).one()
            if matches <= FULL_RANK_MAX:
                rows = conn.execute(_RANKED, {"expr": expr, "boost": POPULARITY_BOOST,
                                              "limit": limit}).all()
                hits = [(TV, rid - TV_ROWID_BASE) if rid >= TV_ROWID_BASE else (MOVIE, rid)
                        for (rid,) in rows]
                return self._mixed(conn, hits, language)
            return self._broad_search(conn, query, expr, matches - shows, (shows, show_ids),
                                      limit, language)

    def _broad_search(self, conn: Connection, query: str, expr: str, films: int,
                      shows: tuple[int, str], limit: int, language: str) -> list[MediaItem]:
        """Thousands of matches (a short prefix): rank only the most popular of them.

        Scoring every match costs tens of ms; people typing two letters look for a
        well-known title, so the most popular matches of each kind (twice the limit) are
        taken, then ordered by where the words matched (title, original title,
        translated title), popularity breaking ties, a title that starts with the typed
        words counting TITLE_START_BOOST times as popular.
        """
        wanted = [fold(t) for t in tokens(query)]
        need = max(limit * 2, BROAD_CANDIDATES)
        n_shows, show_ids = shows
        candidates = {
            MOVIE: _popular_matches(conn, _BROAD[MOVIE], expr, films, need),
            TV: (conn.execute(_SHOWS_BY_IDS, {"ids": show_ids, "limit": need}).all()
                 if n_shows <= BROAD_JOIN_MAX
                 else _popular_matches(conn, _BROAD[TV], expr, n_shows, need)),
        }
        ranked: list[tuple[int, float, str, int]] = []
        for kind, rows in candidates.items():
            # Plain tuple unpacking: Row attribute access is measurable at 160 rows.
            for media_id, popularity, title, original in rows:
                tier, score = _match_rank(wanted, title, original, popularity)
                ranked.append((tier, -score, kind, media_id))
        ranked.sort()
        # Items (translations, genres) are built only for what is shown.
        return self._mixed(conn, [(kind, i) for _, _, kind, i in ranked[:limit]], language)

    # ------------------------------------------------------------------ helpers

    def _search_like(self, conn: Connection, query: str, limit: int,
                     language: str) -> list[MediaItem]:
        # Other databases have no FTS5: a substring match on the stored titles will do.
        pattern = f"%{query.strip()}%"
        found: list[tuple[str, int]] = []
        for k in (_MOVIE, _TV):
            ids = conn.scalars(select(k.table.id).where(
                or_(k.title.ilike(pattern), k.original.ilike(pattern)))
                .order_by(k.table.popularity.desc()).limit(limit)).all()
            found += [(k.kind, i) for i in ids]
        return self._mixed(conn, found[:limit], language)

    def _mixed(self, conn: Connection, hits: list[tuple[str, int]],
               language: str) -> list[MediaItem]:
        by_kind: dict[str, dict[int, MediaItem]] = {}
        for k in (_MOVIE, _TV):
            ids = [i for kind, i in hits if kind == k.kind]
            if ids:
                rows = conn.execute(_BY_IDS[k.kind], {"ids": ids}).all()
                by_kind[k.kind] = {i.id: i for i in self._items(conn, k, rows, language)}
        return [by_kind[kind][i] for kind, i in hits if i in by_kind.get(kind, {})]

    def _one(self, k: _Kind, media_id: int, language: str) -> MediaItem | None:
        with self._db.engine.connect() as conn:
            rows = conn.execute(_item_columns(k).where(k.table.id == media_id)).all()
            items = self._items(conn, k, rows, language)
            return items[0] if items else None

    def _items(self, conn: Connection, k: _Kind, rows: Sequence[Row[Any]], language: str,
               progress: dict[int, float | None] | None = None) -> list[MediaItem]:
        """Rows from _item_columns -> items; translations and genre names in one query each.

        Core statements compiled once (module level) on a plain connection: no ORM
        session or loading, no per-item queries. ``progress`` (id -> 0-1 or None) is set on
        the items of continue_watching().
        """
        if not rows:
            return []
        ids = [r[0] for r in rows]
        _, primary = _languages(language)
        params = {"ids": ids, "primary": primary, "region": f"{primary}-%"}
        # Translations: exact > primary subtag > same primary, another region.
        texts: dict[int, tuple[int, str, str, str]] = {}
        for mid, lang, title, overview, tagline in conn.execute(_k_sql(k).texts, params).all():
            rank = _lang_rank(lang, language)
            if mid not in texts or rank < texts[mid][0]:
                texts[mid] = (rank, title, overview, tagline)
        # Genres: a genre's best name does not depend on the title, so rank names once.
        links: dict[int, list[int]] = {}
        best: dict[int, tuple[int, str]] = {}
        for mid, gid, lang, name in conn.execute(_k_sql(k).genres, params).all():
            gids = links.setdefault(mid, [])
            if gid not in gids:
                gids.append(gid)
            if name:
                rank = _lang_rank(lang, language)
                if gid not in best or rank < best[gid][0]:
                    best[gid] = (rank, name)
        kind = k.kind
        no_text = (9, "", "", "")
        items = []
        for r in rows:
            mid = r[0]
            _, t_title, t_overview, t_tagline = texts.get(mid, no_text)
            names = [best[g][1] for g in links.get(mid, ()) if g in best]
            local = bool(r[8])
            p = None
            if progress is not None and (p := progress.get(mid)) is not None:
                p = min(max(p, 0.0), 1.0)
            items.append(MediaItem(
                id=mid,
                title=t_title or r[1] or r[2],
                overview=t_overview or r[3],
                year=_year(r[4]),
                runtime_minutes=int(r[5]) or None,
                poster=image(r[6], POSTER_SIZE, local=local),
                backdrop=image(r[7], BACKDROP_SIZE, local=local),
                is_demo=local,
                kind=kind,
                rating=r[9] or None,
                genres=tuple(sorted(names, key=str.casefold)),
                tagline=t_tagline or r[10],
                progress=p,
            ))
        return items

    def _stale(self, k: _Kind, limit: int, synced_before: datetime | None) -> list[int]:
        t = k.table
        query = select(t.tmdb_id).where(t.tmdb_id > 0)  # demo titles have negative ids
        if synced_before is not None:
            query = query.where(or_(t.last_synced_at.is_(None),
                                    t.last_synced_at < synced_before))
        # Never-synced stubs first (a list just named them), then the oldest sync;
        # popularity breaks ties so the titles people see are refreshed first.
        query = query.order_by(t.last_synced_at.asc().nulls_first(), t.popularity.desc(),
                               t.id).limit(limit)
        with self._db.session() as s:
            return list(s.scalars(query))

    def _ids_by_tmdb(self, s: Session, k: _Kind, tmdb_ids: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        # SQLite caps bound parameters per statement; chunk large lists.
        for start in range(0, len(tmdb_ids), 500):
            chunk = tmdb_ids[start:start + 500]
            found.update(s.execute(select(k.table.tmdb_id, k.table.id)
                                   .where(k.table.tmdb_id.in_(chunk))).all())
        return found

    @staticmethod
    def _show_id(s: Session, show_tmdb_id: int) -> int:
        show_id = s.scalar(select(TVShow.id).where(TVShow.tmdb_id == show_tmdb_id))
        if show_id is None:
            raise LookupError(f"no series with tmdb id {show_tmdb_id}")
        return show_id

    @staticmethod
    def _set_genres(s: Session, k: _Kind, media_id: int, genre_ids: Sequence[int]) -> None:
        wanted = list(dict.fromkeys(genre_ids))
        flag = "for_movies" if k is _MOVIE else "for_tv"
        existing = set(s.scalars(select(GenreRow.id).where(GenreRow.id.in_(wanted))))
        for gid in wanted:
            if gid not in existing:
                # Known from the title before the genre list is synced; named later.
                s.add(GenreRow(id=gid, **{flag: True}))
        s.flush()
        s.execute(delete(k.genre_link).where(k.link_fk == media_id))
        if wanted:
            s.execute(insert(k.genre_link),
                      [{k.link_fk.key: media_id, "genre_id": gid} for gid in wanted])

    @staticmethod
    def _upsert_translation(s: Session, k: _Kind, media_id: int, tr: Translation) -> None:
        row = s.scalar(select(k.translation).where(k.tr_fk == media_id,
                                                   k.translation.language == tr.language))
        if row is None:
            row = k.translation(language=tr.language, **{k.tr_fk.key: media_id})
            s.add(row)
        setattr(row, k.tr_title.key, tr.title)
        row.overview = tr.overview
        row.tagline = tr.tagline
        s.flush()


def _best_names(rows: Iterable[Any], language: str) -> dict[int, str]:
    """genre id -> its name in the best available language."""
    best: dict[int, tuple[int, str]] = {}
    for gid, lang, name in rows:
        rank = _lang_rank(lang, language)
        if name and (gid not in best or rank < best[gid][0]):
            best[gid] = (rank, name)
    return {gid: name for gid, (_, name) in best.items()}


def _popular_matches(conn: Connection, sql: _BroadSQL, expr: str, matches: int,
                     need: int) -> Sequence[Row[Any]]:
    """The ``need`` most popular titles of one kind matching ``expr``, most popular first.

    Exact, not sampled: every title with popularity >= a threshold carries that tier's
    token, so if the matches within a tier number ``need`` or more, they are the most
    popular ``need`` of all matches.
    """
    if matches <= BROAD_JOIN_MAX:
        return conn.execute(sql.join, {"expr": expr, "limit": need}).all() if matches else []
    # Matches spread evenly would put ``need`` of them in the top need/matches share of
    # the kind; aim at TIER_MARGIN times that.
    floor = conn.execute(sql.floor, {"share": min(need * TIER_MARGIN / matches, 1.0)}
                         ).scalar()
    tiers = [t for t in POPULARITY_TIERS if floor is not None and t <= floor]
    # The tier aimed at, then once the next larger one; past that the matches are
    # unusually unpopular and the index walk over all of them is the bounded answer.
    for threshold in reversed(tiers[-2:]):
        rows = conn.execute(sql.walk, {"expr": with_tier(expr, threshold),
                                       "limit": need}).all()
        if len(rows) >= need:
            return rows
    return conn.execute(sql.walk, {"expr": expr, "limit": need}).all()


@lru_cache(maxsize=65536)
def _words(title: str) -> str:
    """A title's tokens as the index holds them, as " tok tok tok" (each after a space).

    One string so the checks below are C substring searches, not Python loops over
    words: they run for ~160 candidates per keystroke. Cached: titles share a small
    vocabulary and a person types the same prefixes again.
    """
    return "".join(" " + fold(t) for t in tokens(title))


def _prefix_hit(wanted: list[str], have: str) -> bool:
    """Every typed token is the prefix of some token of the title (``have`` from _words)."""
    return all(" " + w in have for w in wanted)


def _match_rank(wanted: list[str], title: str, original: str,
                popularity: float) -> tuple[int, float]:
    """(0 title / 1 original title / 2 translations only, popularity score) of a match."""
    have = _words(title)
    if _prefix_hit(wanted, have):
        # The title begins with the typed words, the last one possibly unfinished.
        starts = have.startswith("".join(" " + w for w in wanted))
        return 0, popularity * (TITLE_START_BOOST if starts else 1.0)
    if _prefix_hit(wanted, _words(original)):
        return 1, popularity
    return 2, popularity
