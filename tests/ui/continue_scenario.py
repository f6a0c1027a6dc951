"""Subprocess scenario: a series in Home's "Continue watching" and its Episodes screen with
"Resume from 12:34" / "Start over" (and "Download season"), under Xvfb (xcb + OpenGL), over
a real SQLite library.

Usage: python -m tests.ui.continue_scenario OUT_DIR MEDIA_DIR
Writes home_continue_series.png, episodes_resume.png and downloads_season.png to OUT_DIR.
Keys only, like a remote; exits non-zero when a step does not happen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

log = logging.getLogger("continue_scenario")


async def scenario(out_dir: Path, media_dir: Path, db_dir: Path) -> list[str]:
    from miauflix_desktop.services.library import LibraryService
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.downloads import DownloadsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
    from miauflix_desktop.ui.shell import UiShell
    from tests.ui.continue_stack import (
        ClipEpisodes,
        FakeSeasons,
        seed_library,
        stored_streams,
    )
    from tests.ui.fake_downloads import FakeDownloads
    from tests.ui.fakes import build_ports
    from tests.ui.helpers import focused_name, one_focus, press, wait_until

    ports = await build_ports(media_dir)
    library = seed_library(db_dir / "library.sqlite3")
    library.set_progress(library.episodes[(1, 2)], 754.0, 2640.0)  # 12:34 into S01E02
    catalog = LibraryService(CatalogRepository(library.db), None)
    port = ClipEpisodes(stored_streams(library.repo), library.repo, ports.server.url)
    player = PlayerService(vo="libmpv")
    await player.start()
    player_vm = PlayerViewModel(ports.play, player, episodes=port)
    seasons = FakeSeasons("Harbor Lights")
    episodes_vm = EpisodesViewModel(catalog, port, downloads=seasons)
    films = FakeDownloads(ports.catalog).sample()
    app = AppViewModel(HomeViewModel(catalog), DetailsViewModel(catalog, ports.play),
                       player_vm, seasons=SeasonsViewModel(catalog), episodes=episodes_vm,
                       downloads=DownloadsViewModel(films, seasons=seasons))
    shell = UiShell(app, player_vm)
    window = shell.load()
    saved: list[str] = []
    K = Qt.Key

    async def shot(name: str, settle: float = 0.8) -> None:
        await asyncio.sleep(settle)
        await one_focus(window, 5)
        path = out_dir / f"{name}.png"
        window.grabWindow().save(str(path))
        saved.append(name)
        log.info("saved %s (focus on %s)", path, focused_name(window))

    try:
        card = f"card_continue_tv{library.show_id}"
        await wait_until(lambda: focused_name(window) == card, 20, "the Continue card")
        await shot("home_continue_series")
        await press(window, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "episode_2", 5, "episode 2")
        await wait_until(lambda: episodes_vm.property("resumeText") == "Resume from 12:34",
                         5, "resume point")
        await press(window, K.Key_Right)
        await wait_until(lambda: focused_name(window) == "episodeResumeButton", 5, "Resume")
        await shot("episodes_resume", 1.0)
        # Up from Resume: "Download season"; OK marks it, OK again opens Downloads.
        await press(window, K.Key_Up)
        await wait_until(lambda: focused_name(window) == "episodeDownloadSeasonButton", 5,
                         "Download season")
        await press(window, K.Key_Return)
        await wait_until(lambda: seasons.is_season_marked(library.show_id, 1), 5, "marked")
        await press(window, K.Key_Return)
        await wait_until(lambda: app.property("screen") == "downloads", 5, "downloads")
        await wait_until(lambda: focused_name(window) == "download_0", 5, "a row")
        await shot("downloads_season", 1.0)
    finally:
        await shell.close()
        await ports.aclose()
        library.db.close()
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
    with tempfile.TemporaryDirectory() as db_dir, loop:
        saved = loop.run_until_complete(
            asyncio.wait_for(scenario(out_dir, media_dir, Path(db_dir)), 120))
    log.info("screenshots: %s", saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
