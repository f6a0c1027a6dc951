"""AppViewModel: the screen stack (Home -> Details -> Player, Back pops) and fullscreen."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.ui.details import DetailsViewModel
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel

log = logging.getLogger(__name__)

HOME, DETAILS, PLAYER = "home", "details", "player"


class AppViewModel(QObject):
    """Owns navigation so QML only mirrors it (StackView push/pop on these signals)."""

    screenChanged = Signal()
    pushed = Signal(str)
    popped = Signal()
    fullscreenChanged = Signal()

    def __init__(
        self,
        home: HomeViewModel,
        details: DetailsViewModel,
        player: PlayerViewModel,
        fullscreen: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._home = home
        self._details = details
        self._player = player
        self._stack: list[str] = [HOME]
        self._fullscreen = fullscreen
        details.playRequested.connect(self.openPlayer)

    def _screen(self) -> str:
        return self._stack[-1]

    def _depth(self) -> int:
        return len(self._stack)

    def _get_fullscreen(self) -> bool:
        return self._fullscreen

    def _set_fullscreen(self, value: bool) -> None:
        if value != self._fullscreen:
            self._fullscreen = value
            self.fullscreenChanged.emit()

    def _home_vm(self) -> QObject:
        return self._home

    def _details_vm(self) -> QObject:
        return self._details

    def _player_vm(self) -> QObject:
        return self._player

    screen = Property(str, _screen, notify=screenChanged)
    depth = Property(int, _depth, notify=screenChanged)
    fullscreen = Property(bool, _get_fullscreen, _set_fullscreen, notify=fullscreenChanged)
    home = Property(QObject, _home_vm, constant=True)
    details = Property(QObject, _details_vm, constant=True)
    player = Property(QObject, _player_vm, constant=True)

    @Slot()
    def start(self) -> None:
        self._home.reload()

    @Slot(int)
    def openDetails(self, media_id: int) -> None:
        self._details.load(media_id)
        self._push(DETAILS)

    @Slot(int)
    def openPlayer(self, media_id: int) -> None:
        if self._screen() == PLAYER:
            return
        self._player.open(media_id)
        self._push(PLAYER)

    @Slot()
    def back(self) -> None:
        if len(self._stack) == 1:
            return  # Back on Home stays on Home: a remote has no other way to get there
        if self._screen() == PLAYER:
            self._player.back()
        self._stack.pop()
        log.debug("back to %s", self._screen())
        self.popped.emit()
        self.screenChanged.emit()

    @Slot()
    def toggleFullscreen(self) -> None:
        self._set_fullscreen(not self._fullscreen)

    def _push(self, screen: str) -> None:
        self._stack.append(screen)
        log.debug("open %s", screen)
        self.pushed.emit(screen)
        self.screenChanged.emit()
