"""Subprocess scenario: screenshots of the Tracks panel's subtitle entries under Xvfb (xcb +
OpenGL), over the fake ports, the real mpv item and the local fake OpenSubtitles API.

Usage: python -m tests.ui.subtitles_scenario OUT_DIR MEDIA_DIR
Writes tracks_subtitles.png (the panel with "Load subtitle file…" and "Search
OpenSubtitles…"), opensubtitles.png (the results) and subtitle_files.png (the file list)
to OUT_DIR. Keys only, like a remote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

log = logging.getLogger("subtitles_scenario")


def _home(root: Path) -> Path:
    """A $HOME whose Downloads holds a few subtitle files and folders."""
    downloads = root / "home" / "Downloads"
    for folder in ("Sintel (2010)", "Big Buck Bunny", "Series"):
        (downloads / folder).mkdir(parents=True, exist_ok=True)
    for name in ("Sintel.2010.1080p.en.srt", "Sintel.2010.1080p.de.srt", "Sintel.ass",
                 "Cosmos.Laundromat.2015.vtt"):
        (downloads / name).write_text(
            "1\n00:00:00,500 --> 00:00:05,000\nA subtitle line\n" * 40, encoding="utf-8")
    (downloads / "notes.txt").write_text("not listed")
    return root / "home"


async def scenario(out_dir: Path, media_dir: Path) -> list[str]:
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.services.subtitles.finder import MediaIds, SubtitleFinder
    from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient
    from miauflix_desktop.ui.activity import ActivityViewModel
    from miauflix_desktop.ui.browse import BrowseViewModel
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.search import SearchViewModel
    from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
    from miauflix_desktop.ui.setup import SetupViewModel
    from miauflix_desktop.ui.shell import UiShell
    from miauflix_desktop.ui.status import StatusViewModel
    from tests.fakes.opensubtitles_server import API_KEY, FakeOpenSubtitles
    from tests.ui.fakes import build_ports
    from tests.ui.helpers import focused_name, one_focus, press, wait_until

    fake = FakeOpenSubtitles()
    await fake.start()
    client = OpenSubtitlesClient(API_KEY, base_url=fake.base_url)

    async def ids(_media_id: int) -> MediaIds:
        return MediaIds(imdb_id="tt1727587")

    cache = Path(tempfile.mkdtemp(prefix="subs-cache-"))
    finder = SubtitleFinder(lambda: client, ids, cache, languages=lambda: ["en", "de"])
    ports = await build_ports(media_dir)
    player = PlayerService(vo="libmpv")
    await player.start()
    player_vm = PlayerViewModel(ports.play, player, subtitle_search=finder)
    app = AppViewModel(
        HomeViewModel(ports.catalog), DetailsViewModel(ports.catalog, ports.play), player_vm,
        browse=BrowseViewModel(ports.catalog), search=SearchViewModel(ports.catalog),
        seasons=SeasonsViewModel(ports.catalog), episodes=EpisodesViewModel(ports.catalog),
        setup=SetupViewModel(ports.setup), status=StatusViewModel(ports.status),
        activity=ActivityViewModel(ports.activity))
    shell = UiShell(app, player_vm)
    window = shell.load()
    saved: list[str] = []
    K = Qt.Key

    async def shot(name: str, settle: float = 0.6) -> None:
        await asyncio.sleep(settle)
        await one_focus(window, 5)
        path = out_dir / f"{name}.png"
        window.grabWindow().save(str(path))
        saved.append(name)
        log.info("saved %s (focus on %s)", path, focused_name(window))

    async def keys(*pressed: Qt.Key) -> None:
        for k in pressed:
            await press(window, k)

    async def down_to(name: str) -> None:
        for _ in range(15):
            if focused_name(window) == name:
                return
            await keys(K.Key_Down)
        raise AssertionError(f"never reached {name} (on {focused_name(window)})")

    try:
        await wait_until(lambda: focused_name(window).startswith("card_"), 20, "home")
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window) == "detailsPlayButton", 5)
        await keys(K.Key_Return)
        await wait_until(lambda: player.state.started and player.state.position >= 1.0, 20,
                         "playback")
        await keys(K.Key_Menu, K.Key_Right)
        await down_to("subSearchOnline")
        await shot("tracks_subtitles")
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window) == "onlineResult_0", 10, "results")
        await shot("opensubtitles")
        await keys(K.Key_Escape, K.Key_Up)
        await wait_until(lambda: focused_name(window) == "subLoadFile", 5, "load entry")
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window).startswith("fileEntry_"), 5, "files")
        await keys(K.Key_Down, K.Key_Down, K.Key_Down)
        await shot("subtitle_files")
        await keys(K.Key_Return)  # loads Sintel.2010.1080p.de.srt
        await wait_until(lambda: any(t.external and t.selected
                                     for t in player.state.sub_tracks), 10, "loaded")
        await keys(K.Key_Escape, K.Key_Escape)
    finally:
        await shell.close()
        await ports.aclose()
        await client.aclose()
        await fake.stop()
    return saved


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out_dir, media_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # grabWindow() deadlocks with the threaded render loop while mpv renders (GIL).
    os.environ["QSG_RENDER_LOOP"] = "basic"
    os.environ["HOME"] = str(_home(Path(tempfile.mkdtemp(prefix="subs-home-"))))
    from miauflix_desktop.ui.app import create_qt_app

    _app, loop = create_qt_app(sys.argv[:1])
    with loop:
        saved = loop.run_until_complete(asyncio.wait_for(scenario(out_dir, media_dir), 240))
    log.info("screenshots: %s", saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
