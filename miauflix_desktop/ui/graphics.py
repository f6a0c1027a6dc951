"""Process-wide graphics setup for mpv-in-QML, and the check that it took effect."""

from __future__ import annotations

import locale
import logging
import os

from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow, QSGRendererInterface

from miauflix_desktop.core.errors import PlaybackError

log = logging.getLogger(__name__)

OPENGL = QSGRendererInterface.GraphicsApi.OpenGL


def configure_graphics(video: bool = True) -> None:
    """Call before QGuiApplication exists.

    mpv's render API here is OpenGL-only, so the scene graph must not pick Vulkan or the
    software backend; libmpv refuses to start unless LC_NUMERIC is "C" (it parses floats).
    """
    os.environ["LC_NUMERIC"] = "C"
    set_numeric_locale()
    # The shell draws every control itself; Basic avoids platform styles that ignore the theme.
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    if video:
        QQuickWindow.setGraphicsApi(OPENGL)


def set_numeric_locale() -> None:
    """QGuiApplication's constructor calls setlocale(LC_ALL, ""): reset numbers to "C" after it."""
    locale.setlocale(locale.LC_NUMERIC, "C")


def ensure_opengl_requested() -> None:
    """Fail loudly, before any window exists, if video would silently render nothing."""
    platform = QGuiApplication.platformName()
    if platform in ("offscreen", "minimal"):
        raise PlaybackError(
            f"The '{platform}' Qt platform has no OpenGL scene graph, so video cannot be "
            "shown. Run under X11/Wayland (or Xvfb), or use the null video output."
        )
    if QQuickWindow.graphicsApi() != OPENGL:
        raise PlaybackError(
            "Video needs the OpenGL scene graph; call configure_graphics() before "
            "creating QGuiApplication."
        )


def scene_graph_api(window: QQuickWindow) -> QSGRendererInterface.GraphicsApi | None:
    """The API the window's scene graph really uses (known once it is initialised)."""
    interface = window.rendererInterface()
    return interface.graphicsApi() if interface is not None else None
