"""Subprocess scenario: the real app (bootstrap.run) whose window is closed like a WM would.

Usage: python -m tests.ui.app_scenario DATA_DIR
Runs `miauflix-desktop --data-dir DATA_DIR` in-process; once Home shows the demo shelf it
presses Right and Return (Details, which warms the torrent up), then closes the window
with QWindow.close() — what a window manager's close button does. The exit code is the
app's own.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow

from tests.demo_cache import DEMO_DURATION, link_demo_media


async def drive() -> None:
    from tests.ui.helpers import focused_name, press, wait_until

    def window() -> QQuickWindow | None:
        for w in QGuiApplication.topLevelWindows():
            if isinstance(w, QQuickWindow) and w.isVisible():
                return w
        return None

    await wait_until(lambda: window() is not None, 60, "window")
    win = window()
    assert win is not None
    await wait_until(lambda: focused_name(win).startswith("card_"), 150, "home")
    await press(win, Qt.Key.Key_Right)
    await press(win, Qt.Key.Key_Return)
    await wait_until(lambda: focused_name(win) == "detailsPlayButton", 10, "details")
    await asyncio.sleep(1.5)  # let the warm-up add the torrent
    win.close()


def main() -> int:
    data_dir = Path(sys.argv[1])
    link_demo_media(data_dir)
    # First run would open Setup; this scenario is about Home -> Details -> close.
    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.config.settings import Settings, save_settings

    save_settings(AppPaths(data_dir).settings_file, Settings(setup_done=True))
    from miauflix_desktop.__main__ import parse_args
    from miauflix_desktop.bootstrap import run

    args = parse_args(["--data-dir", str(data_dir), "--demo", "--demo-duration",
                       str(DEMO_DURATION), "--log-level", "INFO"])
    # Start driving once the app's loop runs; the task lives on that loop.
    QTimer.singleShot(0, lambda: asyncio.ensure_future(drive()))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
