"""Pure player state: a frozen PlayerState and reduce(state, event) over typed player events.

Everything mpv reports (from its own threads) is turned into one of these events and
folded on the asyncio loop, so the view models only ever see whole, consistent states
and the rules ("loading ends at the first frame", "a seek clears EOF") are unit-testable
without mpv.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

TrackType = Literal["audio", "sub"]


@dataclass(frozen=True)
class Track:
    """One audio or subtitle track of the current file (mpv's track-list entry).

    `id` is mpv's per-type id (what `aid`/`sid` take), so audio 1 and subtitle 1 coexist.
    """

    id: int
    type: TrackType
    language: str = ""
    title: str = ""
    codec: str = ""
    selected: bool = False
    external: bool = False

    @property
    def label(self) -> str:
        """What a list shows: "English (eng)", "Deutsch", "Track 2"."""
        name = self.title or self.language or f"Track {self.id}"
        if self.title and self.language and self.language.lower() not in self.title.lower():
            name = f"{self.title} ({self.language})"
        return name + (" · external" if self.external else "")


def parse_track_list(value: Any) -> tuple[Track, ...]:
    """mpv's `track-list` (a list of dicts) -> audio and subtitle Tracks; video is left out."""
    out: list[Track] = []
    for entry in value or ():
        if not isinstance(entry, dict) or entry.get("type") not in ("audio", "sub"):
            continue
        try:
            track_id = int(entry["id"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(Track(
            id=track_id,
            type=entry["type"],
            language=str(entry.get("lang") or ""),
            title=str(entry.get("title") or ""),
            codec=str(entry.get("codec") or ""),
            selected=bool(entry.get("selected")),
            external=bool(entry.get("external")),
        ))
    return tuple(out)


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
    # Audio and subtitle tracks of the current file, subtitle delay (s) and scale.
    tracks: tuple[Track, ...] = ()
    sub_delay: float = 0.0
    sub_scale: float = 1.0

    @property
    def idle(self) -> bool:
        return self.url is None

    @property
    def audio_tracks(self) -> tuple[Track, ...]:
        return tuple(t for t in self.tracks if t.type == "audio")

    @property
    def sub_tracks(self) -> tuple[Track, ...]:
        return tuple(t for t in self.tracks if t.type == "sub")

    def selected(self, kind: TrackType) -> Track | None:
        return next((t for t in self.tracks if t.type == kind and t.selected), None)


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


@dataclass(frozen=True)
class TracksChanged:
    tracks: tuple[Track, ...]


@dataclass(frozen=True)
class SubDelayChanged:
    delay: float


@dataclass(frozen=True)
class SubScaleChanged:
    scale: float


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
    | TracksChanged
    | SubDelayChanged
    | SubScaleChanged
)


def reduce(state: PlayerState, event: PlayerEvent) -> PlayerState:
    """Fold one event into the state; unknown events leave it unchanged."""
    match event:
        case Loading(url=url, start=start):
            # Delay and scale are mpv options that outlive the file; keep showing them.
            return PlayerState(url=url, position=start, loading=True,
                               sub_delay=state.sub_delay, sub_scale=state.sub_scale)
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
            return PlayerState(sub_delay=state.sub_delay, sub_scale=state.sub_scale)
        case TracksChanged(tracks=tracks):
            if state.idle and tracks:
                return state  # a late report about a file that was stopped
            return replace(state, tracks=tracks)
        case SubDelayChanged(delay=delay):
            return replace(state, sub_delay=round(delay, 3))
        case SubScaleChanged(scale=scale):
            return replace(state, sub_scale=round(scale, 3))
    return state
