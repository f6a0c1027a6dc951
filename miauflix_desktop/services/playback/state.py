"""Pure player state: a frozen PlayerState and reduce(state, event) over typed player events.

Everything mpv reports (from its own threads) is turned into one of these events and
folded on the asyncio loop, so the view models only ever see whole, consistent states
and the rules ("loading ends at the first frame", "a seek clears EOF") are unit-testable
without mpv.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PlayerState:
    """What the player is doing right now, as the UI needs it."""

    url: str | None = None
    position: float = 0.0
    duration: float | None = None
    paused: bool = False
    # True from load() until the first frame after it (mpv's playback-restart).
    loading: bool = False
    # Set once the first frame of the current file was shown; stays True across seeks.
    started: bool = False
    seeking: bool = False
    eof: bool = False
    error: str | None = None

    @property
    def idle(self) -> bool:
        return self.url is None


@dataclass(frozen=True)
class Loading:
    url: str
    start: float = 0.0


@dataclass(frozen=True)
class PositionChanged:
    position: float


@dataclass(frozen=True)
class DurationChanged:
    duration: float | None


@dataclass(frozen=True)
class PauseChanged:
    paused: bool


@dataclass(frozen=True)
class SeekStarted:
    pass


@dataclass(frozen=True)
class PlaybackRestarted:
    """mpv's playback-restart: the first frame after a load or a seek is on screen."""


@dataclass(frozen=True)
class EofReached:
    eof: bool


@dataclass(frozen=True)
class Failed:
    message: str


@dataclass(frozen=True)
class Stopped:
    pass


PlayerEvent = (
    Loading
    | PositionChanged
    | DurationChanged
    | PauseChanged
    | SeekStarted
    | PlaybackRestarted
    | EofReached
    | Failed
    | Stopped
)


def reduce(state: PlayerState, event: PlayerEvent) -> PlayerState:
    """Fold one event into the state; unknown events leave it unchanged."""
    match event:
        case Loading(url=url, start=start):
            return PlayerState(url=url, position=start, loading=True)
        case PositionChanged(position=position):
            if state.idle:
                return state
            return replace(state, position=max(0.0, position))
        case DurationChanged(duration=duration):
            if state.idle:
                return state
            return replace(state, duration=duration if duration and duration > 0 else None)
        case PauseChanged(paused=paused):
            return replace(state, paused=paused)
        case SeekStarted():
            # A seek leaves the end of the file, so EOF no longer holds.
            return replace(state, seeking=True, eof=False)
        case PlaybackRestarted():
            if state.idle:
                return state
            return replace(state, loading=False, started=True, seeking=False)
        case EofReached(eof=eof):
            if state.idle:
                return state
            return replace(state, eof=eof)
        case Failed(message=message):
            return replace(state, loading=False, seeking=False, error=message)
        case Stopped():
            return PlayerState()
    return state
