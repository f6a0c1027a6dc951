""""Download season" on the Episodes screen and the season's row on the Downloads screen,
keys only. The library is real SQLite (tests/ui/continue_stack.py); the season port keeps
marks in memory here, the real DownloadsService is tested with libtorrent in
tests/integration/test_season_downloads.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt

from miauflix_desktop.core.downloads import DONE
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
from tests.ui.conftest import run
from tests.ui.continue_stack import (
    ClipEpisodes,
    FakeSeasons,
    Library,
    seed_library,
    stored_streams,
)
from tests.ui.fake_downloads import FakeDownloads
from tests.ui.fakes import Ports
from tests.ui.helpers import focused_name, item, one_focus, press, wait_until

K = Qt.Key
MIB = 1024 * 1024


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    built = seed_library(tmp_path / "library.sqlite3")
    yield built
    built.db.close()


@dataclass
class Harness:
    window: Any
    app: AppViewModel
    episodes: EpisodesViewModel
    seasons: FakeSeasons
    shell: UiShell


def build(ports: Ports, player: PlayerService, library: Library) -> Harness:
    catalog = LibraryService(CatalogRepository(library.db), None)
    port = ClipEpisodes(stored_streams(library.repo), library.repo, ports.server.url)
    seasons = FakeSeasons("Harbor Lights")
    player_vm = PlayerViewModel(ports.play, player, episodes=port)
    episodes = EpisodesViewModel(catalog, port, downloads=seasons)
    app = AppViewModel(HomeViewModel(catalog), DetailsViewModel(catalog, ports.play), player_vm,
                       seasons=SeasonsViewModel(catalog), episodes=episodes,
                       downloads=DownloadsViewModel(FakeDownloads(ports.catalog),
                                                    seasons=seasons))
    shell = UiShell(app, player_vm)
    window = shell.load()
    window.requestActivate()
    return Harness(window, app, episodes, seasons, shell)


async def _key(h: Harness, k: Qt.Key, focus: str | None = None) -> None:
    await press(h.window, k)
    if focus is not None:
        await wait_until(lambda: focused_name(h.window) == focus, 5,
                         f"{focus} (focus on {focused_name(h.window)})")
    await one_focus(h.window)


def test_download_a_season_then_find_it_in_downloads(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        library: Library) -> None:
    h = build(ports, shared_player, library)
    show = library.show_id

    async def scenario() -> None:
        await wait_until(lambda: h.app.property("screen") == "home", 10, "home")
        h.app.openSeries(show)
        await wait_until(lambda: focused_name(h.window) == "season_1", 5, "seasons")
        await _key(h, K.Key_Return, "episode_1")
        button = item(h.window, "episodeDownloadSeasonButton")
        assert button.property("text") == "⬇ Download season"
        # Up from the first episode reaches it, Down comes back, Up again, OK marks.
        await _key(h, K.Key_Up, "episodeDownloadSeasonButton")
        await _key(h, K.Key_Down, "episode_1")
        await _key(h, K.Key_Up, "episodeDownloadSeasonButton")
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.seasons.is_season_marked(show, 1), 5, "marked")
        await wait_until(lambda: button.property("text") == "✓ Season in Downloads", 3)
        assert (item(h.window, "episodeSeasonNotice").property("text")
                == "Downloading 3 episodes of season 1.")
        await one_focus(h.window)
        # OK on the marked season: the Downloads screen, the season's row in it.
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.app.property("screen") == "downloads", 5, "downloads")
        await wait_until(lambda: focused_name(h.window) == "download_0", 5, "the row")
        await one_focus(h.window)
        rows = h.app.property("downloads").property("rows")
        assert rows.row(0)["title"] == "Harbor Lights — Season 1"
        assert rows.row(0)["sizeText"] == "3 episodes · 0 KB of 300 MB"
        # OK on it (far enough along): that season's Episodes; Back returns.
        h.seasons.marks[(show, 1)] = replace(h.seasons.marks[(show, 1)], state=DONE,
                                             downloaded=300 * MIB)
        h.app.property("downloads").refresh()
        await wait_until(lambda: rows.row(0)["stateText"] == "Downloaded", 3)
        await _key(h, K.Key_Return)
        await wait_until(lambda: h.app.property("screen") == "episodes", 5, "episodes")
        await wait_until(lambda: focused_name(h.window) == "episode_1", 5, "its episodes")
        assert h.episodes.property("heading") == "Harbor Lights — Season 1"
        await _key(h, K.Key_Escape, "download_0")
        # Remove: Right to the row's Remove, OK asks, Remove deletes it.
        await _key(h, K.Key_Right, "downloadRemove_0")
        await _key(h, K.Key_Return)
        await wait_until(lambda: h.app.property("downloads").property("confirming"), 3)
        assert (h.app.property("downloads").property("confirmTitle")
                == "Harbor Lights — Season 1")
        await _key(h, K.Key_Right, "downloadsRemoveButton")
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.seasons.removed == [(show, 1)], 5, "removed")
        await wait_until(lambda: rows.rowCount() == 0, 5, "no rows")

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, h.shell.close(stop_player=False))


def test_a_season_without_sources_says_so_and_keeps_the_button(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        library: Library) -> None:
    h = build(ports, shared_player, library)

    async def scenario() -> None:
        await wait_until(lambda: h.app.property("screen") == "home", 10, "home")
        h.app.openSeries(library.show_id)
        await wait_until(lambda: focused_name(h.window) == "season_1", 5, "seasons")
        await _key(h, K.Key_Right, "season_2")
        await _key(h, K.Key_Return, "episode_1")
        await _key(h, K.Key_Up, "episodeDownloadSeasonButton")
        await press(h.window, K.Key_Return)
        await wait_until(lambda: item(h.window, "episodeMessage").property("text")
                         == "No source found yet for any episode of season 2.", 5)
        assert item(h.window, "episodeDownloadSeasonButton").property("text") \
            == "⬇ Download season"
        assert not h.seasons.marks
        await one_focus(h.window)

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, h.shell.close(stop_player=False))
