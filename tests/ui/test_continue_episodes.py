"""Series in Home's "Continue watching", the Episodes screen's Resume / Start over, and
Back from the player focusing the episode autoplay moved on to.

The library is real: LibraryService over CatalogRepository on a SQLite file, and the
resume points, next episodes and saved positions go through the real EpisodeStreams and
EpisodeSourceRepository. Only the bytes come from the test clip server (10 s clips) in
place of torrents, and mpv is the session's shared one. Keys only, like a remote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from sqlalchemy import text

from miauflix_desktop.core.media import EpisodeRef, episode_media_id, episode_of
from miauflix_desktop.services.library import LibraryService
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.ui.details import DetailsViewModel
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.navigator import AppViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel
from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
from miauflix_desktop.ui.shell import UiShell
from tests.ui.conftest import run
from tests.ui.continue_stack import ClipEpisodes, Library, seed_library, stored_streams
from tests.ui.fakes import Ports
from tests.ui.helpers import focused_name, item, one_focus, press, wait_until

K = Qt.Key


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
    player_vm: PlayerViewModel
    port: ClipEpisodes
    shell: UiShell


def build(ports: Ports, player: PlayerService, library: Library, *,
          next_lead: float = 0.5) -> Harness:
    catalog = LibraryService(CatalogRepository(library.db), None)
    repo = library.repo
    streams = stored_streams(repo)
    port = ClipEpisodes(streams, repo, ports.server.url)
    player_vm = PlayerViewModel(ports.play, player, episodes=port, status_interval=0.2,
                                next_lead=next_lead, next_countdown=1, prefetch_lead=30.0)
    episodes = EpisodesViewModel(catalog, port)
    app = AppViewModel(HomeViewModel(catalog), DetailsViewModel(catalog, ports.play), player_vm,
                       seasons=SeasonsViewModel(catalog), episodes=episodes)
    shell = UiShell(app, player_vm)
    window = shell.load()
    window.requestActivate()
    return Harness(window, app, episodes, player_vm, port, shell)


async def _key(h: Harness, k: Qt.Key, focus: str | None = None) -> None:
    await press(h.window, k)
    if focus is not None:
        await wait_until(lambda: focused_name(h.window) == focus, 5,
                         f"{focus} (focus on {focused_name(h.window)})")
    await one_focus(h.window)


def test_continue_card_opens_the_episode_with_resume_and_start_over(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        library: Library) -> None:
    ep2 = library.episodes[(1, 2)]
    library.set_progress(ep2, 754.0, 2640.0)  # stopped at 12:34 of S01E02
    h = build(ports, shared_player, library)

    async def scenario() -> None:
        card = f"card_continue_tv{library.show_id}"
        await wait_until(lambda: focused_name(h.window) == card, 10, "the Continue card")
        # OK: the Episodes screen of season 1, S01E02 focused, its resume point offered.
        await _key(h, K.Key_Return, "episode_2")
        assert h.app.property("screen") == "episodes"
        assert h.episodes.property("heading") == "Harbor Lights — Season 1"
        await wait_until(lambda: h.episodes.property("resumeText") == "Resume from 12:34", 5)
        assert item(h.window, "episodeResumeButton").property("visible")
        # Right to Resume, Right to Start over, Left, Left back to the list.
        await _key(h, K.Key_Right, "episodeResumeButton")
        assert item(h.window, "episodeResumeButton").property("text") == "▶  Resume from 12:34"
        await _key(h, K.Key_Right, "episodeStartOverButton")
        await _key(h, K.Key_Left, "episodeResumeButton")
        await _key(h, K.Key_Down, "episodeStartOverButton")  # wrapped below on this window
        await _key(h, K.Key_Up, "episodeResumeButton")
        await _key(h, K.Key_Left, "episode_2")
        # Another episode without a saved position: no buttons, Right stays put.
        await _key(h, K.Key_Up, "episode_1")
        await wait_until(lambda: h.episodes.property("resumeText") == "", 3)
        assert not item(h.window, "episodeResumeRow").property("visible")
        await _key(h, K.Key_Right, "episode_1")
        await _key(h, K.Key_Down, "episode_2")
        await wait_until(lambda: h.episodes.property("resumeText") != "", 3)
        # Resume plays from 12:34.
        await _key(h, K.Key_Right, "episodeResumeButton")
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.app.property("screen") == "player", 5, "player")
        await wait_until(lambda: h.port.opened, 5, "open")
        assert h.port.opened[-1] == (ep2, 754.0)
        await wait_until(lambda: shared_player.state.started, 10, "first frame")
        # Back (no countdown this early): the Episodes list again, S01E02 focused.
        await press(h.window, K.Key_Escape)
        await wait_until(lambda: h.app.property("screen") == "episodes", 5, "episodes")
        await wait_until(lambda: focused_name(h.window) == "episode_2", 5, "episode 2")
        await h.player_vm.wait_closed()
        # Start over: the saved position is forgotten and the episode plays from 0.
        library.set_progress(ep2, 754.0, 2640.0)
        h.episodes.returnedFrom(ep2)  # re-read the point (as after the player)
        await wait_until(lambda: h.episodes.property("resumeText") == "Resume from 12:34", 5)
        await _key(h, K.Key_Right, "episodeResumeButton")
        await _key(h, K.Key_Right, "episodeStartOverButton")
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.app.property("screen") == "player", 5, "player again")
        await wait_until(lambda: len(h.port.opened) == 2, 5, "open again")
        assert h.port.opened[-1] == (ep2, 0.0)
        await press(h.window, K.Key_Escape)
        await wait_until(lambda: h.app.property("screen") == "episodes", 5, "episodes")
        await h.player_vm.wait_closed()
        # The buttons went with the point; the focus is on the list, not on a hidden one.
        await wait_until(lambda: focused_name(h.window) == "episode_2", 5, "list focus")
        await one_focus(h.window)
        # Back leaves to Home (the card opened Episodes directly).
        await press(h.window, K.Key_Escape)
        await wait_until(lambda: h.app.property("screen") == "home", 5, "home")

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        run(aloop, h.shell.close(stop_player=False))


def test_back_after_autoplay_focuses_the_episode_that_was_playing(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        library: Library) -> None:
    # The countdown is up as soon as S01E01 starts (its clip is 10 s long).
    h = build(ports, shared_player, library, next_lead=20.0)
    ep1, ep2 = library.episodes[(1, 1)], library.episodes[(1, 2)]

    async def scenario() -> None:
        await wait_until(lambda: focused_name(h.window).startswith("card_")
                         or h.app.property("screen") == "home", 10, "home")
        h.app.openSeries(library.show_id)
        await wait_until(lambda: focused_name(h.window) == "season_1", 5, "seasons")
        await _key(h, K.Key_Return, "episode_1")
        # OK plays S01E01; the countdown (up at once on a 10 s clip) moves on to S01E02.
        await press(h.window, K.Key_Return)
        await wait_until(lambda: h.app.property("screen") == "player", 5, "player")
        await wait_until(lambda: [e for e, _ in h.port.opened] == [ep1, ep2], 20,
                         "autoplay to S01E02")
        await wait_until(lambda: shared_player.state.started
                         and h.player_vm.playing_media_id() == episode_media_id(ep2), 10,
                         "S01E02 playing")
        # S01E02's own countdown is up too: the first Back keeps watching, the second
        # leaves the player.
        await wait_until(lambda: h.player_vm.property("nextVisible"), 5, "E03 countdown")
        await press(h.window, K.Key_Escape)
        await wait_until(lambda: not h.player_vm.property("nextVisible"), 3, "cancelled")
        await press(h.window, K.Key_Escape)
        await wait_until(lambda: h.app.property("screen") == "episodes", 5, "episodes")
        await wait_until(lambda: focused_name(h.window) == "episode_2", 5,
                         "the episode that was playing")
        await one_focus(h.window)
        assert h.episodes.property("currentTitle") == "Harbor 1x02"
        await h.player_vm.wait_closed()
        # S01E01 was saved as watched by the autoplay, S01E02 where Back left it.
        saved = library.progress(ep1)
        assert saved is not None and saved[0] >= 0.9 * saved[1]
        assert library.progress(ep2) is not None
        # Home had nothing to continue; now its first row is the series at S01E02.
        await _key(h, K.Key_Escape)
        await wait_until(lambda: h.app.property("screen") == "series", 5, "series")
        await press(h.window, K.Key_Escape)
        card = f"card_continue_tv{library.show_id}"
        await wait_until(lambda: focused_name(h.window) == card, 5, "the new Continue card")
        await one_focus(h.window)
        shelves = h.app.property("home").property("shelves")
        first = shelves.shelf(0)
        assert first.key == "continue"
        cards = shelves.data(shelves.index(0, 0), shelves.CardsRole).items()
        assert [c.title for c in cards] == ["Harbor Lights · S01E02"]
        assert cards[0].episode is not None and cards[0].episode.id == ep2
        # OK on it: Season 1, S01E02 focused, resuming where Back left it.
        await _key(h, K.Key_Return, "episode_2")
        assert h.episodes.property("currentTitle") == "Harbor 1x02"

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        run(aloop, h.shell.close(stop_player=False))


def test_back_after_autoplay_into_the_next_season_shows_that_season(
        aloop: qasync.QEventLoop, ports: Ports, library: Library) -> None:
    """The view model alone: the player last played S02E01 while Season 1 was listed."""
    catalog = LibraryService(CatalogRepository(library.db), None)
    streams = stored_streams(library.repo)
    port = ClipEpisodes(streams, library.repo, ports.server.url)
    vm = EpisodesViewModel(catalog, port)
    rows: list[int] = []
    vm.focusRow.connect(rows.append)

    async def scenario() -> None:
        vm.load(library.show_id, 1, "Harbor Lights")
        await wait_until(lambda: vm.property("episodes").rowCount() == 3, 5)
        vm.returnedFrom(library.episodes[(2, 1)])
        await wait_until(lambda: vm.property("heading") == "Harbor Lights — Season 2", 5)
        await wait_until(lambda: rows == [0] and vm.property("currentTitle") == "Harbor 2x01", 5)
        # Within the season: S02E02 focused at once.
        vm.returnedFrom(library.episodes[(2, 2)])
        assert rows == [0, 1] and vm.property("currentIndex") == 1
        assert episode_of(episode_media_id(library.episodes[(2, 2)])) == library.episodes[(2, 2)]

    try:
        run(aloop, scenario(), timeout=30)
    finally:
        run(aloop, vm.aclose())


def test_resume_point_follows_the_rules_of_open(library: Library,
                                                aloop: qasync.QEventLoop) -> None:
    """EpisodeStreams' resume point and start over on the real repository."""
    streams = stored_streams(library.repo)
    ep = library.episodes[(1, 3)]

    async def scenario() -> None:
        assert await streams.episode_resume_point(ep) is None  # never started
        library.set_progress(ep, 754.0, 2640.0)
        assert await streams.episode_resume_point(ep) == 754.0
        library.set_progress(ep, 2400.0, 2640.0)  # watched (>= 90 %)
        assert await streams.episode_resume_point(ep) is None
        library.set_progress(ep, 754.0, 2640.0)
        await streams.episode_start_over(ep)
        assert library.progress(ep) is None
        assert await streams.episode_resume_point(ep) is None
        ref = await streams.episode_ref(ep)
        assert ref == EpisodeRef(ep, 1, 3, "Harbor 1x03") and ref.code == "S01E03"
        assert await streams.episode_ref(999_999) is None
        with library.db.engine.connect() as conn:  # start over leaves no row behind
            assert conn.execute(text("SELECT count(*) FROM episode_progress")).scalar() == 0

    run(aloop, scenario())
