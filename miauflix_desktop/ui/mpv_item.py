"""MpvItem: a QQuickFramebufferObject that draws the PlayerService's mpv into the QML scene.

Recipe (see PLATFORM_NOTES "mpv inside QML"): the scene graph must be OpenGL
(ui/shell.configure_graphics), the mpv render context is created lazily in the first
render() on the render thread, mpv's update callback is routed to update() with a queued
invokeMethod (it fires on mpv's threads), and the render context is freed on the render
thread (on request, or when the scene graph is invalidated) before mpv is terminated.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from PySide6.QtCore import Property, QMetaObject, QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QOpenGLContext
from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLFramebufferObjectFormat
from PySide6.QtQuick import QQuickFramebufferObject, QQuickWindow

from miauflix_desktop.services.playback.player import PlayerService

log = logging.getLogger(__name__)

_GL_COLOR_BUFFER_BIT = 0x4000


def _get_proc_address(_ctx: Any, name: bytes) -> int:
    """mpv asks for GL entry points through this; answer from Qt's current context."""
    context = QOpenGLContext.currentContext()
    if context is None:
        return 0
    return int(context.getProcAddress(name) or 0)


_proc_address_fn: Any = None


def _proc_address_callback() -> Any:
    # The ctypes callback must outlive every render context, so it lives at module level.
    global _proc_address_fn
    if _proc_address_fn is None:
        import mpv

        _proc_address_fn = mpv.MpvGlGetProcAddressFn(_get_proc_address)
    return _proc_address_fn


class _MpvRenderer(QQuickFramebufferObject.Renderer):
    """Lives on the render thread; owns the mpv render context."""

    def __init__(self, item: MpvItem) -> None:
        super().__init__()
        self._item = item
        self._player: PlayerService | None = None
        self._context: Any = None
        self._fbo: QOpenGLFramebufferObject | None = None
        self._release = False
        self._lock = threading.Lock()

    def synchronize(self, item: QQuickFramebufferObject) -> None:
        # The GUI thread is blocked here, so reading the item is safe.
        assert isinstance(item, MpvItem)
        self._player = item.player_service()
        self._release = item.release_requested

    def createFramebufferObject(self, size: QSize) -> QOpenGLFramebufferObject:
        fmt = QOpenGLFramebufferObjectFormat()
        fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
        # Keep the Python reference: Qt owns the FBO, but the wrapper must not be collected.
        self._fbo = QOpenGLFramebufferObject(size, fmt)
        return self._fbo

    def render(self) -> None:
        if self._release:
            self.free()
        elif self._context is None:
            self._create_context()
        fbo = self.framebufferObject()
        if self._context is None or fbo is None:
            self._clear()
            return
        self._context.render(
            flip_y=False, opengl_fbo={"w": fbo.width(), "h": fbo.height(), "fbo": fbo.handle()}
        )

    def _create_context(self) -> None:
        player = self._player
        if player is None or not player.needs_render_context:
            return
        try:
            import mpv

            context = mpv.MpvRenderContext(
                player.mpv,
                "opengl",
                opengl_init_params={"get_proc_address": _proc_address_callback()},
            )
        except Exception:
            log.exception("mpv render context could not be created")
            self._release = True  # don't retry every frame
            return
        item = self._item

        def on_update() -> None:
            # mpv's thread: never touch Qt here beyond posting to the item's thread.
            # RuntimeError: the item is gone; the context is about to be freed.
            with contextlib.suppress(RuntimeError):
                QMetaObject.invokeMethod(item, "update", Qt.ConnectionType.QueuedConnection)

        context.update_cb = on_update
        with self._lock:
            self._context = context
        player.render_context_created()
        log.info("mpv render context created")

    def free(self) -> None:
        """Free the render context; must run on the render thread with the GL context current."""
        with self._lock:
            context, self._context = self._context, None
        if context is None:
            return
        context.update_cb = None
        context.free()
        if self._player is not None:
            self._player.render_context_freed()
        log.info("mpv render context freed")

    def _clear(self) -> None:
        context = QOpenGLContext.currentContext()
        if context is None:
            return
        gl = context.functions()
        gl.glClearColor(0.0, 0.0, 0.0, 1.0)
        gl.glClear(_GL_COLOR_BUFFER_BIT)


class MpvItem(QQuickFramebufferObject):
    """QML type `MpvItem { viewModel: playerVm }` (module Miauflix.Video 1.0)."""

    viewModelChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view_model: QObject | None = None
        self._renderer: _MpvRenderer | None = None
        self.release_requested = False
        self.windowChanged.connect(self._on_window_changed)

    def _get_view_model(self) -> QObject | None:
        return self._view_model

    def _set_view_model(self, value: QObject | None) -> None:
        if value is not self._view_model:
            self._view_model = value
            self.viewModelChanged.emit()
            self.update()

    viewModel = Property(QObject, _get_view_model, _set_view_model, notify=viewModelChanged)

    def player_service(self) -> PlayerService | None:
        player = getattr(self._view_model, "player", None)
        return player if isinstance(player, PlayerService) else None

    def createRenderer(self) -> QQuickFramebufferObject.Renderer:
        # Keep a Python reference to the renderer or PySide collects it under Qt's feet.
        self._renderer = _MpvRenderer(self)
        return self._renderer

    @Slot()
    def requestRelease(self) -> None:
        """Ask the renderer to free mpv's render context at its next render()."""
        self.release_requested = True
        self.update()

    def _on_window_changed(self, window: QQuickWindow | None) -> None:
        if window is not None:
            # Direct connection: the slot must run on the render thread, GL context current.
            window.sceneGraphInvalidated.connect(
                self._on_scene_graph_invalidated, Qt.ConnectionType.DirectConnection
            )

    def _on_scene_graph_invalidated(self) -> None:
        renderer = self._renderer
        if renderer is not None:
            renderer.free()
