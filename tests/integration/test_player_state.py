"""The pure PlayerState reducer."""

from __future__ import annotations

from miauflix_desktop.services.playback.state import (
    DurationChanged,
    EofReached,
    Failed,
    Loading,
    PauseChanged,
    PlaybackRestarted,
    PlayerState,
    PositionChanged,
    SeekStarted,
    Stopped,
    reduce,
)


def test_load_until_first_frame_then_seek_and_eof() -> None:
    s = reduce(PlayerState(), Loading("http://x/1", start=30.0))
    assert s.loading and not s.started and s.position == 30.0
    s = reduce(s, DurationChanged(100.0))
    s = reduce(s, PlaybackRestarted())
    assert not s.loading and s.started
    s = reduce(s, PositionChanged(31.5))
    s = reduce(s, EofReached(True))
    assert s.eof
    s = reduce(s, SeekStarted())
    assert s.seeking and not s.eof
    s = reduce(s, PlaybackRestarted())
    assert not s.seeking and s.started
    assert reduce(s, PauseChanged(True)).paused


def test_failure_ends_loading_and_stop_resets() -> None:
    s = reduce(PlayerState(), Loading("http://x/1"))
    s = reduce(s, Failed("Playback failed: loading failed"))
    assert s.error and not s.loading
    s = reduce(s, Stopped())
    assert s == PlayerState()


def test_events_while_idle_are_ignored() -> None:
    idle = PlayerState()
    assert reduce(idle, PositionChanged(3.0)) == idle
    assert reduce(idle, PlaybackRestarted()) == idle
    assert reduce(idle, DurationChanged(9.0)) == idle
    assert reduce(idle, DurationChanged(0.0)) == idle
