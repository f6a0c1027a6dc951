"""UiShell: loads the QML scene for the view models, and tears it down in a safe order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtQml import QQmlApplicationEngine, QQmlError, qmlRegisterType
from PySide6.QtQuick import QQuickItem, QQuickWindow

from miauflix_desktop.core.errors import MiauflixError, PlaybackError
from miauflix_desktop.ui.graphics import (
    OPENGL,
    configure_graphics,
    ensure_opengl_requested,
    scene_graph_api,
)
from miauflix_desktop.ui.image_provider import ImageSource, ImageUrls, install
from miauflix_desktop.ui.mpv_item import MpvItem
from miauflix_desktop.ui.navigator import AppViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel

__all__ = ["UiShell", "configure_graphics"]

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).resolve().parent.parent / "qml"

_registered = False


def register_qml_types() -> None:
    global _registered
    if not _registered:
        qmlRegisterType(MpvItem, "Miauflix.Video", 1, 0, "MpvItem")
        _registered = True


class UiShell:
    """Owns the QML engine and window; the view models are built by the container."""

    def __init__(self, app: AppViewModel, player: PlayerViewModel,
                 images: ImageSource | None = None) -> None:
        self._app = app
        self._player = player
        # The ImageCache (a service the container built); None -> local files only.
        self._images = images
        self._image_urls: ImageUrls | None = None
        self._engine: QQmlApplicationEngine | None = None
        self._window: QQuickWindow | None = None

    @property
    def image_urls(self) -> ImageUrls | None:
        return self._image_urls

    @property
    def window(self) -> QQuickWindow | None:
        return self._window

    @property
    def video_enabled(self) -> bool:
        return self._player.player.needs_render_context

    def load(self) -> QQuickWindow:
        """Create the engine, load Main.qml, show the window and start loading Home."""
        if self.video_enabled:
            ensure_opengl_requested()
        register_qml_types()
        engine = QQmlApplicationEngine()
        engine.warnings.connect(_log_qml_warnings)
        engine.addImportPath(str(QML_DIR))
        # Before any model is read: posters resolve through the image cache (see
        # ui/image_provider.py for why this is not a QML image provider).
        self._image_urls = ImageUrls(self._images, asyncio.get_event_loop())
        install(self._image_urls)
        engine.setInitialProperties({"app": self._app})
        engine.load(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
        roots = engine.rootObjects()
        if not roots or not isinstance(roots[0], QQuickWindow):
            raise MiauflixError("The user interface could not be loaded (see the log).")
        window = roots[0]
        self._engine = engine
        self._window = window
        if self.video_enabled:
            window.sceneGraphInitialized.connect(self._check_scene_graph)
        self._app.start()
        return window

    def find(self, object_name: str) -> QQuickItem | None:
        """Find a named QML item (tests and diagnostics)."""
        if self._window is None:
            return None
        return self._window.findChild(QQuickItem, object_name)

    def _check_scene_graph(self) -> None:
        # Runs on the render thread: only inspect and log; the error shows on the player.
        assert self._window is not None
        api = scene_graph_api(self._window)
        if api != OPENGL:
            log.critical("scene graph uses %s, not OpenGL: mpv cannot draw", api)

    async def close(self, timeout: float = 2.0, stop_player: bool = True) -> None:
        """Leave the player, free mpv's render context on the render thread, stop mpv.

        stop_player=False keeps mpv running for the next shell (the in-process UI tests
        share one mpv: libmpv occasionally crashed while being created right after
        another instance in the same process was destroyed).
        """
        if self._app.screen == "player":
            self._app.back()
        await self._player.wait_closed()
        service = self._player.player
        item = self.find("mpvItem")
        if service.render_context_live and isinstance(item, MpvItem):
            item.requestRelease()
            await _wait(lambda: not service.render_context_live, timeout / 2)
        if self._window is not None:
            # Destroying the window invalidates the scene graph, which frees a render
            # context the item could not release by rendering (e.g. it was hidden).
            # (destroy, not close: closing the last window would quit the app mid-teardown.)
            self._window.hide()
            self._window.destroy()
        if service.render_context_live:
            await _wait(lambda: not service.render_context_live, timeout / 2)
        await self._app.aclose()
        for vm in self._app.view_models():
            aclose = getattr(vm, "aclose", None)
            if aclose is not None:
                await aclose()
        if self._image_urls is not None:
            await self._image_urls.aclose()
            install(None)
        try:
            if stop_player:
                await service.stop()
            else:
                await service.stop_playback()
        except PlaybackError:
            log.exception("player did not stop cleanly")
        if self._engine is not None:
            self._engine.deleteLater()
            self._engine = None
        self._window = None


async def _wait(predicate: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate() and loop.time() < deadline:
        await asyncio.sleep(0.02)


def _log_qml_warnings(warnings: list[QQmlError]) -> None:
    for warning in warnings:
        log.warning("QML: %s", warning.toString())


