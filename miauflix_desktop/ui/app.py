"""create_qt_app: the QGuiApplication plus the qasync loop the whole app runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import qasync
from PySide6.QtGui import QGuiApplication

from miauflix_desktop.ui.graphics import configure_graphics, set_numeric_locale


def create_qt_app(
    argv: Sequence[str], video: bool = True
) -> tuple[QGuiApplication, qasync.QEventLoop]:
    """Configure graphics, create the application and install a qasync loop as asyncio's.

    The loop runs Qt's event loop, so asyncio tasks and QML share the GUI thread; mpv's and
    libtorrent's threads reach it only through loop.call_soon_threadsafe.
    """
    configure_graphics(video=video)
    app = QGuiApplication.instance() or QGuiApplication(list(argv))
    assert isinstance(app, QGuiApplication)
    set_numeric_locale()
    app.setApplicationName("Miauflix")
    app.setOrganizationName("Miauflix")
    # Shutdown is an ordered async sequence (UiShell.close, then services); closing the
    # window must start it, not stop the loop under it.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return app, loop
