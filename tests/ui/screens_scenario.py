"""Subprocess scenario: a screenshot of every screen under Xvfb (xcb + OpenGL), over the
fake ports (generated clips, fake catalog with films and series) and the real mpv item.

Usage: python -m tests.ui.screens_scenario OUT_DIR MEDIA_DIR
Writes setup.png, home.png, menu.png, browse.png, search.png, details.png, series.png,
episodes.png, player.png, tracks.png, banner.png, sources.png, activity.png and
downloads.png to OUT_DIR.
Keys only, like a remote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt

log = logging.getLogger("screens_scenario")


async def scenario(out_dir: Path, media_dir: Path) -> list[str]:
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.ui.activity import ActivityViewModel
    from miauflix_desktop.ui.browse import BrowseViewModel
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.downloads import DownloadsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.search import SearchViewModel
    from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
    from miauflix_desktop.ui.setup import SetupViewModel
    from miauflix_desktop.ui.shell import UiShell
    from miauflix_desktop.ui.status import StatusViewModel
    from tests.ui.fake_downloads import FakeDownloads
    from tests.ui.fakes import build_ports
    from tests.ui.helpers import focused_name, one_focus, press, type_on_screen, wait_until

    ports = await build_ports(media_dir)
    ports.setup.needed = True
    player = PlayerService(vo="libmpv")
    await player.start()
    player_vm = PlayerViewModel(ports.play, player)
    downloads = FakeDownloads(ports.catalog).sample()
    app = AppViewModel(
        HomeViewModel(ports.catalog),
        DetailsViewModel(ports.catalog, ports.play, downloads=downloads), player_vm,
        browse=BrowseViewModel(ports.catalog), search=SearchViewModel(ports.catalog),
        seasons=SeasonsViewModel(ports.catalog), episodes=EpisodesViewModel(ports.catalog),
        setup=SetupViewModel(ports.setup), status=StatusViewModel(ports.status),
        activity=ActivityViewModel(ports.activity),
        downloads=DownloadsViewModel(downloads))
    shell = UiShell(app, player_vm)
    window = shell.load()
    saved: list[str] = []
    K = Qt.Key

    async def shot(name: str, settle: float = 0.8) -> None:
        await asyncio.sleep(settle)  # fades and asynchronous image decodes
        await one_focus(window, 5)
        path = out_dir / f"{name}.png"
        window.grabWindow().save(str(path))
        saved.append(name)
        log.info("saved %s (focus on %s)", path, focused_name(window))

    async def keys(*pressed: Qt.Key) -> None:
        for k in pressed:
            await press(window, k)

    try:
        await wait_until(lambda: focused_name(window) == "setupKeyInput", 20, "setup")
        await shot("setup")
        await keys(K.Key_Down, K.Key_Down, K.Key_Right, K.Key_Return)
        await wait_until(lambda: focused_name(window).startswith("card_"), 20, "home")
        await keys(K.Key_Right)
        await shot("home", 1.5)

        await keys(K.Key_Menu, K.Key_Down)
        await shot("menu")
        await keys(K.Key_Return)
        await wait_until(lambda: app.property("screen") == "browse", 5)
        await wait_until(lambda: app.browse.property("items").rowCount() > 0, 5)
        await keys(K.Key_Down, K.Key_Down, K.Key_Down, K.Key_Down, K.Key_Return, K.Key_Right)
        await shot("browse", 1.2)

        await keys(K.Key_Menu, K.Key_Down, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "key_a", 5, "search")
        await type_on_screen(window, "or")
        await shot("search", 1.2)

        await keys(K.Key_Menu, K.Key_Up, K.Key_Up, K.Key_Return)
        await wait_until(lambda: focused_name(window).startswith("card_"), 5, "home again")
        await keys(K.Key_Up, K.Key_Return)  # card_featured_2 ("Test Pattern", demo)
        await wait_until(lambda: focused_name(window) == "detailsPlayButton", 5, "details")
        await shot("details", 1.2)
        await keys(K.Key_Right, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "source_0", 5, "sources")
        await shot("sources")
        await keys(K.Key_Escape, K.Key_Escape)

        await keys(K.Key_Down, K.Key_Down, K.Key_Left, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "season_1", 5, "series")
        await keys(K.Key_Right)
        await shot("series", 1.2)
        await keys(K.Key_Left, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "episode_1", 5, "episodes")
        await keys(K.Key_Down, K.Key_Return)
        await shot("episodes")
        await keys(K.Key_Escape, K.Key_Escape)

        ports.status.set("TMDB is unreachable — showing saved data. Retrying by itself.")
        await shot("banner", 1.0)
        ports.status.set("")

        await keys(K.Key_Menu, K.Key_Down, K.Key_Down, K.Key_Down, K.Key_Down, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "activity_0", 5, "activity")
        await keys(K.Key_Down)
        await shot("activity", 1.2)
        await keys(K.Key_Escape)
        await wait_until(lambda: focused_name(window).startswith("card_"), 5, "home again")

        await keys(K.Key_Menu)
        while focused_name(window) != "menu_downloads":
            await keys(K.Key_Down)
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window) == "download_0", 5, "downloads")
        await keys(K.Key_Down)
        await shot("downloads", 1.2)
        await keys(K.Key_Escape)
        await wait_until(lambda: focused_name(window).startswith("card_"), 5, "home again")

        await keys(K.Key_Up, K.Key_Up, K.Key_Left, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "detailsPlayButton", 5)
        await keys(K.Key_Return)
        await wait_until(lambda: player.state.started and player.state.position >= 1.0, 20,
                         "playback")
        await keys(K.Key_Menu)  # the Tracks panel (the OSD shows with it)
        await shot("tracks", 0.5)
        await keys(K.Key_Menu)  # closes the panel; the OSD stays a few seconds
        await shot("player", 0.5)
        await keys(K.Key_Escape)
    finally:
        await shell.close()
        await ports.aclose()
    return saved


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out_dir, media_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # grabWindow() deadlocks with the threaded render loop while mpv renders (GIL).
    os.environ["QSG_RENDER_LOOP"] = "basic"
    from miauflix_desktop.ui.app import create_qt_app

    _app, loop = create_qt_app(sys.argv[:1])
    with loop:
        saved = loop.run_until_complete(asyncio.wait_for(scenario(out_dir, media_dir), 240))
    log.info("screenshots: %s", saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
