"""The port desktop integration drives the player through, and its PlayerService adapter.

MPRIS and the screensaver inhibitor see only `MediaControls`: a snapshot of what plays
(`NowPlaying`), a change subscription and the transport commands. `PlayerControls`
implements it over PlayerService; Stop (and Next) are callables from the composition
root, because leaving the player is the navigator's job, not the player's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.playback.state import PlayerState

Status = Literal["Playing", "Paused", "Stopped"]


@dataclass(frozen=True)
class NowPlaying:
    status: Status = "Stopped"
    title: str = ""
    position: float = 0.0  # seconds
    duration: float | None = None  # seconds, None while unknown
    can_next: bool = False
    seeking: bool = False


class MediaControls(Protocol):
    def now_playing(self) -> NowPlaying: ...

    def subscribe(self, callback: Callable[[NowPlaying], None]) -> Callable[[], None]: ...

    def play_pause(self) -> None: ...

    def set_paused(self, paused: bool) -> None: ...

    def stop(self) -> None: ...

    def next(self) -> None: ...

    async def seek(self, seconds: float, absolute: bool) -> None: ...


def status_of(state: PlayerState) -> Status:
    if state.idle or state.error:
        return "Stopped"
    if state.paused or state.eof:
        return "Paused"
    return "Playing"


class PlayerControls:
    """MediaControls over PlayerService. stop/next: what Stop and Next mean in the UI."""

    def __init__(self, player: PlayerService, *, stop: Callable[[], None] | None = None,
                 next_item: Callable[[], None] | None = None,
                 can_next: Callable[[], bool] | None = None,
                 title: Callable[[], str] | None = None) -> None:
        self._player = player
        self._title = title or (lambda: player.title)
        self._stop = stop
        self._next = next_item
        self._can_next = can_next
        self._tasks: set[asyncio.Task[None]] = set()

    def now_playing(self) -> NowPlaying:
        state = self._player.state
        return NowPlaying(
            status=status_of(state),
            title=self._title() if not state.idle else "",
            position=state.position, duration=state.duration,
            can_next=bool(self._next and self._can_next and self._can_next()),
            seeking=state.seeking)

    def subscribe(self, callback: Callable[[NowPlaying], None]) -> Callable[[], None]:
        return self._player.subscribe(lambda _state: callback(self.now_playing()))

    def play_pause(self) -> None:
        if not self._player.state.idle:
            self._player.toggle_pause()

    def set_paused(self, paused: bool) -> None:
        if not self._player.state.idle:
            self._player.set_pause(paused)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
        else:
            self._spawn(self._player.stop_playback())

    def next(self) -> None:
        if self._next is not None and self.now_playing().can_next:
            self._next()

    async def seek(self, seconds: float, absolute: bool) -> None:
        await self._player.seek(seconds, "absolute" if absolute else "relative")

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
