"""Subprocess scenario: the real app with a TMDB key, syncing from the fake TMDB.

Usage: python -m tests.ui.tmdb_app_scenario DATA_DIR TMDB_BASE_URL IMAGE_BASE_URL KEY
Runs `miauflix-desktop` in-process (engine isolated on loopback); waits until the first
list sync has reloaded Home with the Trending shelf, opens the first card's Details,
then closes the window. Exit code is the app's; on failure it is 3.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow

from tests.demo_cache import DEMO_DURATION, link_demo_media

failed = False


async def drive() -> None:
    global failed
    from tests.ui.helpers import all_items, focused_name, item, press, wait_until

    def window() -> QQuickWindow | None:
        for w in QGuiApplication.topLevelWindows():
            if isinstance(w, QQuickWindow) and w.isVisible():
                return w
        return None

    win: QQuickWindow | None = None
    try:
        await wait_until(lambda: window() is not None, 60, "window")
        win = window()
        assert win is not None

        def shelf_keys() -> list[str]:
            return [i.objectName() for i in all_items(win)
                    if i.objectName().startswith("homeShelf_") and i.isVisible()]

        await wait_until(lambda: "homeShelf_trending-movies" in shelf_keys(), 90, "trending")
        await wait_until(lambda: focused_name(win).startswith("card_"), 30, "focus")
        # Trending, Popular films, Top rated, Popular series, 3 genres, Demo (rows below
        # the fold are virtualised, so count the view's rows rather than its delegates)
        rows = item(win, "homeShelves").property("count")
        assert rows >= 8, rows
        await press(win, Qt.Key.Key_Return)
        await wait_until(lambda: focused_name(win) == "detailsPlayButton", 10, "details")
    except BaseException as exc:  # report and still shut the app down cleanly
        sys.stderr.write(f"SCENARIO FAILED: {exc!r}\n")
        failed = True
    finally:
        if win is not None:
            win.close()
        else:
            QGuiApplication.instance().quit()


def main() -> int:
    data_dir, base_url, image_url, key = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    link_demo_media(data_dir)
    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.config.settings import Settings, save_settings

    settings = Settings(tmdb_api_key=key, setup_done=True)
    settings.tmdb.base_url = base_url
    settings.tmdb.image_base_url = image_url
    # Tests talk to loopback only: no real YTS/TheRARBG behind the catalog's titles.
    settings.sources.yts = {"enabled": False}
    settings.sources.therarbg = {"enabled": False}
    save_settings(AppPaths(data_dir).settings_file, settings)
    from miauflix_desktop.__main__ import parse_args
    from miauflix_desktop.bootstrap import run

    args = parse_args(["--data-dir", str(data_dir), "--demo-duration", str(DEMO_DURATION),
                       "--isolated"])
    QTimer.singleShot(0, lambda: asyncio.ensure_future(drive()))
    rc = run(args)
    return 3 if failed else rc


if __name__ == "__main__":
    sys.exit(main())
