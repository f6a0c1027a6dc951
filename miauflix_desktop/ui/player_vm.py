"""PlayerViewModel: opens a title through the PlayPort, drives PlayerService, mirrors its state.

While a title is open a monitor task polls the stream (peers, speed, downloaded ranges)
and mpv's cache twice a second for the on-screen display, and saves the position every
few seconds of playback so a crash or power cut loses little.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import PlayPort, StreamStatus
from miauflix_desktop.services.playback.player import (
    SUB_DELAY_STEP,
    SUB_SCALE_STEP,
    PlayerService,
)
from miauflix_desktop.services.playback.state import PlayerState, Track
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

SEEK_STEP_SECONDS = 10.0
SEEK_LONG_STEP_SECONDS = 60.0
# A forward seek stops this far before the end, so it lands on the last seconds of the
# film instead of its end (where mpv would stop on the last frame).
SEEK_END_GUARD_SECONDS = 1.0
# How often the stream status (and the clock) refresh, and how often playback is saved.
STATUS_INTERVAL_SECONDS = 0.5
SAVE_INTERVAL_SECONDS = 5.0
# "Safe to start": enough downloaded ahead of the position for this much playback.
SAFE_START_SECONDS = 20.0
# A seek that has not shown its first frame after this long counts as buffering.
SLOW_SEEK_SECONDS = 0.7
# Downloaded ranges closer than this (a fraction of the film) draw as one on the seek bar.
MIN_RANGE_GAP = 0.002


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def rate_text(bytes_per_second: float) -> str:
    """"3.4 MB/s", "850 kB/s"."""
    if bytes_per_second >= 1_000_000:
        return f"{bytes_per_second / 1_000_000:.1f} MB/s"
    return f"{bytes_per_second / 1000:.0f} kB/s"


def safe_start_seconds(status: StreamStatus, position: float,
                       duration: float | None) -> float | None:
    """Seconds until ~20 s of playback past `position` are downloaded, at the current rate.

    The bitrate is the file's average (size / duration); None when it cannot be told (no
    duration yet) and math.inf while nothing downloads.
    """
    if not duration or duration <= 0 or status.size <= 0:
        return None
    bitrate = status.size / duration  # bytes per second of playback
    ahead = status.buffered_ahead(min(max(position / duration, 0.0), 1.0)) * status.size
    left_in_file = max(0.0, duration - position) * bitrate
    missing = max(0.0, min(SAFE_START_SECONDS * bitrate, left_in_file) - ahead)
    if missing <= 0:
        return 0.0
    if status.download_rate <= 0:
        return math.inf
    return missing / status.download_rate


class PlayerViewModel(QObject):
    titleChanged = Signal()
    playbackChanged = Signal()
    errorChanged = Signal()
    loadingChanged = Signal()
    streamChanged = Signal()
    clockChanged = Signal()
    tracksChanged = Signal()

    def __init__(
        self, play: PlayPort, player: PlayerService, parent: QObject | None = None, *,
        status_interval: float = STATUS_INTERVAL_SECONDS,
        save_interval: float = SAVE_INTERVAL_SECONDS,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(parent)
        self._play = play
        self._player = player
        self._status_interval = status_interval
        self._save_interval = save_interval
        self._now = now
        self._media_id: int | None = None
        self._title = ""
        self._state = PlayerState()
        self._opening = False
        self._error = ""
        # The OSD's view of the stream and of mpv's cache (refreshed by the monitor).
        self._stream: StreamStatus | None = None
        self._paused_for_cache = False
        self._cache_seconds = 0.0
        self._seek_started: float | None = None  # loop time of the running seek
        # Where the last seek goes, so quick presses add up before mpv reports back.
        self._seek_target: float | None = None
        self._seek_target_at = 0.0
        self._save_task: asyncio.Task[None] | None = None
        self._steps = 0
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

    def _buffering(self) -> bool:
        """Loading, stalled on the network (mpv paused-for-cache), or a slow seek."""
        if self._error:
            return False
        if self._loading() or self._paused_for_cache:
            return True
        started = self._seek_started
        return (self._state.seeking and started is not None
                and _loop_time() - started >= SLOW_SEEK_SECONDS)

    def _buffered_ranges(self) -> list[list[float]]:
        """Downloaded parts as [start, end] fractions; gaps too small to see are closed,
        so a patchy download draws a few bars, not hundreds."""
        if self._stream is None:
            return []
        out: list[list[float]] = []
        for a, b in sorted(self._stream.buffered):
            a, b = max(0.0, min(1.0, a)), max(0.0, min(1.0, b))
            if b <= a:
                continue
            if out and a - out[-1][1] < MIN_RANGE_GAP:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return out

    def _peers(self) -> int:
        return self._stream.peers if self._stream is not None else 0

    def _has_stream(self) -> bool:
        return self._stream is not None

    def _speed_text(self) -> str:
        return rate_text(self._stream.download_rate) if self._stream is not None else ""

    def _buffered_seconds(self) -> float:
        """Seconds playable past the position: the torrent's contiguous download ahead of
        it (at the file's average bitrate), or mpv's own cache when that says more."""
        ahead = self._cache_seconds
        d = self._state.duration
        if self._stream is not None and d:
            fraction = min(max(self._state.position / d, 0.0), 1.0)
            ahead = max(ahead, self._stream.buffered_ahead(fraction) * d)
        if d:
            ahead = min(ahead, max(0.0, d - self._state.position))
        return ahead

    def _buffered_seconds_text(self) -> str:
        if not self._state.duration and self._cache_seconds <= 0:
            return ""  # nothing to tell yet: seconds need the duration (or mpv's cache)
        return f"{self._buffered_seconds():.0f} s buffered ahead"

    def _safe_to_start_text(self) -> str:
        if self._stream is None:
            return ""
        seconds = safe_start_seconds(self._stream, self._state.position, self._state.duration)
        if seconds is None:
            return "Waiting for peers…" if self._stream.download_rate <= 0 else ""
        if math.isinf(seconds):
            return "Waiting for peers…"
        if seconds < 1:
            return "Safe to start now"
        return f"Safe to start in {math.ceil(seconds)} s"

    def _clock_text(self) -> str:
        return self._now().strftime("%H:%M")

    def _ends_at_text(self) -> str:
        d = self._state.duration
        if not d or self._state.idle:
            return ""
        remaining = max(0.0, d - self._state.position)
        return "Ends at " + (self._now() + timedelta(seconds=remaining)).strftime("%H:%M")

    def _audio_tracks(self) -> list[dict[str, object]]:
        return [_track_row(t) for t in self._state.audio_tracks]

    def _subtitle_tracks(self) -> list[dict[str, object]]:
        return [_track_row(t) for t in self._state.sub_tracks]

    def _subtitles_off(self) -> bool:
        return self._state.selected("sub") is None

    def _sub_delay_text(self) -> str:
        return f"{self._state.sub_delay:+.1f} s"

    def _sub_scale_text(self) -> str:
        return f"{round(self._state.sub_scale * 100)} %"

    audioTracks = Property(list, _audio_tracks, notify=tracksChanged)
    subtitleTracks = Property(list, _subtitle_tracks, notify=tracksChanged)
    subtitlesOff = Property(bool, _subtitles_off, notify=tracksChanged)
    subDelayText = Property(str, _sub_delay_text, notify=tracksChanged)
    subScaleText = Property(str, _sub_scale_text, notify=tracksChanged)

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
    buffering = Property(bool, _buffering, notify=streamChanged)
    hasStream = Property(bool, _has_stream, notify=streamChanged)
    bufferedRanges = Property(list, _buffered_ranges, notify=streamChanged)
    peers = Property(int, _peers, notify=streamChanged)
    speedText = Property(str, _speed_text, notify=streamChanged)
    bufferedSeconds = Property(float, _buffered_seconds, notify=streamChanged)
    bufferedSecondsText = Property(str, _buffered_seconds_text, notify=streamChanged)
    safeToStartText = Property(str, _safe_to_start_text, notify=streamChanged)
    clockText = Property(str, _clock_text, notify=clockChanged)
    endsAtText = Property(str, _ends_at_text, notify=clockChanged)

    # -- commands -------------------------------------------------------------------

    @Slot(int)
    @Slot(int, int)
    def open(self, media_id: int, source_id: int = 0) -> None:
        """Play media_id from source_id (0: the best source)."""
        self._media_id = media_id
        self._set_title("")
        self._set_error("")
        self._seek_target = None
        self._tasks.spawn("open", self._open(media_id, source_id or None))
        self._tasks.spawn("monitor", self._monitor(media_id))

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
        """Seek by delta seconds, kept within the film (forward stops just short of the end).

        Quick presses add up: the next seek starts from where the last one goes, not from
        the position mpv has not reported yet.
        """
        if not self._state.started:
            return
        now = _loop_time()
        base = self._state.position
        if self._seek_target is not None and now - self._seek_target_at < 3.0:
            base = self._seek_target
        target = base + delta
        d = self._state.duration
        if d:
            target = min(target, max(0.0, d - SEEK_END_GUARD_SECONDS))
        target = max(0.0, target)
        if delta > 0 and target <= base:
            return  # already at the end
        self._seek_target, self._seek_target_at = target, now
        self._tasks.spawn("seek", self._player.seek(target, "absolute"))

    @Slot()
    def seekForward(self) -> None:
        self.seek(SEEK_STEP_SECONDS)

    @Slot()
    def seekBackward(self) -> None:
        self.seek(-SEEK_STEP_SECONDS)

    @Slot()
    def seekForwardLong(self) -> None:
        self.seek(SEEK_LONG_STEP_SECONDS)

    @Slot()
    def seekBackwardLong(self) -> None:
        self.seek(-SEEK_LONG_STEP_SECONDS)

    @Slot(int)
    def selectAudio(self, track_id: int) -> None:
        self._tasks.spawn("audio", self._player.set_audio(track_id))

    @Slot(int)
    def selectSubtitle(self, track_id: int) -> None:
        """Show subtitle track track_id; 0 or less turns subtitles off."""
        self._tasks.spawn("subtitle",
                          self._player.set_subtitle(track_id if track_id > 0 else None))

    @Slot(int)
    def stepSubDelay(self, direction: int) -> None:
        """direction +1: subtitles 0.1 s later; -1: earlier."""
        if direction:
            self._tasks.spawn(f"sub-delay-{self._next_step()}",
                              self._player.adjust_sub_delay(SUB_DELAY_STEP * direction))

    @Slot(int)
    def stepSubScale(self, direction: int) -> None:
        """direction +1: bigger subtitles; -1: smaller."""
        if direction:
            self._tasks.spawn("sub-scale",
                              self._player.adjust_sub_scale(SUB_SCALE_STEP * direction))

    @Slot(str)
    def addSubtitle(self, path: str) -> None:
        self._tasks.spawn("sub-add", self._add_subtitle(path))

    async def _add_subtitle(self, path: str) -> None:
        try:
            await self._player.add_subtitle(path)
        except Exception as exc:
            log.warning("loading subtitles %s failed: %s", path, exc)

    def _next_step(self) -> int:
        # Each delay press is its own task: "add" in mpv accumulates, none may be dropped.
        self._steps += 1
        return self._steps % 8

    @Slot()
    def back(self) -> None:
        """Leave the player: remember where the viewer stopped, then stop playback."""
        media_id, state = self._media_id, self._state
        self._media_id = None
        if self._tasks.running("monitor"):
            self._tasks.spawn("monitor", _noop())  # cancels the polling and periodic saves
        self._tasks.spawn("close", self._close(media_id, state))

    async def _close(self, media_id: int | None, state: PlayerState) -> None:
        open_task_running = self._tasks.running("open")
        if open_task_running:
            self._tasks.spawn("open", _noop())  # cancels the pending open
        self._set_stream(None, False, 0.0)
        try:
            # A periodic save still writing must not land after (and over) this one.
            saving = self._save_task
            if saving is not None and not saving.done():
                await asyncio.wait([saving])
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

    # -- monitor: stream status, mpv cache, clock, periodic saves -------------------

    async def _monitor(self, media_id: int) -> None:
        loop = asyncio.get_running_loop()
        last_save = loop.time()
        saved_position: float | None = None
        while True:
            await self._poll(media_id)
            self.clockChanged.emit()
            now = loop.time()
            if now - last_save >= self._save_interval:
                last_save = now
                state = self._state
                if (state.started and state.duration and not state.paused
                        and not state.loading and state.position != saved_position
                        and (self._save_task is None or self._save_task.done())):
                    saved_position = state.position
                    self._save_task = loop.create_task(
                        self._save(media_id, state.position, state.duration),
                        name="player.periodic-save")
            wait = min(self._status_interval, max(0.05, last_save + self._save_interval - now))
            await asyncio.sleep(wait)

    async def _poll(self, media_id: int) -> None:
        try:
            status = await self._play.stream_status(media_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the OSD can do without; playback goes on
            log.debug("stream status of %s failed: %s", media_id, exc)
            status = None
        paused_for_cache, cache_seconds = self._mpv_cache()
        self._set_stream(status, paused_for_cache, cache_seconds)

    def _mpv_cache(self) -> tuple[bool, float]:
        """mpv's paused-for-cache and seconds of demuxer cache ahead (read on the loop
        thread, like the player's own commands, so stop() cannot free mpv meanwhile)."""
        if self._state.idle:
            return False, 0.0
        try:
            mpv = self._player.mpv
            paused = bool(mpv.paused_for_cache)
            seconds = mpv.demuxer_cache_duration
        except Exception:
            return False, 0.0
        return paused, float(seconds) if seconds else 0.0

    async def _save(self, media_id: int, position: float, duration: float) -> None:
        try:
            await self._play.save_position(media_id, position, duration)
        except Exception:
            log.exception("saving the position of %s failed", media_id)

    def _set_stream(self, status: StreamStatus | None, paused_for_cache: bool,
                    cache_seconds: float) -> None:
        self._stream = status
        self._paused_for_cache = paused_for_cache
        self._cache_seconds = cache_seconds
        self.streamChanged.emit()

    # -- state ----------------------------------------------------------------------

    def _on_state(self, state: PlayerState) -> None:
        was_loading = self._loading()
        was_seeking = self._state.seeking
        duration_changed = state.duration != self._state.duration
        tracks_changed = (state.tracks, state.sub_delay, state.sub_scale) != (
            self._state.tracks, self._state.sub_delay, self._state.sub_scale)
        self._state = state
        if state.seeking and not was_seeking:
            self._seek_started = _loop_time()
        elif not state.seeking:
            self._seek_started = None
            if was_seeking:
                self._seek_target = None
        if state.error and state.error != self._error:
            self._set_error(state.error)
        self.playbackChanged.emit()
        if was_loading != self._loading():
            self._loading_changed()
        if state.seeking != was_seeking:
            self.streamChanged.emit()  # buffering may change
        if duration_changed:
            self.clockChanged.emit()  # "ends at" needs the duration
        if tracks_changed:
            self.tracksChanged.emit()

    def _loading_changed(self) -> None:
        self.loadingChanged.emit()
        self.streamChanged.emit()  # buffering follows loading

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
                self._loading_changed()

    def _set_opening(self, value: bool) -> None:
        if value != self._opening:
            was_loading = self._loading()
            self._opening = value
            if was_loading != self._loading():
                self._loading_changed()

    async def aclose(self) -> None:
        self._unsubscribe()
        await self._tasks.aclose()
        saving = self._save_task
        if saving is not None and not saving.done():
            await asyncio.wait([saving], timeout=2.0)


def _track_row(track: Track) -> dict[str, object]:
    return {"id": track.id, "label": track.label, "language": track.language,
            "codec": track.codec, "selected": track.selected}


async def _noop() -> None:
    return None


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return asyncio.get_event_loop().time()
