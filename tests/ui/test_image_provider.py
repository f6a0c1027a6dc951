"""Image refs to QML: ImageCache (real HTTP on 127.0.0.1) -> file URLs that QML decodes at
sourceSize; cards get card-sized thumbnails, Details the original; models refresh when a
download lands; bad or corrupt refs are placeholders."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from aiohttp import web
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QUrl
from PySide6.QtGui import QColor, QImage
from PySide6.QtQml import QQmlComponent, QQmlEngine
from PySide6.QtQuick import QQuickItem

from miauflix_desktop.core.media import MediaItem
from miauflix_desktop.services.catalog.images import ImageCache
from miauflix_desktop.ui.image_provider import (
    ImageUrls,
    card_image_url,
    image_hub,
    image_url,
    install,
    make_thumbnail,
)
from miauflix_desktop.ui.list_models import CardListModel
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import all_items, wait_until


def _png(width: int, height: int, colour: str,
         fmt: QImage.Format = QImage.Format.Format_RGB32) -> bytes:
    image = QImage(width, height, fmt)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


class _Server:
    def __init__(self) -> None:
        self.files = {"poster.png": _png(780, 1170, "#20c040"),
                      "small.png": _png(200, 300, "#2040c0"),
                      "broken.jpg": b"<html>502 Bad Gateway</html>"}
        self.runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/t/p/{size}/{name}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/t/p/"

    async def handle(self, request: web.Request) -> web.Response:
        body = self.files.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
def cache(aloop: qasync.QEventLoop, tmp_path: Path) -> Iterator[ImageCache]:
    server = _Server()
    run(aloop, server.start())
    images = ImageCache(tmp_path / "images", server.base, retry_after=60)
    run(aloop, images.start())
    yield images
    run(aloop, images.stop())
    run(aloop, server.stop())


def test_without_a_resolver_only_local_files_resolve(tmp_path: Path) -> None:
    install(None)
    local = tmp_path / "p.png"
    local.write_bytes(_png(10, 10, "#ff0000"))
    assert image_url(str(local)).startswith("file://")
    assert image_url(str(tmp_path / "missing.png")) == ""
    assert image_url("tmdb:w342:/x.jpg") == ""
    assert image_url(None) == ""


def test_remote_refs_download_then_refresh_the_model(aloop: qasync.QEventLoop,
                                                     cache: ImageCache) -> None:
    urls = ImageUrls(cache, aloop, card_size=(240, 360))
    install(urls)
    model = CardListModel([MediaItem(1, "A", poster="tmdb:w780:/poster.png"),
                           MediaItem(2, "B", poster="tmdb:w780:/missing.png"),
                           MediaItem(3, "C", poster="tmdb:w780:/broken.jpg")])
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    resolved: list[str] = []
    image_hub().resolved.connect(resolved.append)

    def poster(row: int) -> str:
        return model.data(model.index(row, 0), CardListModel.PosterRole)

    try:
        # Not on disk yet: the placeholder now, a download in the background.
        assert [poster(r) for r in range(3)] == ["", "", ""]

        async def scenario() -> None:
            await wait_until(lambda: 0 in changed, 10, "row 0 refreshed")
            await asyncio.sleep(0.2)

        run(aloop, scenario())
        assert resolved == ["tmdb:w780:/poster.png"]
        assert changed == [0], "only the row whose poster arrived"
        # Cards get the card-sized thumbnail, made right after the download; Details the
        # original.
        assert poster(0).startswith("file://")
        assert poster(0).endswith("/thumb/240x360/w780/poster.png.jpg")
        assert image_url("tmdb:w780:/poster.png").endswith("/w780/poster.png")
        assert cache.thumbnails == 1
        # 404 and garbage stay placeholders, and are not asked for again right away.
        assert poster(1) == "" and poster(2) == ""
        assert cache.cached_path("tmdb:w780:/broken.jpg") is None
    finally:
        image_hub().resolved.disconnect(resolved.append)
        run(aloop, urls.aclose())
        install(None)


def test_qml_decodes_cached_files_at_source_size(aloop: qasync.QEventLoop,
                                                 cache: ImageCache) -> None:
    path = run(aloop, cache.get("tmdb:w780:/poster.png"))
    assert path is not None
    urls = ImageUrls(cache, aloop)
    install(urls)
    engine = QQmlEngine()
    component = QQmlComponent(engine)
    component.setData(
        f'import QtQuick\nImage {{ asynchronous: true; source: "{image_url(str(path))}"; '
        f'sourceSize.width: 160; sourceSize.height: 240; '
        f'property bool ready: status === Image.Ready }}'.encode(), QUrl())
    image = component.create()
    assert image is not None, component.errorString()
    try:
        async def scenario() -> None:
            await wait_until(lambda: image.property("ready"), 10, "Image.Ready")

        run(aloop, scenario())
        # Decoded at the requested size, not at the file's 780x1170.
        assert image.property("implicitWidth") == 160
        assert image.property("implicitHeight") == 240
    finally:
        install(None)
        image.deleteLater()
        engine.deleteLater()


def test_home_posters_are_file_urls_with_source_size(ui: UiHarness) -> None:
    async def scenario() -> None:
        def posters() -> list[QQuickItem]:
            return [i for i in all_items(ui.window)
                    if isinstance(i.property("source"), QUrl)
                    and i.property("source").toString().startswith("file://")
]

        await wait_until(lambda: len(posters()) >= 2, 10, "posters")
        for poster in posters():
            size = poster.property("sourceSize")
            # Every grid/shelf image asks for a display-sized decode.
            assert size.width() > 0, poster

    run(ui.loop, scenario())


def test_make_thumbnail_covers_the_card_as_jpeg(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(_png(780, 1170, "#20c040"))
    data = make_thumbnail(big, 240, 360)
    assert data is not None and data.startswith(b"\xff\xd8\xff")
    thumb = QImage.fromData(data)
    assert (thumb.width(), thumb.height()) == (240, 360)
    assert thumb.pixelColor(120, 180).green() > 150
    # Another aspect ratio: scaled to cover the card (QML's PreserveAspectCrop crops it).
    wide = tmp_path / "wide.png"
    wide.write_bytes(_png(1000, 1000, "#ffffff"))
    square = QImage.fromData(make_thumbnail(wide, 240, 360) or b"")
    assert (square.width(), square.height()) == (360, 360)
    # Not worth it: no larger than the card, transparent, not an image.
    small = tmp_path / "small.png"
    small.write_bytes(_png(240, 360, "#000000"))
    assert make_thumbnail(small, 240, 360) is None
    alpha = tmp_path / "alpha.png"
    alpha.write_bytes(_png(780, 1170, "#80ff0000", QImage.Format.Format_ARGB32))
    assert make_thumbnail(alpha, 240, 360) is None
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"<html>")
    assert make_thumbnail(junk, 240, 360) is None


def test_cards_show_the_original_when_no_thumbnail_helps(aloop: qasync.QEventLoop,
                                                         cache: ImageCache) -> None:
    urls = ImageUrls(cache, aloop, card_size=(240, 360))
    install(urls)
    resolved: list[str] = []
    image_hub().resolved.connect(resolved.append)
    try:
        # Smaller than the card: once fetched, cards use the original file.
        assert card_image_url("tmdb:w185:/small.png") == ""

        async def scenario() -> None:
            await wait_until(lambda: resolved == ["tmdb:w185:/small.png"], 10, "resolved")

        run(aloop, scenario())
        assert card_image_url("tmdb:w185:/small.png").endswith("/w185/small.png")
        assert cache.thumbnails == 0
        # Local files (the demo's posters) are shown as they are.
        local = cache.cache_dir.parent / "local.png"
        local.write_bytes(_png(780, 1170, "#ffffff"))
        assert card_image_url(str(local)) == image_url(str(local))
    finally:
        image_hub().resolved.disconnect(resolved.append)
        run(aloop, urls.aclose())
        install(None)
