"""Image refs to QML: ImageCache (real HTTP on 127.0.0.1) -> file URLs that QML decodes at
sourceSize; models refresh when a download lands; bad or corrupt refs are placeholders."""

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
from miauflix_desktop.ui.image_provider import ImageUrls, image_hub, image_url, install
from miauflix_desktop.ui.list_models import CardListModel
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import all_items, wait_until


def _png(width: int, height: int, colour: str) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


class _Server:
    def __init__(self) -> None:
        self.files = {"poster.png": _png(780, 1170, "#20c040"),
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
    urls = ImageUrls(cache, aloop)
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
        assert poster(0).startswith("file://") and poster(0).endswith("/w780/poster.png")
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
