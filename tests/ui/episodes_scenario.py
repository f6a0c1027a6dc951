"""Subprocess scenario: the Episodes screen with sources, its on-demand search, and the
player's next-episode countdown, under Xvfb (xcb + OpenGL) with the real mpv item.

Usage: python -m tests.ui.episodes_scenario OUT_DIR MEDIA_DIR
Writes episodes_sources.png, episodes_searching.png and player_next_episode.png to
OUT_DIR. Keys only, like a remote; exits non-zero when a step does not happen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt

from miauflix_desktop.core.media import (
    EpisodeRef,
    PlayTarget,
    SourceItem,
    StreamStatus,
    episode_media_id,
)

log = logging.getLogger("episodes_scenario")

ORBIT_STATION = 1  # the fake catalog's first series: season 1 = episodes 1101-1103


@dataclass
class ScenarioEpisodes:
    """EpisodePort over the test clip server: 1101 has sources, 1102 is searched first."""

    url: Callable[[int], str]
    found: dict[int, list[SourceItem]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.found[1101] = [
            SourceItem(id=1, provider="TheRARBG", quality="1080p", video_codec="x264",
                       size_bytes=1_400_000_000, seeds=212, peers=9, score=8900,
                       audio="AAC 5.1", languages="en"),
            SourceItem(id=2, provider="TheRARBG", quality="1080p", video_codec="x265",
                       size_bytes=9_800_000_000, seeds=180, peers=20, score=8400,
                       audio="AAC 5.1", languages="en",
                       explanation="Season pack — 1080p BluRay"),
            SourceItem(id=3, provider="TheRARBG", quality="720p", video_codec="x264",
                       size_bytes=700_000_000, seeds=35, peers=2, score=6100,
                       languages="en")]

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        return list(self.found.get(episode_id, []))

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        progress("Asking TheRARBG…")
        await asyncio.sleep(2.0)
        progress("Scoring 6 releases…")
        await asyncio.sleep(0.3)
        self.found[episode_id] = self.found[1101][1:2]  # the season pack holds it
        return list(self.found[episode_id])

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        number = episode_id % 100
        return PlayTarget(episode_media_id(episode_id),
                          f"Orbit Station — S01E{number:02d} Orbit Station 1x{number:02d}",
                          self.url(1 + (number % 3)))

    async def next_episode(self, episode_id: int) -> EpisodeRef | None:
        number = episode_id % 100
        return EpisodeRef(episode_id + 1, 1, number + 1, f"Orbit Station 1x{number + 1:02d}")

    async def prefetch_episode(self, episode_id: int) -> bool:
        return True

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        return None

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        return None

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        return StreamStatus(peers=12, download_rate=2_400_000, size=6_000_000,
                            downloaded=6_000_000, buffered=((0.0, 1.0),))


async def scenario(out_dir: Path, media_dir: Path) -> list[str]:
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
    from miauflix_desktop.ui.shell import UiShell
    from tests.ui.fakes import build_ports
    from tests.ui.helpers import focused_name, one_focus, press, wait_until

    ports = await build_ports(media_dir)
    episodes_port = ScenarioEpisodes(ports.server.url)
    player = PlayerService(vo="libmpv")
    await player.start()
    # The countdown shows 8 s before the end of the 10 s clip, so it is up while playing.
    player_vm = PlayerViewModel(ports.play, player, episodes=episodes_port, next_lead=8.0,
                                next_countdown=10, prefetch_lead=9.0)
    episodes_vm = EpisodesViewModel(ports.catalog, episodes_port)
    app = AppViewModel(HomeViewModel(ports.catalog), DetailsViewModel(ports.catalog, ports.play),
                       player_vm, seasons=SeasonsViewModel(ports.catalog),
                       episodes=episodes_vm)
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
        await wait_until(lambda: focused_name(window).startswith("card_"), 20, "home")
        app.openSeries(ORBIT_STATION)
        await wait_until(lambda: focused_name(window) == "season_1", 5, "series")
        await press(window, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "episode_1", 5, "episodes")
        await wait_until(lambda: episodes_vm.sources.rowCount() == 3, 5, "sources")
        await shot("episodes_sources", 1.2)

        await press(window, K.Key_Down)
        await wait_until(lambda: focused_name(window) == "episode_2", 5, "episode 2")
        await press(window, K.Key_Return)
        await wait_until(lambda: episodes_vm.property("searching"), 3, "search")
        await shot("episodes_searching", 0.6)

        await wait_until(lambda: app.property("screen") == "player", 10, "player")
        await wait_until(lambda: player_vm.property("nextVisible"), 15, "countdown")
        await shot("player_next_episode", 0.6)
        await press(window, K.Key_Escape)  # Back on the countdown: keep watching
        await wait_until(lambda: not player_vm.property("nextVisible"), 3, "cancelled")
        assert app.property("screen") == "player", "Back on the countdown left the player"
        await press(window, K.Key_Escape)
        await wait_until(lambda: app.property("screen") == "episodes", 5, "back")
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
        saved = loop.run_until_complete(asyncio.wait_for(scenario(out_dir, media_dir), 180))
    log.info("screenshots: %s", saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
