"""LibraryService (the UI's CatalogPort) over a synced database and the fake TMDB."""

from __future__ import annotations

import pytest

from miauflix_desktop.core.media import MOVIE, SORT_POPULAR, TV
from miauflix_desktop.services.catalog.sync import CatalogSync
from miauflix_desktop.services.catalog.tmdb import TmdbClient
from miauflix_desktop.services.library import LibraryService
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from tests.fakes.tmdb_server import HANG, running_fake_tmdb

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "lib.sqlite3")
    database.open()
    yield database
    database.close()


async def synced(fake, repo) -> TmdbClient:
    client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200)
    await client.start()
    sync = CatalogSync(client, repo)
    await sync.refresh_lists()
    await sync.sync_movies()
    await sync.sync_shows()
    for _ in range(10):
        await sync.complete_seasons()
    return client


async def test_home_browse_details_series_and_search(db):
    repo = CatalogRepository(db)
    async with running_fake_tmdb() as fake:
        client = await synced(fake, repo)
        try:
            lib = LibraryService(repo, None, remote=lambda: client)
            shelves = await lib.home_shelves()
            keys = [s.key for s in shelves]
            assert keys[:4] == ["trending-movies", "popular-movies", "top-rated-movies",
                                "popular-tv"]
            assert "continue" not in keys  # nothing watched yet
            film = shelves[1].items[0]
            details = await lib.get(film.id)
            assert details.title == film.title and details.genres

            series = next(s for s in shelves if s.key == "popular-tv").items[0]
            assert series.kind == TV
            show = await lib.get_show(series.id)
            seasons = await lib.seasons(show.id)
            assert seasons
            assert await lib.episodes(show.id, seasons[0].number)

            genres = await lib.genres(MOVIE)
            page = await lib.browse(MOVIE, genres[0].id, SORT_POPULAR, 0, 10)
            assert all(genres[0].name in item.genres for item in page)

            results = await lib.search("matr")
            assert results and results[0].title == "The Matrix"
            assert await lib.search("   ") == []

            MovieRepository(db).save_progress(film.id, 600.0, 7200.0)
            shelves = await lib.home_shelves()
            assert shelves[0].key == "continue" and shelves[0].items[0].id == film.id
        finally:
            await client.stop()


async def test_search_stays_fast_and_local_when_tmdb_hangs(db):
    import time

    repo = CatalogRepository(db)
    async with running_fake_tmdb(hang_seconds=5) as fake:
        client = await synced(fake, repo)
        try:
            fake.fail(HANG, "/search/*")
            lib = LibraryService(repo, None, remote=lambda: client)
            t0 = time.perf_counter()
            results = await lib.search("amel")
            assert time.perf_counter() - t0 < 0.3  # within 300 ms of the last key
            assert any(r.title.startswith("Am") for r in results)
            await lib.stop()
        finally:
            await client.stop()
