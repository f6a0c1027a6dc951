"""Sources that never answer, through real libtorrent on loopback and real SQLite: a magnet
nobody seeds (a download for later, a warm-up, a switch candidate) must not hold up the
streams of other sources; a switch gives such a candidate up in time and removes the
torrent it added; and a stall switch away from a download for later leaves it downloading.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

import aiohttp
import libtorrent as lt
import pytest

import miauflix_desktop.services.streaming.service as service_module
from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.core.downloads import DOWNLOADING
from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.services.security.keys import MemoryKeyStore
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import MovieSource
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.torrent import LocalSeeder, info_hash_of
from tests.integration.stream_setup import StreamStack, build_stack, make_release
from tests.integration.test_downloads import App, _film, _media, _until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "lib.sqlite3", keys=MemoryKeyStore())
    database.open()
    yield database
    database.close()

MIB = 1024 * 1024


def dead_magnet(stack: StreamStack, film: int, *, score: int, quality: str = "1080p") -> str:
    """A magnet-only source of a random hash: no peer will ever send its metadata."""
    info_hash = os.urandom(20).hex()
    source_id = stack.movies.upsert_source(film, info_hash, None, 2 * MIB,  # type: ignore[arg-type]
                                           "therarbg", quality, "x264")
    with stack.db.session() as s, s.begin():
        s.get(MovieSource, source_id).streaming_score = score
    return info_hash


async def fetch(http: aiohttp.ClientSession, url: str, length: int) -> bytes:
    async with http.get(url, headers={"Range": f"bytes=0-{length - 1}"}) as resp:
        assert resp.status == 206, resp.status
        return await resp.read()


async def test_a_magnet_without_seeds_never_holds_up_another_stream(tmp_path, monkeypatch):
    monkeypatch.setattr(service_module, "OPEN_SOURCE_TIMEOUT_S", 3.0, raising=False)
    stack = await build_stack(tmp_path)
    background: list[asyncio.Task[object]] = []
    try:
        waiting = stack.film("Nobody Seeds This", -6001)
        dead_magnet(stack, waiting, score=9000)
        [dead_source] = stack.movies.sources(waiting)
        fine = stack.film("Plays Fine", -6002)
        rel = make_release(tmp_path, "Plays.Fine.2024.1080p.mkv", 2 * MIB)
        await stack.source(fine, rel, quality="1080p", codec="x264", score=9000)

        # A download for later and the Details warm-up of the dead title, both waiting on
        # metadata that never comes.
        background.append(asyncio.create_task(stack.service.open_source(dead_source.id)))
        background.append(asyncio.create_task(stack.service.prepare(waiting)))
        await asyncio.sleep(0.5)
        assert not any(t.done() for t in background)

        # Play of another film, and its stream requests, go ahead meanwhile.
        loop = asyncio.get_running_loop()
        started = loop.time()
        target = await asyncio.wait_for(stack.service.open(fine), 10)
        async with aiohttp.ClientSession() as http:
            assert await asyncio.wait_for(fetch(http, target.url, 4096), 10) == \
                rel.payload[:4096]
            assert await asyncio.wait_for(fetch(http, target.url, 100), 10) == \
                rel.payload[:100]
        assert loop.time() - started < 5
        assert not background[0].done()

        # The download gives up on the dead magnet with a reason, not never.
        with pytest.raises(StreamError, match="did not answer"):
            await asyncio.wait_for(background[0], 10)
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StreamError):
                await task
        await stack.aclose()


async def test_a_switch_candidate_that_never_answers_is_given_up_and_removed(
        tmp_path, monkeypatch):
    monkeypatch.setattr(service_module, "SWITCH_OPEN_TIMEOUT_S", 1.5)
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Three Sources", -6003)
        slow = make_release(tmp_path, "Three.Sources.2024.2160p.mkv", 2 * MIB)
        fine = make_release(tmp_path, "Three.Sources.2024.720p.mkv", 2 * MIB)
        await stack.source(film, slow, quality="2160p", codec="x264", score=9500)
        dead = dead_magnet(stack, film, score=8000)
        await stack.source(film, fine, quality="720p", codec="x264", score=5000)
        await stack.service.open(film)
        assert stack.engine.get(dead) is None

        loop = asyncio.get_running_loop()
        started = loop.time()
        switched = await asyncio.wait_for(stack.service.switch_source(film, 30.0), 15)
        assert switched is not None and switched.source_label == "720p · x264 from YTS"
        assert loop.time() - started >= 1.5  # it did wait for the dead one, in time
        # The magnet it added for nothing does not stay to download a film nobody plays.
        assert stack.engine.get(dead) is None
        async with aiohttp.ClientSession() as http:
            assert await fetch(http, switched.url, 4096) == fine.payload[:4096]

        # A kept torrent (a download for later) is never removed by a switch.
        other = stack.film("Kept Magnet", -6004)
        slow2 = make_release(tmp_path, "Kept.Magnet.2024.2160p.mkv", MIB)
        await stack.source(other, slow2, quality="2160p", codec="x264", score=9500)
        kept = dead_magnet(stack, other, score=8000)
        stack.service.keep_check(lambda h: h == kept)
        await stack.service.open(other)
        assert await asyncio.wait_for(stack.service.switch_source(other, 5.0), 15) is None
        assert stack.engine.get(kept) is not None
    finally:
        await stack.aclose()


async def test_a_stall_switch_away_from_a_marked_download_keeps_it_downloading(
        tmp_path, db):
    size = 12 * MIB
    content, _payload, marked_tb = _media(tmp_path, "marked.mkv", size)
    other_content, _other_payload, other_tb = _media(tmp_path, "other.mkv", 2 * MIB)
    slow = LocalSeeder(tmp_path / "slow-seeder")  # ~1 min for the whole download
    fast = LocalSeeder(tmp_path / "fast-seeder")
    for seeder in (slow, fast):
        await seeder.start()
    slow.set_upload_limit(200 * 1024)
    await slow.seed(marked_tb, content)
    await fast.seed(other_tb, other_content)
    movie, marked = _film(db, 1, marked_tb, size)
    other = MovieRepository(db).upsert_source(movie, info_hash_of(other_tb), other_tb,
                                              2 * MIB, "yts", "720p", "x264")
    with db.session() as s, s.begin():
        s.get(MovieSource, marked).streaming_score = 9000
        s.get(MovieSource, other).streaming_score = 1000
    app = App(tmp_path, db, TorrentSettings(), (slow.endpoint, fast.endpoint))
    app.streams.keep_check(app.cache.is_kept)  # as container.build_container wires it
    marked_hash = info_hash_of(marked_tb)
    await app.start()
    try:
        assert (await app.downloads.mark(movie)).source_id == marked

        async def downloading() -> bool:
            return (await app.item(movie)).state == DOWNLOADING
        await _until(downloading, 20)

        # Play prefers the download; it is too slow to watch, so the player switches.
        await app.streams.open(movie)
        switched = await app.streams.switch_source(movie, 10.0)
        assert switched is not None and switched.source_label == "720p · x264 from YTS"
        # The download for later is not paused by the switch: it goes on.
        assert not app.engine.seeding_stopped(marked_hash)
        done_before = (await app.item(movie)).downloaded

        async def progressing() -> bool:
            return (await app.item(movie)).downloaded > done_before
        await _until(progressing, 20)

        # Paused unfinished anyway (by an older build, or by hand): the next tick resumes.
        app.engine.stop_seeding(marked_hash)
        assert app.engine.seeding_stopped(marked_hash)
        await app.downloads.tick()

        async def resumed() -> bool:
            return not app.engine.seeding_stopped(marked_hash)
        await _until(resumed, 5)
        handle = app.engine.get(marked_hash).handle
        assert not handle.status().flags & lt.torrent_flags.paused
        assert (await app.item(movie)).state == DOWNLOADING
    finally:
        await app.stop()
        for seeder in (slow, fast):
            await seeder.stop()


async def test_the_preload_never_takes_a_download_as_its_own(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Kept And Warmed", -6005)
        rel = make_release(tmp_path, "Kept.And.Warmed.2024.1080p.mkv", 3 * MIB)
        await stack.source(film, rel, quality="1080p", codec="x264", score=9000)
        # Marked for download (TorrentCache.keep) while the viewport preload warms it.
        stack.service.keep_check(lambda h: h == rel.info_hash)
        result = await stack.service.warm(film, 256 * 1024, 256 * 1024)
        assert result is not None and result.info_hash == rel.info_hash
        assert not result.warm_only and not stack.service.is_warm_only(rel.info_hash)
        # So the preload's clean-up never deletes the download's files.
        assert not await stack.service.release_warm(rel.info_hash)
        assert stack.engine.get(rel.info_hash) is not None

        # A download that claimed a torrent the preload had added: released never.
        other = stack.film("Claimed Later", -6006)
        rel2 = make_release(tmp_path, "Claimed.Later.2024.1080p.mkv", 3 * MIB)
        source2 = await stack.source(other, rel2, quality="1080p", codec="x264", score=9000)
        warm = await stack.service.warm(other, 256 * 1024, 0)
        assert warm is not None and warm.warm_only
        await stack.service.open_source(source2)  # DownloadsService._add
        assert not stack.service.is_warm_only(rel2.info_hash)
        await stack.service.warm(other, 256 * 1024, 0)  # focused again later
        assert not stack.service.is_warm_only(rel2.info_hash)
        assert not await stack.service.release_warm(rel2.info_hash)
        assert stack.engine.get(rel2.info_hash) is not None
    finally:
        await stack.aclose()
