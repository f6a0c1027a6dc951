"""Sync jobs against the fake TMDB server into a real SQLite file."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from miauflix_desktop.core.media import MOVIE, TV
from miauflix_desktop.services.catalog.sync import LISTS, CatalogSync, SyncStateStore
from miauflix_desktop.services.catalog.tmdb import TmdbAuthError, TmdbClient, TmdbUnavailable
from miauflix_desktop.services.scheduler import Scheduler
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from tests.fakes.tmdb_server import HTML_503, RATE_LIMITED, running_fake_tmdb

pytestmark = pytest.mark.timeout(120)


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def repo(tmp_path):
    db = Database(tmp_path / "c.sqlite3")
    db.open()
    yield CatalogRepository(db)
    db.close()


async def _full_sync(sync: CatalogSync) -> None:
    await sync.refresh_lists()
    await sync.sync_movies()
    await sync.sync_shows()
    for _ in range(20):  # season completion works in small batches
        await sync.complete_seasons()


async def test_full_sync_fills_lists_details_seasons_and_episodes(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200)
        await client.start()
        try:
            await _full_sync(CatalogSync(client, repo))
        finally:
            await client.stop()

    popular = repo.list_items("popular-movies", MOVIE, 40)
    assert popular and all(item.kind == MOVIE and item.title for item in popular)
    assert repo.list_items("popular-tv", TV, 40)
    # details synced: runtime and genres come from /movie/{id}, not from the list page
    matrix = repo.search("matrix", 5)[0]
    item = repo.movie_item(matrix.id)
    assert item.runtime_minutes and item.genres
    assert not repo.stale_movies(100, an_hour_ago())
    assert not repo.stale_shows(100, an_hour_ago())
    # every series has its seasons and every season its episodes
    assert repo.shows_with_incomplete_seasons(100) == []
    show = repo.list_items("popular-tv", TV, 1)[0]
    seasons = repo.seasons(show.id)
    assert seasons and repo.episodes(show.id, seasons[0].number)
    assert repo.genres(MOVIE)
    assert {s for s, _k, _n in repo.list_slugs()} >= {spec.slug for spec in LISTS}


async def test_tmdb_down_loses_nothing_and_recovers(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200,
                            max_retries=1, backoff_base_s=0.01)
        await client.start()
        try:
            sync = CatalogSync(client, repo)
            await sync.refresh_lists()
            before = [i.id for i in repo.list_items("popular-movies", MOVIE, 40)]
            fake.fail(HTML_503)
            with pytest.raises(TmdbUnavailable):
                await sync.refresh_lists()
            with pytest.raises(TmdbUnavailable):
                await sync.sync_movies()
            assert [i.id for i in repo.list_items("popular-movies", MOVIE, 40)] == before
            fake.clear_failures()
            await sync.sync_movies()  # recovers by itself on the next run
            assert not repo.stale_movies(100, an_hour_ago())
        finally:
            await client.stop()


async def test_rejected_key_is_an_auth_error(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient("not-the-key", base_url=fake.base_url)
        await client.start()
        try:
            with pytest.raises(TmdbAuthError, match="TMDB key rejected"):
                await CatalogSync(client, repo).refresh_lists()
        finally:
            await client.stop()


async def test_scheduler_runs_jobs_and_records_sync_state(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200)
        await client.start()
        sync = CatalogSync(client, repo)
        scheduler = Scheduler(sync.jobs(), SyncStateStore(repo))
        try:
            await scheduler.start()
            await scheduler.run_now("refreshLists")
            await scheduler.run_now("syncMovies")
        finally:
            await scheduler.stop()
            await client.stop()
    assert repo.sync_state("refreshLists").last_run_at is not None
    assert repo.sync_state("syncMovies").last_run_at is not None


async def test_sync_never_stalls_the_event_loop(repo):
    """Loop lag while a full sync runs (the UI shares this loop)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - t0 - 0.005)

    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=500)
        await client.start()
        task = asyncio.create_task(probe())
        try:
            await _full_sync(CatalogSync(client, repo))
        finally:
            done.set()
            await task
            await client.stop()
    assert lags
    # generous bound for a loaded CI box; bench/catalog.py prints the real figure
    assert max(lags) < 0.25, max(lags)


async def test_rate_limited_list_refresh_waits_and_completes(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200)
        await client.start()
        try:
            fake.fail(RATE_LIMITED, "/movie/popular", times=1, retry_after=1)
            t0 = time.monotonic()
            await CatalogSync(client, repo).refresh_lists()
            assert time.monotonic() - t0 >= 1.0
            assert repo.list_items("popular-movies", MOVIE, 40)
        finally:
            await client.stop()


async def test_hourly_list_refresh_keeps_synced_details(repo):
    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url, rate_per_second=200)
        await client.start()
        try:
            sync = CatalogSync(client, repo)
            await sync.refresh_lists()
            await sync.sync_movies()
            matrix = repo.search("matrix", 1)[0]
            before = repo.movie_item(matrix.id)
            assert before.runtime_minutes and before.tagline
            await sync.refresh_lists()  # list pages carry no runtime/tagline
            after = repo.movie_item(matrix.id)
            assert after.runtime_minutes == before.runtime_minutes
            assert after.tagline == before.tagline
            assert not repo.stale_movies(100, an_hour_ago())
        finally:
            await client.stop()
