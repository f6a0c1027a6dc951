"""Source discovery end to end: real SQLite, real HTTP to the fake YTS and TheRARBG on
127.0.0.1, real parsing and scoring; the scheduler's jobs driven by a ManualClock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from miauflix_desktop.services.clock import ManualClock
from miauflix_desktop.services.network.vpn import VpnConfig, VpnGate, VpnProbe
from miauflix_desktop.services.scheduler import Scheduler
from miauflix_desktop.services.sources.discovery import (
    SearchPaused,
    SourceDiscovery,
    SourceSearchFailed,
)
from miauflix_desktop.services.sources.providers import (
    TheRarbgOptions,
    TheRarbgProvider,
    YtsOptions,
    YtsProvider,
)
from miauflix_desktop.services.sources.providers.base import ProviderState
from miauflix_desktop.services.sources.types import TrackerStats
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import SourceRepository
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from tests.fakes.therarbg_server import running_fake_therarbg
from tests.fakes.yts_server import running_fake_yts

FAST = {"timeout_s": 0.5, "backoff_base_s": 0.05, "backoff_max_s": 0.2, "rate_max": 1000.0,
        "rate_period_s": 1.0}
MATRIX, INTERSTELLAR, INCEPTION = "tt0133093", "tt0816692", "tt1375666"


class SwitchDetector:
    """The VPN detector injected (the namespace test covers real detection)."""

    def __init__(self) -> None:
        self.up = True

    def detect(self, interface: str | None = None) -> VpnProbe:
        return VpnProbe(self.up, "wg0" if self.up else None,
                        "VPN wg0 is up" if self.up else "VPN wg0 is down — torrents paused")


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "m.sqlite3")
    database.open()
    yield database
    database.close()


def add_film(db: Database, tmdb_id: int, title: str, imdb_id: str | None,
             popularity: float) -> int:
    return CatalogRepository(db).upsert_movie(tmdb_id, title=title, release_date="1999-03-31",
                                              popularity=popularity, imdb_id=imdb_id)


@pytest.fixture
async def world(db):
    async with running_fake_yts() as fyts, running_fake_therarbg() as frarbg:
        providers = [YtsProvider(YtsOptions(mirrors=(fyts.origin,), **FAST)),
                     TheRarbgProvider(TheRarbgOptions(mirrors=(frarbg.origin,), **FAST))]
        for p in providers:
            await p.start()
        try:
            yield db, fyts, frarbg, providers
        finally:
            for p in providers:
                await p.stop()


async def test_search_stores_scored_sources_best_playable_first(world) -> None:
    db, fyts, frarbg, providers = world
    film = add_film(db, 603, "The Matrix", MATRIX, 80.0)
    discovery = SourceDiscovery(SourceRepository(db), providers)
    lines: list[str] = []
    found = await discovery.search_title(film, lines.append)
    assert found >= 8
    assert lines[0] == "Asking YTS, TheRARBG…" and lines[-1].startswith("Scoring ")
    assert fyts.count() == 1 and frarbg.count() >= 2  # list + detail pages

    # What the Details screen gets: best first, with the UI's explanation.
    service = StreamService(MovieRepository(db), engine=None,  # type: ignore[arg-type]
                            signer=TokenSigner(b"k" * 32), base_url=lambda: "", token_ttl=60)
    items = await service.sources(film)
    assert len(items) == found
    assert {i.provider for i in items} == {"YTS", "TheRARBG"}
    assert items[0].explanation.endswith("best that plays here")
    assert items[0].playable
    scores = [i.score for i in items if i.playable]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= i.score <= 10_000 for i in items)
    cam = [i for i in items if "CAM" in i.explanation or i.quality == "480p"]
    assert not cam or cam[0].score < items[0].score

    # Searching again refreshes the same rows (by info hash), it does not duplicate them.
    assert await discovery.search_title(film) == found
    assert len(await service.sources(film)) == found


async def test_one_provider_failing_never_stops_the_other(world) -> None:
    db, _fyts, frarbg, providers = world
    film = add_film(db, 157336, "Interstellar", INTERSTELLAR, 70.0)
    frarbg.fail("cloudflare")
    found = await SourceDiscovery(SourceRepository(db), providers).search_title(film)
    assert found > 0
    rarbg = providers[1].snapshot()
    assert rarbg.state is ProviderState.DEGRADED and "Cloudflare" in rarbg.reason
    assert providers[0].snapshot().state is ProviderState.HEALTHY
    stored = SourceRepository(db).sources_of(film)
    assert {s.provider for s in stored} == {"yts"}


async def test_every_provider_failing_is_an_error_and_nothing_is_marked(world) -> None:
    db, fyts, frarbg, providers = world
    film = add_film(db, 27205, "Inception", INCEPTION, 60.0)
    fyts.fail("500")
    frarbg.fail("503-html")
    discovery = SourceDiscovery(SourceRepository(db), providers)
    with pytest.raises(SourceSearchFailed, match="No provider answered"):
        await discovery.search_title(film)
    # Not marked as searched: the job comes back to it once the providers recover.
    stale = datetime.now(UTC)
    assert [t.movie_id for t in SourceRepository(db).titles_to_search(stale, 5)] == [film]


async def test_closed_vpn_gate_pauses_search_and_the_jobs(world) -> None:
    db, fyts, frarbg, providers = world
    film = add_film(db, 603, "The Matrix", MATRIX, 80.0)
    detector = SwitchDetector()
    detector.up = False
    gate = VpnGate(VpnConfig(require_vpn=True, interface="wg0", poll_interval_s=0.05),
                   detector=detector)
    await gate.start()
    try:
        discovery = SourceDiscovery(SourceRepository(db), providers, gate=gate)
        with pytest.raises(SearchPaused, match="VPN is down"):
            await discovery.search_title(film)
        assert await discovery.search_next() == 0
        assert await discovery.update_stats() == 0
        assert fyts.count() == 0 and frarbg.count() == 0
        detector.up = True
        await asyncio.wait_for(gate.wait_open(), 2)
        assert await discovery.search_next() == 1
        assert fyts.count() == 1
    finally:
        await gate.stop()


async def test_jobs_on_a_manual_clock_search_one_title_per_tick_and_rescore(world) -> None:
    db, fyts, _frarbg, providers = world
    films = [add_film(db, 603, "The Matrix", MATRIX, 80.0),
             add_film(db, 157336, "Interstellar", INTERSTELLAR, 90.0),
             add_film(db, 27205, "Inception", INCEPTION, 10.0)]
    clock = ManualClock(datetime.now(UTC))
    scraped: list[list[str]] = []

    async def stats(trackers, hashes):
        # The scrape itself is tested against opentracker; here it answers by hash.
        scraped.append(list(hashes))
        return {h: TrackerStats(seeds=5, peers=1) for h in hashes}

    repo = SourceRepository(db)
    discovery = SourceDiscovery(repo, providers, stats=stats, clock=clock)
    scheduler = Scheduler(discovery.jobs({"movieSourceSearch": 0.1}), clock=clock)
    await scheduler.start()
    try:
        # Each tick awaits real HTTP on loopback, so let real time pass between steps.
        for _ in range(80):
            await clock.advance(0.1, step=0.1)
            await asyncio.sleep(0.02)
            if all(repo.sources_of(f) for f in films) and scraped:
                break
    finally:
        await scheduler.stop()
    # Most popular first: Interstellar, then The Matrix, then Inception.
    asked = [r.query["query_term"] for r in fyts.requests]
    assert asked[:3] == [INTERSTELLAR, MATRIX, INCEPTION]
    assert all(repo.sources_of(f) for f in films)
    status = scheduler.status("movieSourceSearch")
    assert status.items_total >= 3
    assert scraped, "updateSourcesStats scraped the new sources"
    refreshed = [s for f in films for s in repo.sources_of(f) if s.last_stats_check]
    assert refreshed and all(s.seeds == 5 and s.peers == 1 for s in refreshed)


async def test_a_discovered_source_plays_through_the_engine(world, tmp_path) -> None:
    """Provider answer -> stored magnet -> Details' choice -> libtorrent -> the same bytes."""
    import os

    from miauflix_desktop.config.settings import TorrentSettings
    from miauflix_desktop.services.torrent import (
        LocalSeeder,
        TorrentEngine,
        info_hash_of,
        make_torrent,
    )

    db, fyts, _frarbg, providers = world
    content = tmp_path / "content"
    content.mkdir()
    payload = os.urandom(3 * 1024 * 1024 + 77)
    (content / "Loopback.Movie.2024.1080p.WEB-DL.x264.mkv").write_bytes(payload)
    torrent = make_torrent(content / "Loopback.Movie.2024.1080p.WEB-DL.x264.mkv")
    ih = info_hash_of(torrent)
    imdb = "tt9000001"
    movie = dict(fyts.answers[MATRIX]["data"]["movies"][0], imdb_code=imdb,
                 title="Loopback Movie", year=2024)
    movie["torrents"] = [dict(movie["torrents"][0], hash=ih.upper(), quality="1080p",
                              seeds=12, peers=1, size_bytes=len(payload))]
    fyts.answers[imdb] = {"status": "ok", "data": {"movie_count": 1, "movies": [movie]}}
    film = add_film(db, 9000001, "Loopback Movie", imdb, 5.0)

    seeder = LocalSeeder(tmp_path / "seeder")
    engine = TorrentEngine(TorrentSettings(), tmp_path / "dl", tmp_path / "resume",
                           isolated=True)
    await seeder.start()
    await engine.start()
    try:
        await seeder.seed(torrent, content)
        await SourceDiscovery(SourceRepository(db), [providers[0]]).search_title(film)
        service = StreamService(
            MovieRepository(db), engine, TokenSigner(b"k" * 32),
            base_url=lambda: "http://127.0.0.1:1", token_ttl=60,
            peer_hints=lambda h: (seeder.endpoint,) if h == ih else ())
        [source] = await service.sources(film)
        assert source.quality == "1080p" and source.playable
        target = await asyncio.wait_for(service.open(film, source.id), 20)
        opened = await service.resolve(target.url.rsplit("/", 1)[1])
        reader = opened.reader()
        try:
            data = await asyncio.wait_for(reader.read(0, len(payload)), 20)
        finally:
            reader.close()
        assert data == payload

        # Evicted from the cache (or removed by the seeding policy): Play adds it again.
        await engine.remove(ih)
        again = await asyncio.wait_for(service.open(film, source.id), 20)
        reopened = await service.resolve(again.url.rsplit("/", 1)[1])
        assert reopened.torrent is engine.get(ih)
        reader = reopened.reader()
        try:
            assert await asyncio.wait_for(reader.read(0, 4096), 20) == payload[:4096]
        finally:
            reader.close()
    finally:
        await asyncio.wait_for(engine.stop(), 5)
        await seeder.stop()


async def test_resync_retries_unavailable_metadata_and_drops_dead_sources(world) -> None:
    from datetime import timedelta

    db, _fyts, _frarbg, providers = world
    film = add_film(db, 603, "The Matrix", MATRIX, 80.0)
    clock = ManualClock(datetime.now(UTC))
    repo = SourceRepository(db)
    discovery = SourceDiscovery(repo, providers, clock=clock)
    await discovery.search_title(film)
    first, second = repo.sources_of(film)[:2]
    repo.mark_file_unavailable(first.id)
    assert first.id not in {s.id for s in repo.sources_without_file(100)}
    # A source with no seeds for longer than dead_after_s is dropped by the next pass.
    long_ago = clock.now() - timedelta(days=30)
    repo.save_stats(second.id, 0, 0, long_ago, clock.now(), 10, "dead", True)
    processed = 0
    for _ in range(5):
        processed += await discovery.resync()
    assert processed >= 1
    ids = {s.id for s in repo.sources_of(film)}
    assert second.id not in ids and first.id in ids
    # The pass ended: metadata that could not be fetched is tried again.
    assert first.id in {s.id for s in repo.sources_without_file(100)}


async def test_idle_ticks_rest_instead_of_querying_and_wake_up_for_new_titles(world) -> None:
    db, fyts, _frarbg, providers = world

    class CountingRepo(SourceRepository):
        """The real repository, counting how often the search tick asks it."""

        asked = 0

        def titles_to_search(self, stale_before, limit=1):
            CountingRepo.asked += 1
            return super().titles_to_search(stale_before, limit)

    clock = ManualClock(datetime.now(UTC))
    discovery = SourceDiscovery(CountingRepo(db), providers, clock=clock)
    for _ in range(20):  # two seconds of 0.1 s ticks with nothing to search
        assert await discovery.search_next() == 0
        await clock.advance(0.1, step=0.1)
    assert CountingRepo.asked == 1
    add_film(db, 603, "The Matrix", MATRIX, 80.0)
    discovery.wake()  # what a finished catalog sync does
    assert await discovery.search_next() == 1
    assert fyts.count() == 1
