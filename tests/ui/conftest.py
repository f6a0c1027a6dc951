"""UI test fixtures: offscreen Qt in this process, a qasync loop, fake ports over real HTTP.

The OpenGL screenshot test runs in a subprocess (tests/ui/gl_scenario.py) because the Qt
platform (offscreen here, xcb there) is fixed per process.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Must be set before QGuiApplication exists (pytest-qt creates it lazily).
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

import pytest
import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.adhoc import AdhocTorrents
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.torrent import TorrentEngine
from miauflix_desktop.ui.activity import ActivityViewModel
from miauflix_desktop.ui.add_torrent import AddTorrentViewModel
from miauflix_desktop.ui.browse import BrowseViewModel
from miauflix_desktop.ui.details import DetailsViewModel
from miauflix_desktop.ui.downloads import DownloadsViewModel
from miauflix_desktop.ui.graphics import set_numeric_locale
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.navigator import AppViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel
from miauflix_desktop.ui.search import SearchViewModel
from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
from miauflix_desktop.ui.setup import SetupViewModel
from miauflix_desktop.ui.shell import UiShell
from miauflix_desktop.ui.status import StatusViewModel
from tests.ui.adhoc_stack import AdhocStack, build_stack
from tests.ui.fake_downloads import FakeDownloads
from tests.ui.fake_history import FakeHistory
from tests.ui.fakes import FakeSetup, FakeStatus, Ports, build_ports


@pytest.fixture(scope="session")
def qapp_cls() -> type[QGuiApplication]:
    return QGuiApplication


@pytest.fixture(scope="session")
def aloop(qapp: QGuiApplication) -> Iterator[qasync.QEventLoop]:
    set_numeric_locale()  # mpv refuses to start under a non-C LC_NUMERIC
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def run(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], timeout: float = 30
) -> Any:
    """Drive a test scenario on the qasync loop (Qt events are processed meanwhile)."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def ports(aloop: qasync.QEventLoop, media_dir: Path) -> Iterator[Ports]:
    built = run(aloop, build_ports(media_dir), timeout=120)
    yield built
    run(aloop, built.aclose())


@dataclass
class UiHarness:
    shell: UiShell
    window: QQuickWindow
    app: AppViewModel
    home: HomeViewModel
    details: DetailsViewModel
    player_vm: PlayerViewModel
    player: PlayerService
    ports: Ports
    loop: qasync.QEventLoop
    browse: BrowseViewModel
    search: SearchViewModel
    seasons: SeasonsViewModel
    episodes: EpisodesViewModel
    setup: SetupViewModel
    status: StatusViewModel
    add_torrent: AddTorrentViewModel | None = None
    downloads: FakeDownloads | None = None


@pytest.fixture(scope="session")
def shared_player(aloop: qasync.QEventLoop) -> Iterator[PlayerService]:
    """One mpv for every in-process UI test, like the app has one per process.

    Creating a fresh libmpv right after terminating another one in the same process
    crashed (SIGSEGV in a native thread) about once in a few hundred cycles on CI.
    """
    player = PlayerService(vo="null", ao="null", hwdec="no")
    run(aloop, player.start())
    yield player
    run(aloop, player.stop())


@pytest.fixture
def adhoc_stack(aloop: qasync.QEventLoop, tmp_path: Path) -> Iterator[AdhocStack]:
    """Real services behind the Open torrent screen (engine and seeder on 127.0.0.1).

    Per test, not per session: Qt events processed between tests (outside the asyncio
    loop) would step the engine's periodic status task with no running loop and kill it.
    """
    built = run(aloop, build_stack(tmp_path / "adhoc"), timeout=60)
    yield built
    run(aloop, built.aclose())


@dataclass
class WalkAdhoc:
    adhoc: AdhocTorrents
    folder: Path


@pytest.fixture(scope="session")
def walk_adhoc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WalkAdhoc]:
    """The Open torrent screen's service in the navigation harness: a real database and an
    engine that is never started (no tasks across tests). The walk moves focus and never
    adds a torrent; the add path runs for real in tests/ui/test_add_torrent*.py."""
    root = tmp_path_factory.mktemp("walk-adhoc")
    (root / "Downloads" / "Films").mkdir(parents=True)
    database = Database(root / "miauflix.sqlite3")
    database.open()
    engine = TorrentEngine(TorrentSettings(), root / "downloads", root / "resume",
                           isolated=True)
    yield WalkAdhoc(AdhocTorrents(database, engine), root / "Downloads")
    database.close()


def build_harness(aloop: qasync.QEventLoop, ports: Ports, player: PlayerService,
                  add_torrent: AddTorrentViewModel | None = None) -> UiHarness:
    """The whole UI over fake ports, as the container would wire it (vo=null: offscreen)."""
    ports.catalog.fail_home = False
    ports.catalog.fail_browse = False
    ports.play.fail_open = False
    ports.play.positions.clear()  # no test starts on another's resume point
    home = HomeViewModel(ports.catalog)
    downloads = FakeDownloads(ports.catalog)
    details = DetailsViewModel(ports.catalog, ports.play, history=FakeHistory(ports.play),
                               downloads=downloads)
    player_vm = PlayerViewModel(ports.play, player)
    browse = BrowseViewModel(ports.catalog)
    search = SearchViewModel(ports.catalog)
    seasons = SeasonsViewModel(ports.catalog)
    episodes = EpisodesViewModel(ports.catalog)
    setup = SetupViewModel(ports.setup)
    status = StatusViewModel(ports.status)
    activity = ActivityViewModel(ports.activity)
    app = AppViewModel(home, details, player_vm, fullscreen=False, browse=browse,
                       search=search, seasons=seasons, episodes=episodes, setup=setup,
                       status=status, activity=activity, add_torrent=add_torrent,
                       downloads=DownloadsViewModel(downloads))
    shell = UiShell(app, player_vm)
    window = shell.load()
    window.requestActivate()
    return UiHarness(shell, window, app, home, details, player_vm, player, ports, aloop,
                     browse, search, seasons, episodes, setup, status, add_torrent,
                     downloads=downloads)


@pytest.fixture
def ui(aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
       walk_adhoc: WalkAdhoc) -> Iterator[UiHarness]:
    ports.setup = FakeSetup()
    ports.status = FakeStatus()
    harness = build_harness(aloop, ports, shared_player,
                            AddTorrentViewModel(walk_adhoc.adhoc, folder=walk_adhoc.folder))
    yield harness
    run(aloop, harness.shell.close(stop_player=False))


@pytest.fixture
def first_run_ui(aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
                 walk_adhoc: WalkAdhoc) -> Iterator[UiHarness]:
    """Like `ui`, but the SetupPort says no TMDB key is configured yet."""
    ports.setup = FakeSetup()
    ports.setup.needed = True
    ports.status = FakeStatus()
    harness = build_harness(aloop, ports, shared_player,
                            AddTorrentViewModel(walk_adhoc.adhoc, folder=walk_adhoc.folder))
    yield harness
    run(aloop, harness.shell.close(stop_player=False))
