"""Metadata for magnets: from a real loopback seeder (peer hint, no DHT) through the engine,
from .torrent caches (httpx mock transport, no network), rejections and timeouts."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import libtorrent as lt
import pytest

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.sources.magnets import MagnetError, build_magnet
from miauflix_desktop.services.sources.metadata import (
    MetadataFetcher,
    MetadataTimeout,
    MetadataUnavailable,
    cache_url,
)
from miauflix_desktop.services.sources.torrent_check import RejectReason, TorrentRejected
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent

NOBODY = "5eed" * 10


@pytest.fixture
def release(tmp_path):
    """A multi-file release: the movie, a sample and an .nfo."""
    content = tmp_path / "content"
    folder = content / "Movie (2021)"
    folder.mkdir(parents=True)
    (folder / "movie.mkv").write_bytes(os.urandom(2 * 1024 * 1024))
    (folder / "sample.mkv").write_bytes(os.urandom(200 * 1024))
    (folder / "movie.nfo").write_bytes(b"info" * 1000)
    return content, make_torrent(folder)


@pytest.fixture
def no_video(tmp_path):
    content = tmp_path / "text"
    content.mkdir()
    (content / "readme.txt").write_bytes(os.urandom(300 * 1024))
    return content, make_torrent(content / "readme.txt")


@pytest.fixture
async def seeder(tmp_path):
    s = LocalSeeder(tmp_path / "seeder")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def engine(tmp_path):
    e = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                      isolated=True)
    await e.start()
    yield e
    await asyncio.wait_for(e.stop(), 5)


def trackers_of(torrent_bytes: bytes) -> list[str]:
    # torrent_info.trackers() is deprecated in libtorrent 2.1; read the announce-list.
    tiers = lt.bdecode(torrent_bytes).get(b"announce-list", [])
    return [url.decode() for tier in tiers for url in tier]


def magnet_for(info_hash: str) -> str:
    return build_magnet(info_hash, "Movie (2021)", ["udp://127.0.0.1:9/announce"],
                        default_trackers=())


async def test_magnet_metadata_from_a_loopback_seeder(release, seeder, engine, tmp_path):
    content, torrent_bytes = release
    await seeder.seed(torrent_bytes, content)
    ih = info_hash_of(torrent_bytes)
    fetcher = MetadataFetcher(engine, swarm_timeout_s=10)
    started = time.perf_counter()
    got = await fetcher.fetch(magnet_for(ih), peers=(seeder.endpoint,))
    elapsed = time.perf_counter() - started
    assert got.source == "swarm"
    assert got.checked.info_hash == ih == info_hash_of(got.torrent_bytes)
    assert got.checked.chosen.path == "Movie (2021)/movie.mkv"
    assert got.checked.file_size == 2 * 1024 * 1024
    # The stored .torrent keeps the magnet's trackers.
    assert trackers_of(got.torrent_bytes) == \
        ["udp://127.0.0.1:9/announce"]
    # Added only for this: removed again, and no content was downloaded (upload mode).
    assert engine.get(ih) is None
    downloads = tmp_path / "downloads"
    assert sum(p.stat().st_size for p in downloads.rglob("*") if p.is_file()) == 0
    assert elapsed < 5, elapsed
    print(f"metadata from the loopback seeder in {elapsed * 1000:.0f} ms")


async def test_a_torrent_the_engine_already_has_is_left_alone(release, seeder, engine):
    content, torrent_bytes = release
    await seeder.seed(torrent_bytes, content)
    ih = info_hash_of(torrent_bytes)
    torrent = await engine.add(TorrentSpec(torrent_bytes=torrent_bytes))
    got = await MetadataFetcher(engine, swarm_timeout_s=2).from_swarm(magnet_for(ih))
    assert got.checked.info_hash == ih
    assert engine.get(ih) is torrent
    assert not torrent.handle.flags() & lt.torrent_flags.upload_mode


async def test_a_bad_hash_is_rejected_before_the_engine(engine):
    fetcher = MetadataFetcher(engine, swarm_timeout_s=1)
    for magnet in ("magnet:?xt=urn:btih:1234", "magnet:?xt=urn:btih:" + "z" * 40,
                   "https://example.invalid/x.torrent"):
        with pytest.raises(MagnetError):
            await fetcher.fetch(magnet)
    assert engine.torrents() == []


async def test_a_magnet_nobody_seeds_times_out_quickly(engine):
    fetcher = MetadataFetcher(engine, swarm_timeout_s=0.5)
    started = time.perf_counter()
    with pytest.raises(MetadataTimeout, match=r"no metadata within 0.5s"):
        await fetcher.from_swarm(magnet_for(NOBODY))
    with pytest.raises(MetadataUnavailable, match=r"no metadata within 0.3s"):
        await fetcher.fetch(magnet_for(NOBODY), swarm_timeout_s=0.3)
    assert time.perf_counter() - started < 3
    assert engine.get(NOBODY) is None


async def test_concurrent_fetches_share_one_attempt(release, seeder, engine):
    content, torrent_bytes = release
    await seeder.seed(torrent_bytes, content)
    ih = info_hash_of(torrent_bytes)
    fetcher = MetadataFetcher(engine, swarm_timeout_s=10)
    a, b = await asyncio.gather(fetcher.fetch(magnet_for(ih), peers=(seeder.endpoint,)),
                                fetcher.from_swarm(magnet_for(ih)))
    assert a is b and a.checked.info_hash == ih
    assert engine.get(ih) is None


async def test_a_cancelled_caller_still_cleans_up(engine):
    fetcher = MetadataFetcher(engine, swarm_timeout_s=0.3)
    caller = asyncio.create_task(fetcher.from_swarm(magnet_for(NOBODY)))
    await asyncio.sleep(0.05)
    assert engine.get(NOBODY) is not None
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    deadline = time.monotonic() + 3
    while engine.get(NOBODY) is not None:
        assert time.monotonic() < deadline, "the abandoned attempt did not remove its torrent"
        await asyncio.sleep(0.05)


async def test_swarm_metadata_that_breaks_a_rule_is_rejected(no_video, seeder, engine):
    content, torrent_bytes = no_video
    await seeder.seed(torrent_bytes, content)
    ih = info_hash_of(torrent_bytes)
    with pytest.raises(TorrentRejected) as info:
        await MetadataFetcher(engine, swarm_timeout_s=10).fetch(
            magnet_for(ih), peers=(seeder.endpoint,))
    assert info.value.reason == RejectReason.NO_VIDEO
    assert engine.get(ih) is None


# --------------------------------------------------------------- .torrent caches


def cache_client(routes: dict[str, object]) -> httpx.AsyncClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        reply = routes.get(str(request.url))
        if reply == "hang":
            await asyncio.sleep(30)
        if isinstance(reply, bytes):
            return httpx.Response(200, content=reply)
        return httpx.Response(404, text="not here")

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_caches_are_tried_in_order_and_the_hash_is_checked(release, no_video):
    _, right = release
    _, wrong = no_video
    ih = info_hash_of(right)
    templates = ["https://a.invalid/torrent/{HASH}.torrent", "https://b.invalid/{hash}",
                 "https://c.invalid/t/{HASH}", "https://d.invalid/{HASH}",
                 "https://e.invalid/{HASH}"]
    urls = [cache_url(t, ih) for t in templates]
    assert urls[0] == f"https://a.invalid/torrent/{ih.upper()}.torrent"
    assert urls[1] == f"https://b.invalid/{ih}"
    routes = {urls[1]: "hang", urls[2]: wrong, urls[3]: b"<html>captcha</html>",
              urls[4]: right}
    async with cache_client(routes) as client:
        fetcher = MetadataFetcher(None, cache_urls=templates, client=client,
                                  http_timeout_s=0.3)
        started = time.perf_counter()
        got = await fetcher.fetch(magnet_for(ih))
    assert time.perf_counter() - started < 2
    assert got.source == urls[4]
    assert got.checked.info_hash == ih
    assert got.checked.chosen.path == "Movie (2021)/movie.mkv"
    # The cache's .torrent had no trackers: the magnet's are added, the hash unchanged.
    assert info_hash_of(got.torrent_bytes) == ih
    assert trackers_of(got.torrent_bytes) == \
        ["udp://127.0.0.1:9/announce"]


async def test_cache_failures_are_reported_and_a_bad_torrent_is_rejected(no_video):
    _, bad = no_video
    ih = info_hash_of(bad)
    templates = ["https://a.invalid/{HASH}", "https://b.invalid/{HASH}"]
    async with cache_client({}) as client:
        fetcher = MetadataFetcher(None, cache_urls=templates, client=client)
        with pytest.raises(MetadataUnavailable) as info:
            await fetcher.fetch(magnet_for(ih))
    text = str(info.value)
    assert "a.invalid" in text and "b.invalid" in text and "HTTP 404" in text
    assert "no torrent engine" in text
    # The right torrent, but it breaks a rule: rejected, no other source tried.
    async with cache_client({cache_url(templates[0], ih): bad}) as client:
        fetcher = MetadataFetcher(None, cache_urls=templates, client=client)
        with pytest.raises(TorrentRejected) as rejected:
            await fetcher.fetch(magnet_for(ih))
    assert rejected.value.reason == RejectReason.NO_VIDEO
