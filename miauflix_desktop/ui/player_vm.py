"""PlayerViewModel: opens a title through the PlayPort, drives PlayerService, mirrors its state."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import PlayPort
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.playback.state import PlayerState
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

SEEK_STEP_SECONDS = 10.0


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class PlayerViewModel(QObject):
    titleChanged = Signal()
    playbackChanged = Signal()
    errorChanged = Signal()
    loadingChanged = Signal()

    def __init__(
        self, play: PlayPort, player: PlayerService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._play = play
        self._player = player
        self._media_id: int | None = None
        self._title = ""
        self._state = PlayerState()
        self._opening = False
        self._error = ""
        self._tasks = OwnedTasks("player")
        self._unsubscribe = player.subscribe(self._on_state)

    @property
    def player(self) -> PlayerService:
        """For the mpv render item (ui/mpv_item.py), which QML hands this view model."""
        return self._player

    # -- properties -----------------------------------------------------------------

    def _get_title(self) -> str:
        return self._title

    def _position(self) -> float:
        return self._state.position

    def _duration(self) -> float:
        return self._state.duration or 0.0

    def _paused(self) -> bool:
        return self._state.paused

    def _started(self) -> bool:
        return self._state.started

    def _eof(self) -> bool:
        return self._state.eof

    def _progress(self) -> float:
        d = self._state.duration
        return min(1.0, self._state.position / d) if d else 0.0

    def _position_text(self) -> str:
        return clock(self._state.position)

    def _duration_text(self) -> str:
        return clock(self._state.duration)

    def _loading(self) -> bool:
        # Loading lasts from "open" until mpv shows the first frame, unless it failed.
        return not self._error and (self._opening or self._state.loading)

    def _get_error(self) -> str:
        return self._error

    title = Property(str, _get_title, notify=titleChanged)
    position = Property(float, _position, notify=playbackChanged)
    duration = Property(float, _duration, notify=playbackChanged)
    paused = Property(bool, _paused, notify=playbackChanged)
    started = Property(bool, _started, notify=playbackChanged)
    eof = Property(bool, _eof, notify=playbackChanged)
    progress = Property(float, _progress, notify=playbackChanged)
    positionText = Property(str, _position_text, notify=playbackChanged)
    durationText = Property(str, _duration_text, notify=playbackChanged)
    loading = Property(bool, _loading, notify=loadingChanged)
    error = Property(str, _get_error, notify=errorChanged)

    # -- commands -------------------------------------------------------------------

    @Slot(int)
    @Slot(int, int)
    def open(self, media_id: int, source_id: int = 0) -> None:
        """Play media_id from source_id (0: the best source)."""
        self._media_id = media_id
        self._set_title("")
        self._set_error("")
        self._tasks.spawn("open", self._open(media_id, source_id or None))

    async def _open(self, media_id: int, source_id: int | None) -> None:
        self._set_opening(True)
        try:
            target = await self._play.open(media_id, source_id)
            self._set_title(target.title)
            await self._player.load(target.url, start=target.start_position)
        except Exception as exc:
            log.warning("opening %s failed: %s", media_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "This title could not be played."))
        finally:
            self._set_opening(False)

    @Slot()
    def togglePause(self) -> None:
        self._player.toggle_pause()

    @Slot(float)
    def seek(self, delta: float) -> None:
        if self._state.started:
            self._tasks.spawn("seek", self._player.seek(delta, "relative"))

    @Slot()
    def seekForward(self) -> None:
        self.seek(SEEK_STEP_SECONDS)

    @Slot()
    def seekBackward(self) -> None:
        self.seek(-SEEK_STEP_SECONDS)

    @Slot()
    def back(self) -> None:
        """Leave the player: remember where the viewer stopped, then stop playback."""
        media_id, state = self._media_id, self._state
        self._media_id = None
        self._tasks.spawn("close", self._close(media_id, state))

    async def _close(self, media_id: int | None, state: PlayerState) -> None:
        open_task_running = self._tasks.running("open")
        if open_task_running:
            self._tasks.spawn("open", _noop())  # cancels the pending open
        try:
            await self._player.stop_playback()
            if media_id is not None and state.started and state.duration:
                await self._play.save_position(media_id, state.position, state.duration)
        except Exception:
            # The viewer has already left the screen; nothing useful to show.
            log.exception("saving the position of %s failed", media_id)
        finally:
            self._set_opening(False)
            self._set_error("")

    async def wait_closed(self) -> None:
        """For tests and shutdown: wait until a pending back() has finished."""
        while self._tasks.running("close"):
            await asyncio.sleep(0.01)

    # -- state ----------------------------------------------------------------------

    def _on_state(self, state: PlayerState) -> None:
        was_loading = self._loading()
        self._state = state
        if state.error and state.error != self._error:
            self._set_error(state.error)
        self.playbackChanged.emit()
        if was_loading != self._loading():
            self.loadingChanged.emit()

    def _set_title(self, value: str) -> None:
        if value != self._title:
            self._title = value
            self.titleChanged.emit()

    def _set_error(self, value: str) -> None:
        if value != self._error:
            was_loading = self._loading()
            self._error = value
            self.errorChanged.emit()
            if was_loading != self._loading():
                self.loadingChanged.emit()

    def _set_opening(self, value: bool) -> None:
        if value != self._opening:
            was_loading = self._loading()
            self._opening = value
            if was_loading != self._loading():
                self.loadingChanged.emit()

    async def aclose(self) -> None:
        self._unsubscribe()
        await self._tasks.aclose()


async def _noop() -> None:
    return None
