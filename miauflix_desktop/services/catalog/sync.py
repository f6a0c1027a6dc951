"""Catalog sync use-cases run by the scheduler: lists, films, series, season completion.

Each job is a small async function over the TMDB client and the catalog repository.
Repository calls are synchronous SQLite work, so they go through asyncio.to_thread:
a full sync never stalls the UI's event loop. Every job is restartable: what is
stale or incomplete is derived from the database, so a restart simply continues.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from miauflix_desktop.core.media import MOVIE, TV
from miauflix_desktop.services.catalog.tmdb import TmdbClient, TmdbNotFound
from miauflix_desktop.services.catalog.tmdb_types import (
    TmdbListItem,
    TmdbMovie,
    TmdbPage,
    TmdbSeason,
    TmdbShow,
    TmdbTranslation,
)
from miauflix_desktop.services.scheduler import Job
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository, Translation

log = logging.getLogger(__name__)

# The seed's task names and intervals: lists hourly, films and series every 1.5 h; season
# completion works in small batches on a 1 s tick until every season has its episodes
# (a tick with nothing to do is one indexed query).
REFRESH_LISTS, SYNC_MOVIES, SYNC_SHOWS, SYNC_SEASONS = (
    "refreshLists", "syncMovies", "syncShows", "syncIncompleteSeasons")
LIST_INTERVAL_S = 3600.0
MOVIE_INTERVAL_S = 5400.0
SHOW_INTERVAL_S = 5400.0
SEASON_INTERVAL_S = 1.0
# Rows per run: enough to keep up with list churn (~200 new ids an hour) at 20 req/s
# without holding the rate limiter for minutes.
MOVIE_BATCH = 100
SHOW_BATCH = 40
SEASON_BATCH = 10
# Pages per list: 2 x 20 items fills a shelf with room to scroll.
LIST_PAGES = 2
# Genres that get their own Home shelf (TMDB movie genre ids): Action, Comedy, Sci-Fi.
SHELF_GENRES = (28, 35, 878)


@dataclass(frozen=True)
class ListSpec:
    """One TMDB list mirrored into a MediaList row."""

    slug: str
    kind: str
    name: str
    fetch: Callable[[TmdbClient, int], Awaitable[TmdbPage]]


def _list(kind: str, name: str) -> Callable[[TmdbClient, int], Awaitable[TmdbPage]]:
    return lambda c, page: c.list_page(kind, name, page)


def _trending(kind: str) -> Callable[[TmdbClient, int], Awaitable[TmdbPage]]:
    return lambda c, page: c.trending(kind, "week", page)


def _genre(genre_id: int) -> Callable[[TmdbClient, int], Awaitable[TmdbPage]]:
    return lambda c, page: c.discover(MOVIE, genre_id, "popularity.desc", page)


LISTS: tuple[ListSpec, ...] = (
    ListSpec("trending-movies", MOVIE, "Trending", _trending(MOVIE)),
    ListSpec("popular-movies", MOVIE, "Popular films", _list(MOVIE, "popular")),
    ListSpec("top-rated-movies", MOVIE, "Top rated", _list(MOVIE, "top_rated")),
    ListSpec("now-playing-movies", MOVIE, "In cinemas", _list(MOVIE, "now_playing")),
    ListSpec("upcoming-movies", MOVIE, "Coming soon", _list(MOVIE, "upcoming")),
    ListSpec("trending-tv", TV, "Trending series", _trending(TV)),
    ListSpec("popular-tv", TV, "Popular series", _list(TV, "popular")),
    ListSpec("top-rated-tv", TV, "Top rated series", _list(TV, "top_rated")),
    ListSpec("on-the-air-tv", TV, "On the air", _list(TV, "on_the_air")),
)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _translations(items: Sequence[TmdbTranslation]) -> list[Translation]:
    return [Translation(t.language, t.title, t.overview, t.tagline) for t in items]


def store_summary(repo: CatalogRepository, kind: str, item: TmdbListItem) -> None:
    """Keep what a list page or search result says about one title (card fields only)."""
    repo.upsert_summary(
        kind, item.id, title=item.title, original_title=item.original_title,
        original_language=item.original_language, overview=item.overview,
        date=_day(item.date), poster=item.poster_path or "",
        backdrop=item.backdrop_path or "", rating=item.vote_average,
        popularity=item.popularity, genre_ids=list(item.genre_ids),
    )


class CatalogSync:
    """The four sync jobs; build `jobs()` into the scheduler."""

    def __init__(self, client: TmdbClient, repo: CatalogRepository, language: str = "en-US",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._client = client
        self._repo = repo
        self._language = language
        self._now = now

    def jobs(self, intervals: Mapping[str, float] | None = None) -> list[Job]:
        """The catalog jobs; `intervals` (settings.job_intervals) overrides by name."""
        every = {REFRESH_LISTS: LIST_INTERVAL_S, SYNC_MOVIES: MOVIE_INTERVAL_S,
                 SYNC_SHOWS: SHOW_INTERVAL_S, SYNC_SEASONS: SEASON_INTERVAL_S,
                 **(intervals or {})}
        # Lists first (they create the rows the other jobs fill), details shortly after.
        return [
            Job(REFRESH_LISTS, self.refresh_lists, every[REFRESH_LISTS], initial_delay_s=0.0),
            Job(SYNC_MOVIES, self.sync_movies, every[SYNC_MOVIES], initial_delay_s=5.0),
            Job(SYNC_SHOWS, self.sync_shows, every[SYNC_SHOWS], initial_delay_s=10.0),
            # A failing season fetch (TMDB down) backs off to 5 min, not one try a second.
            Job(SYNC_SEASONS, self.complete_seasons, every[SYNC_SEASONS],
                initial_delay_s=20.0, retry_base_s=5.0, max_backoff_s=300.0),
        ]

    # ------------------------------------------------------------------ lists

    async def refresh_lists(self) -> int:
        """Refresh every list and genre shelf; returns how many lists were stored."""
        for kind in (MOVIE, TV):
            genres = await self._client.genres(kind)
            language = self._language
            await asyncio.to_thread(self._repo.upsert_genres, kind,
                                    [(g.id, g.name, language) for g in genres])
        names = dict(await self._genre_names())
        specs = list(LISTS) + [
            ListSpec(f"genre-movie-{gid}", MOVIE, names.get(gid, f"Genre {gid}"), _genre(gid))
            for gid in SHELF_GENRES
        ]
        for spec in specs:
            items: list[TmdbListItem] = []
            for page in range(1, LIST_PAGES + 1):
                result = await spec.fetch(self._client, page)
                items.extend(i for i in result.items if i.media_type in ("", spec.kind))
                if page >= result.total_pages:
                    break
            await asyncio.to_thread(self._store_list, spec, items)
        log.info("lists refreshed (%d lists)", len(specs))
        return len(specs)

    async def _genre_names(self) -> list[tuple[int, str]]:
        genres = await asyncio.to_thread(self._repo.genres, MOVIE, self._language)
        return [(g.id, g.name) for g in genres]

    def _store_list(self, spec: ListSpec, items: Sequence[TmdbListItem]) -> None:
        # List items carry enough for a card (title, poster, rating); new rows stay stale
        # so the film/series job fetches their full details next.
        seen: list[int] = []
        for item in items:
            if item.id in seen:
                continue
            seen.append(item.id)
            store_summary(self._repo, spec.kind, item)
        self._repo.replace_list(spec.slug, spec.kind, seen, name=spec.name)

    # ------------------------------------------------------------------ details

    async def sync_movies(self) -> int:
        cutoff = self._now() - timedelta(seconds=MOVIE_INTERVAL_S)
        ids = await asyncio.to_thread(self._repo.stale_movies, MOVIE_BATCH, cutoff)
        for tmdb_id in ids:
            try:
                movie = await self._client.movie(tmdb_id)
            except TmdbNotFound:
                # Removed from TMDB: stop asking every run.
                await asyncio.to_thread(self._repo.mark_synced, MOVIE, tmdb_id)
                continue
            await asyncio.to_thread(self._store_movie, movie)
        if ids:
            log.info("synced %d films", len(ids))
        return len(ids)

    def _store_movie(self, m: TmdbMovie) -> None:
        self._repo.upsert_movie(
            m.id, title=m.title, original_title=m.original_title,
            original_language=m.original_language, overview=m.overview, tagline=m.tagline,
            runtime=m.runtime or 0, rating=m.vote_average, popularity=m.popularity,
            release_date=_day(m.release_date), poster=m.poster_path or "",
            backdrop=m.backdrop_path or "", imdb_id=m.imdb_id or None,
            genre_ids=[g.id for g in m.genres], translations=_translations(m.translations),
            synced=True,
        )

    async def sync_shows(self) -> int:
        cutoff = self._now() - timedelta(seconds=SHOW_INTERVAL_S)
        ids = await asyncio.to_thread(self._repo.stale_shows, SHOW_BATCH, cutoff)
        for tmdb_id in ids:
            try:
                show = await self._client.tv(tmdb_id)
            except TmdbNotFound:
                await asyncio.to_thread(self._repo.mark_synced, TV, tmdb_id)
                continue
            await asyncio.to_thread(self._store_show, show)
        if ids:
            log.info("synced %d series", len(ids))
        return len(ids)

    def _store_show(self, t: TmdbShow) -> None:
        self._repo.upsert_show(
            t.id, name=t.name, original_name=t.original_name,
            original_language=t.original_language, overview=t.overview, tagline=t.tagline,
            first_air_date=_day(t.first_air_date), poster=t.poster_path or "",
            backdrop=t.backdrop_path or "", status=t.status, in_production=t.in_production,
            episode_run_time=list(t.episode_run_time), rating=t.vote_average,
            popularity=t.popularity, imdb_id=t.imdb_id or None,
            genre_ids=[g.id for g in t.genres], translations=_translations(t.translations),
            synced=True,
        )
        for season in t.seasons:
            self._repo.upsert_season(
                t.id, season.season_number, tmdb_id=season.id, name=season.name,
                overview=season.overview, air_date=_day(season.air_date) or None,
                poster_path=season.poster_path, episode_count=season.episode_count,
            )

    async def complete_seasons(self) -> int:
        """Fetch episodes for up to SEASON_BATCH incomplete seasons (most popular first);
        returns how many seasons were fetched."""
        budget = SEASON_BATCH
        shows = await asyncio.to_thread(self._repo.shows_with_incomplete_seasons, budget)
        for show in shows:
            for number in show.season_numbers:
                if budget <= 0:
                    return SEASON_BATCH
                budget -= 1
                try:
                    season = await self._client.season(show.tmdb_id, number)
                except TmdbNotFound:
                    await asyncio.to_thread(self._repo.mark_season_synced, show.tmdb_id,
                                            number)
                    continue
                await asyncio.to_thread(self._store_season, show.tmdb_id, season)
        return SEASON_BATCH - budget

    def _store_season(self, show_tmdb_id: int, season: TmdbSeason) -> None:
        self._repo.upsert_season(
            show_tmdb_id, season.season_number, tmdb_id=season.id, name=season.name,
            overview=season.overview, air_date=_day(season.air_date) or None,
            poster_path=season.poster_path, episode_count=len(season.episodes),
        )
        for ep in season.episodes:
            self._repo.upsert_episode(
                show_tmdb_id, season.season_number, ep.episode_number, tmdb_id=ep.id,
                name=ep.name, overview=ep.overview, air_date=_day(ep.air_date),
                still_path=ep.still_path or "", runtime=ep.runtime or 0,
            )
        self._repo.mark_season_synced(show_tmdb_id, season.season_number)


class SyncStateStore:
    """The scheduler's StateStore over the SyncState table (so a restart continues)."""

    def __init__(self, repo: CatalogRepository) -> None:
        self._repo = repo

    def get_last_run(self, name: str) -> datetime | None:
        record = self._repo.sync_state(name)
        return record.last_run_at if record else None

    def set_last_run(self, name: str, when: datetime) -> None:
        self._repo.set_sync_state(name, last_run_at=when)
