"""ImageCache against a real aiohttp server on 127.0.0.1: fetch once, cache hits without
network, garbage and damaged files, LRU eviction, one download for concurrent requests."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from miauflix_desktop.services.catalog.images import ImageCache, image_kind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000
JPEG = b"\xff\xd8\xff\xe0" + b"\x11" * 3000


class ImageServer:
    """Serves /t/p/<size>/<name>: known names as images, "bad.jpg" as an HTML page."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.delay = 0.0
        self.files: dict[str, bytes] = {"a.png": PNG, "b.jpg": JPEG}
        self.runner: web.AppRunner | None = None
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits[name] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if name == "bad.jpg":
            return web.Response(body=b"<html>502 Bad Gateway</html>", content_type="image/jpeg")
        if name not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[name], content_type="image/png")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/t/p/{size}/{name}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/t/p/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def server() -> AsyncIterator[ImageServer]:
    s = ImageServer()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def cache(server: ImageServer, tmp_path: Path) -> AsyncIterator[ImageCache]:
    c = ImageCache(tmp_path / "images", server.base, retry_after=0.2)
    await c.start()
    yield c
    await c.stop()


def test_magic_bytes() -> None:
    assert image_kind(PNG[:12]) == "png"
    assert image_kind(JPEG[:12]) == "jpeg"
    assert image_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert image_kind(b"<html>") is None
    assert image_kind(b"") is None


async def test_fetch_once_then_cache_hit(cache: ImageCache, server: ImageServer,
                                         tmp_path: Path) -> None:
    assert cache.cached_path("tmdb:w342:/a.png") is None
    path = await cache.get("tmdb:w342:/a.png")
    assert path == tmp_path / "images" / "w342" / "a.png"
    assert path.read_bytes() == PNG
    assert cache.cached_path("tmdb:w342:/a.png") == path
    # A second get is served from disk; even with the server gone.
    await server.stop()
    assert await cache.get("tmdb:w342:/a.png") == path
    assert server.hits["a.png"] == 1


async def test_sizes_are_separate_files(cache: ImageCache, server: ImageServer) -> None:
    small = await cache.get("tmdb:w185:/b.jpg")
    large = await cache.get("tmdb:original:/b.jpg")
    assert small and large and small != large
    assert server.hits["b.jpg"] == 2


async def test_local_paths_pass_through(cache: ImageCache, tmp_path: Path) -> None:
    local = tmp_path / "poster.png"
    local.write_bytes(PNG)
    assert await cache.get(str(local)) == local
    assert cache.cached_path(str(local)) == local
    assert await cache.get(str(tmp_path / "missing.png")) is None
    assert await cache.get("") is None


async def test_bad_refs_are_refused_without_network(cache: ImageCache,
                                                    server: ImageServer) -> None:
    for ref in ("tmdb:w342:/../../etc/passwd", "tmdb:w9999:/a.png", "tmdb:w342",
                "tmdb:w342:/sub/dir.png"):
        assert await cache.get(ref) is None, ref
    assert not server.hits


async def test_garbage_is_not_stored(cache: ImageCache, server: ImageServer) -> None:
    assert await cache.get("tmdb:w342:/bad.jpg") is None
    assert cache.cached_path("tmdb:w342:/bad.jpg") is None
    assert not (cache.cache_dir / "w342" / "bad.jpg").exists()
    assert await cache.get("tmdb:w342:/missing.jpg") is None  # 404


async def test_damaged_file_on_disk_is_deleted_and_fetched_again(
        cache: ImageCache, server: ImageServer) -> None:
    path = await cache.get("tmdb:w342:/a.png")
    assert path is not None
    path.write_bytes(b"truncated garbage")
    assert await cache.get("tmdb:w342:/a.png") == path
    assert path.read_bytes() == PNG
    assert server.hits["a.png"] == 2
    # Damaged and the server now answers garbage: deleted, placeholder (None).
    server.files["a.png"] = b"<html>oops</html>"
    path.write_bytes(b"garbage again")
    assert await cache.get("tmdb:w342:/a.png") is None
    assert not path.exists()


async def test_network_error_then_recovers(tmp_path: Path, server: ImageServer) -> None:
    # Nothing listens on the base URL: offline. Returns None, retries after the pause.
    offline = ImageCache(tmp_path / "img", "http://127.0.0.1:9/t/p/", retry_after=0.2,
                         timeout=2)
    await offline.start()
    try:
        assert await offline.get("tmdb:w342:/a.png") is None
        offline._base = server.base  # the network is back
        assert await offline.get("tmdb:w342:/a.png") is None  # still inside the pause
        await asyncio.sleep(0.25)
        assert await offline.get("tmdb:w342:/a.png") is not None
    finally:
        await offline.stop()


async def test_concurrent_requests_share_one_download(cache: ImageCache,
                                                      server: ImageServer) -> None:
    server.delay = 0.2
    results = await asyncio.gather(*(cache.get("tmdb:w342:/b.jpg") for _ in range(10)))
    assert len(set(results)) == 1 and results[0] is not None
    assert server.hits["b.jpg"] == 1
    assert cache.downloads == 1


async def test_cancelled_waiter_does_not_cancel_the_shared_download(
        cache: ImageCache, server: ImageServer) -> None:
    server.delay = 0.2
    first = asyncio.ensure_future(cache.get("tmdb:w342:/b.jpg"))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(cache.get("tmdb:w342:/b.jpg"))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second is not None
    assert server.hits["b.jpg"] == 1


async def test_lru_eviction_by_byte_cap(tmp_path: Path, server: ImageServer) -> None:
    for i in range(6):
        server.files[f"p{i}.png"] = PNG + bytes(1000)  # ~2 kB each
    cache = ImageCache(tmp_path / "lru", server.base, max_bytes=7000)
    await cache.start()
    try:
        paths = []
        for i in range(3):
            path = await cache.get(f"tmdb:w185:/p{i}.png")
            assert path is not None
            paths.append(path)
            # mtimes one second apart so LRU order is unambiguous on coarse filesystems
            os.utime(path, (1000 + i, 1000 + i))
        # Use p0 again: it becomes the most recent, p1 is now the least recently used.
        assert await cache.get("tmdb:w185:/p0.png") == paths[0]
        assert await cache.get("tmdb:w185:/p3.png") is not None  # over the cap -> evict
        assert not paths[1].exists(), "least recently used is evicted"
        assert paths[0].exists() and cache.cached_path("tmdb:w185:/p3.png") is not None
        assert cache.total_bytes <= 7000
    finally:
        await cache.stop()


async def test_total_survives_restart(tmp_path: Path, server: ImageServer) -> None:
    cache = ImageCache(tmp_path / "c", server.base)
    await cache.start()
    await cache.get("tmdb:w342:/a.png")
    await cache.stop()
    again = ImageCache(tmp_path / "c", server.base)
    await again.start()
    assert again.total_bytes == len(PNG)
    await again.stop()


def _fake_thumb(source: Path, width: int, height: int) -> bytes | None:
    """Stands in for ui.image_provider.make_thumbnail (Qt's decoder; this layer has no Qt)."""
    data = source.read_bytes()
    if data == PNG:
        return None  # "already small": cards show the original
    return JPEG[:4] + f"{width}x{height}".encode() + data[4:100]


async def test_thumbnail_made_once_after_the_download(cache: ImageCache, server: ImageServer,
                                                      tmp_path: Path) -> None:
    calls: list[tuple[Path, int, int]] = []

    def make(source: Path, width: int, height: int) -> bytes | None:
        calls.append((source, width, height))
        return _fake_thumb(source, width, height)

    assert cache.cached_thumbnail("tmdb:w342:/b.jpg", 240, 360) is None
    # Concurrent cards asking for the same thumbnail: one download, one thumbnail.
    thumbs = await asyncio.gather(*(cache.thumbnail("tmdb:w342:/b.jpg", 240, 360, make)
                                    for _ in range(4)))
    thumb = tmp_path / "images" / "thumb" / "240x360" / "w342" / "b.jpg.jpg"
    assert thumbs == [thumb] * 4
    assert thumb.read_bytes().startswith(b"\xff\xd8\xff\xe0240x360")
    assert calls == [(tmp_path / "images" / "w342" / "b.jpg", 240, 360)]
    assert server.hits["b.jpg"] == 1 and cache.thumbnails == 1
    assert cache.cached_thumbnail("tmdb:w342:/b.jpg", 240, 360) == thumb
    assert await cache.thumbnail("tmdb:w342:/b.jpg", 240, 360, make) == thumb
    assert len(calls) == 1
    # Counted like any cache file (LRU cap), and another card size is another file.
    assert cache.total_bytes == len(JPEG) + thumb.stat().st_size
    assert await cache.thumbnail("tmdb:w342:/b.jpg", 160, 240, make) != thumb


async def test_thumbnail_declined_or_unavailable(cache: ImageCache, server: ImageServer) -> None:
    # make() says no (small, transparent, undecodable): remembered, the original is used.
    assert await cache.thumbnail("tmdb:w342:/a.png", 240, 360, _fake_thumb) is None
    assert cache.thumbnail_declined("tmdb:w342:/a.png", 240, 360)
    assert cache.cached_path("tmdb:w342:/a.png") is not None

    def boom(_s: Path, _w: int, _h: int) -> bytes | None:
        raise RuntimeError("decoder crashed")

    def garbage(_s: Path, _w: int, _h: int) -> bytes | None:
        return b"<html>"

    assert await cache.thumbnail("tmdb:w185:/b.jpg", 240, 360, boom) is None
    assert await cache.thumbnail("tmdb:w300:/b.jpg", 240, 360, garbage) is None
    assert cache.thumbnail_declined("tmdb:w300:/b.jpg", 240, 360)
    # No original (404, bad ref): None, and not "declined" (cards keep the placeholder).
    assert await cache.thumbnail("tmdb:w342:/missing.jpg", 240, 360, _fake_thumb) is None
    assert not cache.thumbnail_declined("tmdb:w342:/missing.jpg", 240, 360)
    assert await cache.thumbnail("tmdb:w999:/b.jpg", 240, 360, _fake_thumb) is None
    assert cache.thumb_target("tmdb:w342:/../x.jpg", 240, 360) is None
    assert cache.thumbnails == 0
