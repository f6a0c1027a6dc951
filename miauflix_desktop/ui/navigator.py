"""AppViewModel: the screen stack (Home/Browse/Search -> Details or Series -> Episodes ->
Player, Setup on first run, Activity from the Menu; Back pops), the Menu, and fullscreen."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.media import TV, episode_of
from miauflix_desktop.ui.activity import ActivityViewModel
from miauflix_desktop.ui.add_torrent import AddTorrentViewModel
from miauflix_desktop.ui.browse import BrowseViewModel
from miauflix_desktop.ui.details import DetailsViewModel
from miauflix_desktop.ui.downloads import DownloadsViewModel
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel
from miauflix_desktop.ui.search import SearchViewModel
from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
from miauflix_desktop.ui.setup import SetupViewModel
from miauflix_desktop.ui.status import StatusViewModel
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

HOME, BROWSE, SEARCH, DETAILS, SERIES, EPISODES, PLAYER, SETUP, ACTIVITY = (
    "home", "browse", "search", "details", "series", "episodes", "player", "setup",
    "activity")
# The Open torrent screen (a magnet link or a .torrent file), a Menu section.
ADD_TORRENT = "addtorrent"
# Top-level sections the Menu reaches; each sits directly on Home, so Back returns there.
# The Downloads screen (titles kept for offline viewing), a Menu section.
DOWNLOADS = "downloads"
SECTIONS = (HOME, BROWSE, SEARCH, SETUP, ACTIVITY, ADD_TORRENT, DOWNLOADS)


class AppViewModel(QObject):
    """Owns navigation so QML only mirrors it (StackView push/pop/reset on these signals).

    The screens past Home are optional (None hides them from the Menu), so a container
    that has not wired a port yet still gets a working app.
    """

    screenChanged = Signal()
    pushed = Signal(str)
    popped = Signal()
    # The whole stack changed (Menu navigation, setup done): QML rebuilds from `stack`.
    reset = Signal()
    fullscreenChanged = Signal()
    menuChanged = Signal()

    def __init__(
        self,
        home: HomeViewModel,
        details: DetailsViewModel,
        player: PlayerViewModel,
        fullscreen: bool = False,
        parent: QObject | None = None,
        *,
        browse: BrowseViewModel | None = None,
        search: SearchViewModel | None = None,
        seasons: SeasonsViewModel | None = None,
        episodes: EpisodesViewModel | None = None,
        setup: SetupViewModel | None = None,
        status: StatusViewModel | None = None,
        activity: ActivityViewModel | None = None,
        add_torrent: AddTorrentViewModel | None = None,
        downloads: DownloadsViewModel | None = None,
    ) -> None:
        super().__init__(parent)
        self._home = home
        self._details = details
        self._player = player
        self._browse = browse
        self._search = search
        self._seasons = seasons
        self._episodes = episodes
        self._setup = setup
        self._status = status or StatusViewModel(None, self)
        self._activity = activity
        self._add_torrent = add_torrent
        self._downloads = downloads
        self._stack: list[str] = [HOME]
        self._fullscreen = fullscreen
        self._menu_open = False
        self._tasks = OwnedTasks("navigator")
        details.playRequested.connect(self.openPlayer)
        player.leaveRequested.connect(self._player_gave_up)
        if seasons is not None:
            seasons.seasonRequested.connect(self.openEpisodes)
        if episodes is not None:
            episodes.playRequested.connect(self.openEpisodePlayer)
            home.episodeRequested.connect(self.openEpisodeAt)
            episodes.downloadsRequested.connect(lambda: self.openSection(DOWNLOADS))
        if setup is not None:
            setup.finished.connect(self._setup_finished)
        if add_torrent is not None:
            add_torrent.titleReady.connect(self._torrent_added)
        if downloads is not None:
            downloads.playRequested.connect(self.openPlayer)
            downloads.seasonRequested.connect(
                lambda show_id, season: self.openEpisodeAt(show_id, season, 0))

    # -- properties -------------------------------------------------------------------

    def _screen(self) -> str:
        return self._stack[-1]

    def _depth(self) -> int:
        return len(self._stack)

    def _get_stack(self) -> list[str]:
        return list(self._stack)

    def _get_fullscreen(self) -> bool:
        return self._fullscreen

    def _set_fullscreen(self, value: bool) -> None:
        if value != self._fullscreen:
            self._fullscreen = value
            self.fullscreenChanged.emit()

    def _get_menu_open(self) -> bool:
        return self._menu_open

    def _sections(self) -> list[str]:
        wired = {HOME: True, BROWSE: self._browse is not None,
                 SEARCH: self._search is not None, SETUP: self._setup is not None,
                 ACTIVITY: self._activity is not None,
                 ADD_TORRENT: self._add_torrent is not None,
                 DOWNLOADS: self._downloads is not None}
        return [s for s in SECTIONS if wired[s]]

    screen = Property(str, _screen, notify=screenChanged)
    depth = Property(int, _depth, notify=screenChanged)
    stack = Property(list, _get_stack, notify=screenChanged)
    fullscreen = Property(bool, _get_fullscreen, _set_fullscreen, notify=fullscreenChanged)
    menuOpen = Property(bool, _get_menu_open, notify=menuChanged)
    sections = Property(list, _sections, constant=True)
    home = Property(QObject, lambda self: self._home, constant=True)
    details = Property(QObject, lambda self: self._details, constant=True)
    player = Property(QObject, lambda self: self._player, constant=True)
    browse = Property(QObject, lambda self: self._browse, constant=True)
    search = Property(QObject, lambda self: self._search, constant=True)
    seasons = Property(QObject, lambda self: self._seasons, constant=True)
    episodes = Property(QObject, lambda self: self._episodes, constant=True)
    setup = Property(QObject, lambda self: self._setup, constant=True)
    status = Property(QObject, lambda self: self._status, constant=True)
    activity = Property(QObject, lambda self: self._activity, constant=True)
    addTorrent = Property(QObject, lambda self: self._add_torrent, constant=True)
    downloads = Property(QObject, lambda self: self._downloads, constant=True)

    def view_models(self) -> list[QObject]:
        """Every view model (the shell closes their tasks at shutdown)."""
        vms = [self._home, self._details, self._player, self._browse, self._search,
               self._seasons, self._episodes, self._setup, self._status, self._activity,
               self._add_torrent, self._downloads]
        return [vm for vm in vms if vm is not None]

    async def aclose(self) -> None:
        await self._tasks.aclose()

    # -- navigation -------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        if self._setup is not None and self._setup.needs_setup():
            self._reset([SETUP])
            return
        self._home.reload()

    @Slot(str, int)
    def openItem(self, kind: str, media_id: int) -> None:
        """A card was chosen: films open Details, series open the Series screen."""
        if kind == TV:
            self.openSeries(media_id)
        else:
            self.openDetails(media_id)

    @Slot(int)
    def openDetails(self, media_id: int) -> None:
        self._details.load(media_id)
        self._push(DETAILS)

    @Slot(int)
    def openSeries(self, show_id: int) -> None:
        if self._seasons is None:
            return
        self._seasons.load(show_id)
        self._push(SERIES)

    @Slot(int, int)
    def openEpisodes(self, show_id: int, season_number: int) -> None:
        if self._episodes is None:
            return
        title = self._seasons.property("title") if self._seasons is not None else ""
        self._episodes.load(show_id, season_number, title or "")
        self._push(EPISODES)

    @Slot(int, int, int)
    def openEpisodeAt(self, show_id: int, season_number: int, episode_id: int) -> None:
        """Home's "Continue watching" card of a series: its season's Episodes screen with
        that episode focused (Back returns Home)."""
        if self._episodes is None:
            return
        self._episodes.load(show_id, season_number, "", focus_episode=episode_id)
        self._push(EPISODES)

    @Slot(int)
    @Slot(int, int)
    def openPlayer(self, media_id: int, source_id: int = 0) -> None:
        if self._screen() == PLAYER:
            return
        self._player.open(media_id, source_id)
        self._push(PLAYER)

    @Slot(int)
    @Slot(int, int)
    def openEpisodePlayer(self, episode_id: int, source_id: int = 0) -> None:
        """Episodes' OK: the player plays the episode (and may go on to the next)."""
        if self._screen() == PLAYER:
            return
        self._player.openEpisode(episode_id, source_id)
        self._push(PLAYER)

    @Slot(str)
    def openSection(self, section: str) -> None:
        """Menu: Home, Browse, Search, Setup or Activity, each directly on top of Home."""
        self._set_menu(False)
        if section not in self._sections():
            return
        target = [HOME] if section == HOME else [HOME, section]
        if self._stack == target:
            return
        self._leave_player()
        if section == BROWSE and self._browse is not None:
            self._browse.open()
        self._reset(target)

    @Slot()
    def toggleMenu(self) -> None:
        # No menu over the player or on first-run setup: the remote's Menu is free there.
        if self._screen() == PLAYER or self._stack == [SETUP]:
            return
        self._set_menu(not self._menu_open)

    @Slot()
    def back(self) -> None:
        if self._menu_open:
            self._set_menu(False)
            return
        if len(self._stack) == 1:
            return  # Back on Home stays on Home: a remote has no other way to get there
        self._leave_player()
        self._stack.pop()
        log.debug("back to %s", self._screen())
        self.popped.emit()
        self.screenChanged.emit()

    @Slot()
    def toggleFullscreen(self) -> None:
        self._set_fullscreen(not self._fullscreen)

    def _player_gave_up(self) -> None:
        # The stream could not go on (no source left, torrent dead): back to Details,
        # the player having shown why; leaving saves the place as Back does.
        if self._screen() == PLAYER and not self._menu_open:
            self.back()

    def _leave_player(self) -> None:
        if self._screen() == PLAYER:
            # Read before back() clears it: autoplay may have moved on to a later episode.
            playing = self._player.playing_media_id()
            self._player.back()
            # Details' "Resume from" follows the position the player saves while closing.
            self._tasks.spawn("after-player", self._after_player(playing))

    async def _after_player(self, playing: int | None = None) -> None:
        await self._player.wait_closed()
        self._details.refreshResume()
        # The saved position is in: Home's "Continue watching" follows it.
        self._home.refreshContinue()
        episode_id = episode_of(playing) if playing is not None else None
        if episode_id is not None and self._episodes is not None:
            # The Episodes list focuses the episode that was playing, with its resume point.
            self._episodes.returnedFrom(episode_id)

    def _torrent_added(self, media_id: int) -> None:
        # Only while the viewer still waits on the Open torrent screen: a fetch that
        # ends after they moved on must not pull them away from what they do now.
        if self._screen() == ADD_TORRENT and not self._menu_open:
            self.openDetails(media_id)

    def _setup_finished(self) -> None:
        # First run ends on Home with whatever library the choice gave (TMDB or demo);
        # from the Menu's Setup it also returns Home, reloaded for the new key/language.
        self._reset([HOME])
        self._home.reload()

    def _set_menu(self, value: bool) -> None:
        if value != self._menu_open:
            self._menu_open = value
            self.menuChanged.emit()

    def _push(self, screen: str) -> None:
        self._set_menu(False)
        self._stack.append(screen)
        log.debug("open %s", screen)
        self.pushed.emit(screen)
        self.screenChanged.emit()

    def _reset(self, stack: list[str]) -> None:
        self._stack = list(stack)
        log.debug("stack %s", stack)
        self.reset.emit()
        self.screenChanged.emit()
