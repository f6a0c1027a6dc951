"""LibraryService: the CatalogPort the UI browses — shelves, browse, details, search.

Everything is read from the local database (what sync stored), so the app stays usable
offline; remote TMDB search is merged in only when it answers quickly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import (
    CONTINUE_SHELF,
    MOVIE,
    TV,
    EpisodeItem,
    Genre,
    MediaItem,
    SeasonItem,
    Shelf,
)
from miauflix_desktop.services.catalog.sync import store_summary
from miauflix_desktop.services.catalog.tmdb import TmdbClient, TmdbError
from miauflix_desktop.services.catalog.tmdb_types import TmdbListItem
from miauflix_desktop.services.demo.library import DemoLibrary
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository

log = logging.getLogger(__name__)

# Home, top to bottom (slug, kind, title); empty lists are left out.
HOME_LISTS = (
    ("trending-movies", MOVIE, "Trending"),
    ("popular-movies", MOVIE, "Popular films"),
    ("top-rated-movies", MOVIE, "Top rated"),
    ("popular-tv", TV, "Popular series"),
)
SHELF_SIZE = 40
# Remote search only joins the answer if it comes back this fast; otherwise its results
# are stored in the background and the next keystroke finds them locally. Keeps typing
# responsive (results within 300 ms of the last key).
REMOTE_SEARCH_BUDGET_S = 0.2


class LibraryService:
    """Read side of the library for view models (implements core.media.CatalogPort)."""

    def __init__(self, catalog: CatalogRepository, demo: DemoLibrary | None,
                 language: str = "en-US",
                 remote: Callable[[], TmdbClient | None] = lambda: None) -> None:
        self._catalog = catalog
        self._demo = demo
        self._language = language
        self._remote = remote
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        self._background.clear()

    async def home_shelves(self) -> list[Shelf]:
        shelves: list[Shelf] = []
        resume = await asyncio.to_thread(self._catalog.continue_watching, 20, self._language)
        if resume:
            shelves.append(Shelf(CONTINUE_SHELF, "Continue watching", tuple(resume)))
        slugs = await asyncio.to_thread(self._catalog.list_slugs)
        named = {slug: name for slug, _kind, name in slugs}
        wanted = list(HOME_LISTS) + [
            (slug, kind, named[slug]) for slug, kind, _ in slugs if slug.startswith("genre-")
        ]
        for slug, kind, title in wanted:
            if slug not in named:
                continue
            items = await asyncio.to_thread(self._catalog.list_items, slug, kind, SHELF_SIZE,
                                            self._language)
            if items:
                shelves.append(Shelf(slug, title, tuple(items)))
        if self._demo is not None:
            await self._demo.wait_ready()
            demo = [await self.get(e.movie_id) for e in self._demo.entries]
            shelves.append(Shelf("demo", "Demo", tuple(demo)))
        return shelves

    async def get(self, media_id: int) -> MediaItem:
        item = await asyncio.to_thread(self._catalog.movie_item, media_id, self._language)
        if item is None:
            raise MiauflixError(f"No film with id {media_id}.")
        return item

    async def get_show(self, show_id: int) -> MediaItem:
        item = await asyncio.to_thread(self._catalog.show_item, show_id, self._language)
        if item is None:
            raise MiauflixError(f"No series with id {show_id}.")
        return item

    async def genres(self, kind: str) -> list[Genre]:
        return await asyncio.to_thread(self._catalog.genres, kind, self._language)

    async def browse(self, kind: str, genre_id: int | None, sort: str, offset: int,
                     limit: int) -> list[MediaItem]:
        return await asyncio.to_thread(self._catalog.browse, kind, genre_id, sort, offset,
                                       limit, self._language)

    async def seasons(self, show_id: int) -> list[SeasonItem]:
        return await asyncio.to_thread(self._catalog.seasons, show_id)

    async def episodes(self, show_id: int, season_number: int) -> list[EpisodeItem]:
        return await asyncio.to_thread(self._catalog.episodes, show_id, season_number)

    async def search(self, query: str, limit: int = 40) -> list[MediaItem]:
        query = query.strip()
        if not query:
            return []
        client = self._remote()
        remote: asyncio.Task[None] | None = None
        if client is not None and len(query) >= 2:
            remote = asyncio.create_task(self._remote_search(client, query))
            self._background.add(remote)
            remote.add_done_callback(self._background.discard)
            try:
                await asyncio.wait_for(asyncio.shield(remote), REMOTE_SEARCH_BUDGET_S)
            except TimeoutError:
                pass  # keeps running; its results land in the database for the next key
            except (TmdbError, MiauflixError):
                pass  # offline: local results only
        return await asyncio.to_thread(self._catalog.search, query, limit, self._language)

    async def _remote_search(self, client: TmdbClient, query: str) -> None:
        try:
            page = await client.search_multi(query)
        except TmdbError as exc:
            log.info("remote search for %r failed: %s", query, exc)
            return
        await asyncio.to_thread(self._store_results, page.items)

    def _store_results(self, items: tuple[TmdbListItem, ...]) -> None:
        for item in items:
            if item.media_type not in (MOVIE, TV):
                continue
            store_summary(self._catalog, item.media_type, item)
