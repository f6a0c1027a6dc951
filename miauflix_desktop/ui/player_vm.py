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

from miauflix_desktop.core.errors import MiauflixError, PlaybackError
from miauflix_desktop.core.media import (
    EpisodePort,
    EpisodeRef,
    PlayPort,
    StreamStatus,
    episode_media_id,
    episode_of,
)
from miauflix_desktop.core.stall import (
    StallDetector,
    StallSample,
    StallThresholds,
    SwitchDecision,
)
from miauflix_desktop.core.subtitles import SubtitleSearchPort
from miauflix_desktop.services.playback.player import (
    SUB_DELAY_STEP,
    SUB_SCALE_STEP,
    PlayerService,
    TrackChoice,
)
from miauflix_desktop.services.playback.state import PlayerState, Track
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.subtitles_vm import SubtitlesViewModel
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
# How long "Switched to 720p · x264 from YTS: ..." stays on screen: long enough to read
# from the couch, short enough not to cover the film.
NOTICE_SECONDS = 8.0
# After a stream died (no source left, torrent removed, disk full) the message stays this
# long, then the player goes back to Details by itself (Back leaves at once).
LEAVE_AFTER_SECONDS = 10.0
# Next-episode autoplay: the "Next: S01E02 … playing in 10 s" overlay appears this long
# before the end (or at the end), counts down this many seconds, then the next episode
# opens; its first pieces are fetched this long before the end so it starts warm.
NEXT_LEAD_SECONDS = 20.0
NEXT_COUNTDOWN_SECONDS = 10
PREFETCH_LEAD_SECONDS = 60.0


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
    noticeChanged = Signal()
    # The stream cannot go on and the viewer has had time to read why: leave the player
    # (the navigator goes back to Details; the place is saved as on Back).
    leaveRequested = Signal()
    nextChanged = Signal()

    def __init__(
        self, play: PlayPort, player: PlayerService, parent: QObject | None = None, *,
        status_interval: float = STATUS_INTERVAL_SECONDS,
        save_interval: float = SAVE_INTERVAL_SECONDS,
        now: Callable[[], datetime] = datetime.now,
        stall: StallThresholds | None = None,
        notice_seconds: float = NOTICE_SECONDS,
        leave_after: float = LEAVE_AFTER_SECONDS,
        episodes: EpisodePort | None = None,
        next_lead: float = NEXT_LEAD_SECONDS,
        next_countdown: int = NEXT_COUNTDOWN_SECONDS,
        prefetch_lead: float = PREFETCH_LEAD_SECONDS,
        subtitle_search: SubtitleSearchPort | None = None,
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
        # Stall recovery: the detector judges each status poll; a switch reopens the next
        # source at the same position and says so in `notice` for a few seconds.
        self._stall = StallDetector(stall)
        self._notice = ""
        self._notice_seconds = notice_seconds
        self._leave_after = leave_after
        # The last (position, duration) of a started film: what Back saves when a switch
        # or a dead stream left mpv without a started file.
        self._kept: tuple[float, float] | None = None
        # Series: the episode port, and the next episode's overlay/prefetch state.
        self._episodes = episodes
        self._next_lead = next_lead
        self._next_countdown = next_countdown
        self._prefetch_lead = prefetch_lead
        self._next: EpisodeRef | None = None
        self._next_left = 0  # seconds left on the countdown; 0 = no overlay
        self._next_cancelled = False
        self._next_prefetch = ""  # "", "running", "done" or "failed"
        self._autoplaying = False  # the countdown itself opens the next episode
        self._tasks = OwnedTasks("player")
        self._unsubscribe = player.subscribe(self._on_state)
        # The Tracks panel's subtitle files and OpenSubtitles search (ui/subtitles_vm.py).
        self._subtitles = SubtitlesViewModel(player, subtitle_search,
                                             media_id=lambda: self._media_id,
                                             title=lambda: self._title, parent=self)

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

    def _get_notice(self) -> str:
        return self._notice

    notice = Property(str, _get_notice, notify=noticeChanged)
    subtitles = Property(QObject, lambda self: self._subtitles, constant=True)
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

    def playing_media_id(self) -> int | None:
        """What plays now (after autoplay: the episode it moved on to); None when closed.
        The navigator reads it before Back, to focus that episode on the Episodes list."""
        return self._media_id

    @Slot(int)
    @Slot(int, int)
    def open(self, media_id: int, source_id: int = 0) -> None:
        """Play media_id from source_id (0: the best source)."""
        self._media_id = media_id
        self._set_title("")
        self._set_error("")
        self._seek_target = None
        self._stall.reset()
        self._kept = None
        self._set_notice("")
        self._reset_next()  # an episode's countdown or prefetch must not outlive it
        self._tasks.spawn("open", self._open(media_id, source_id or None))
        self._tasks.spawn("monitor", self._monitor(media_id))

    async def _open(self, media_id: int, source_id: int | None) -> None:
        self._set_opening(True)
        try:
            target = await self._play.open(media_id, source_id)
            self._set_title(target.title)
            await self._player.load(target.url, start=target.start_position,
                                    title=target.title)
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
        if self._tasks.running("switch"):
            self._tasks.spawn("switch", _noop())  # a switch must not load after Back
        if self._tasks.running("leave"):
            self._tasks.spawn("leave", _noop())
        for name in ("next-prefetch", "next-countdown", "sub-restore"):
            if self._tasks.running(name):
                self._tasks.spawn(name, _noop())  # no autoplay (or prefetch) after Back
        self._stall.reset()
        self._set_notice("")
        kept, self._kept = self._kept, None
        self._set_stream(None, False, 0.0)
        try:
            # A periodic save still writing must not land after (and over) this one.
            saving = self._save_task
            if saving is not None and not saving.done():
                await asyncio.wait([saving])
            await self._player.stop_playback()
            if media_id is not None and state.started and state.duration:
                await self._port_for(media_id).save_position(media_id, state.position,
                                                              state.duration)
            elif media_id is not None and kept is not None:
                # Mid-switch or after the stream died: the last good place, not nothing.
                await self._port_for(media_id).save_position(media_id, *kept)
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
            status = await self._port_for(media_id).stream_status(media_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the OSD can do without; playback goes on
            log.debug("stream status of %s failed: %s", media_id, exc)
            status = None
        paused_for_cache, cache_seconds = self._mpv_cache()
        self._set_stream(status, paused_for_cache, cache_seconds)
        self._check_stream(media_id, status)

    # -- stall recovery and dead streams ---------------------------------------------

    def _check_stream(self, media_id: int, status: StreamStatus | None) -> None:
        """Feed the stall detector; switch source when it says so, or stop on a stream
        that cannot go on (torrent removed, disk full)."""
        if (status is None or self._media_id != media_id or self._error
                or self._tasks.running("switch") or self._tasks.running("open")):
            return
        if status.error:
            self._stream_died(media_id, status.error)
            return
        d = self._state.duration or 0.0
        sample = StallSample(
            time=_loop_time(), download_rate=float(status.download_rate),
            peers=status.peers, waiting=self._buffering(),
            bitrate=status.size / d if d > 0 and status.size > 0 else 0.0,
            complete=status.size > 0 and status.downloaded >= status.size)
        decision = self._stall.feed(sample)
        if decision is not None:
            log.warning("media %s: the source %s (%d peers, %d B/s); switching",
                        media_id, decision.text, status.peers, status.download_rate)
            self._tasks.spawn("switch", self._switch(media_id, decision))

    def _place(self) -> float:
        """Where the viewer is: mpv's position, or the last good one while it has none."""
        if self._state.started or self._state.loading:
            return self._state.position
        return self._kept[0] if self._kept is not None else self._state.position

    def _stream_died(self, media_id: int, reason: str) -> None:
        place = self._place()
        log.warning("media %s: the stream stopped at %.0f s: %s", media_id, place, reason)
        if not self._state.paused and self._state.started:
            self._player.toggle_pause()  # hold the last frame instead of running to "EOF"
        self._give_up(media_id, f"{reason}\nYour place ({clock(place)}) is kept.")

    async def _switch(self, media_id: int, decision: SwitchDecision) -> None:
        place = self._place()
        # Opening the next source can take seconds (its peers, its metadata): say so.
        self._set_notice(f"The source {decision.text}: trying the next one…")
        try:
            target = await self._port_for(media_id).switch_source(media_id, place)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("switching the source of %s failed: %s", media_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            target = None
        if self._media_id != media_id:
            return  # the viewer left meanwhile
        if target is None:
            self._set_notice("")
            if not self._state.paused and self._state.started:
                self._player.toggle_pause()
            self._give_up(media_id, f"The stream {decision.text} and there is no other "
                          f"source to switch to.\nYour place ({clock(place)}) is kept.")
            return
        self._stall.reset()
        self._set_notice(f"Switched to {target.source_label or 'another source'}: "
                         f"the previous source {decision.text}")
        # The same title: the viewer's audio/subtitle choice, delay and files carry over.
        choice = self._player.track_choice()
        try:
            await self._player.load(target.url, start=place, title=target.title,
                                    keep=choice)
        except PlaybackError as exc:
            log.warning("loading the next source of %s failed: %s", media_id, exc)
            self._set_notice("")
            self._give_up(media_id, f"The stream {decision.text} and the next source "
                          f"could not be played.\nYour place ({clock(place)}) is kept.")
            return
        if choice.sub_files:
            self._tasks.spawn("sub-restore", self._restore_subtitles(media_id, choice))

    async def _restore_subtitles(self, media_id: int, choice: TrackChoice) -> None:
        """External subtitle files go back in once the new source's file is loaded."""
        try:
            await self._player.wait_for(lambda s: s.started or bool(s.error) or s.idle,
                                        timeout=60)
        except TimeoutError:
            return
        if self._media_id == media_id and self._player.state.started:
            await self._player.restore_subtitles(choice)

    def _give_up(self, media_id: int, message: str) -> None:
        """Show why the stream cannot go on, then leave for Details after a while."""
        self._set_error(message)
        self._tasks.spawn("leave", self._leave_later(media_id, message))

    async def _leave_later(self, media_id: int, message: str) -> None:
        await asyncio.sleep(self._leave_after)
        if self._media_id == media_id and self._error == message:
            self.leaveRequested.emit()

    def _set_notice(self, text: str) -> None:
        if text != self._notice:
            self._notice = text
            self.noticeChanged.emit()
        if text:
            self._tasks.spawn("notice", self._clear_notice(text))

    async def _clear_notice(self, text: str) -> None:
        await asyncio.sleep(self._notice_seconds)
        if self._notice == text:
            self._set_notice("")

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

    def _save_after(self, media_id: int, position: float, duration: float,
                    name: str) -> None:
        """Save as the next _save_task, once a running one (a periodic save) has
        finished: that older position must not land after, and over, this one."""
        previous = self._save_task

        async def save() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            await self._save(media_id, position, duration)

        self._save_task = asyncio.get_running_loop().create_task(save(), name=name)

    async def _save(self, media_id: int, position: float, duration: float) -> None:
        try:
            await self._port_for(media_id).save_position(media_id, position, duration)
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
        if state.started and state.duration and not state.loading:
            self._kept = (state.position, state.duration)
        if state.seeking and not was_seeking:
            self._seek_started = _loop_time()
            # Any seek (OSD, MPRIS, the Tracks panel): waiting for the new place is
            # expected, so the stall detector starts over with its grace period.
            self._stall.reset()
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
        self._autoplay_tick()

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

    # -- episodes: open, next-episode autoplay and prefetch ---------------------------

    def _port_for(self, media_id: int) -> PlayPort | EpisodePort:
        """Episodes (negative media ids) go to the episode port, films to the play port."""
        if episode_of(media_id) is not None and self._episodes is not None:
            return self._episodes
        return self._play

    def _next_visible(self) -> bool:
        media_id = self._media_id
        return (media_id is not None and episode_of(media_id) is not None
                and self._next is not None and self._next_left > 0)

    def _next_text(self) -> str:
        if self._next is None:
            return ""
        return f"Next: {self._next.label} — playing in {self._next_left} s"

    def _next_prefetched(self) -> bool:
        return self._next_prefetch == "done"

    nextVisible = Property(bool, _next_visible, notify=nextChanged)
    nextText = Property(str, _next_text, notify=nextChanged)
    nextCountdown = Property(int, lambda self: self._next_left, notify=nextChanged)
    nextPrefetched = Property(bool, _next_prefetched, notify=nextChanged)

    @Slot(int)
    @Slot(int, int)
    def openEpisode(self, episode_id: int, source_id: int = 0) -> None:
        """Play an episode (from source_id, 0: the best); near its end the next one
        is prefetched and offered with a countdown."""
        if self._episodes is None:
            self._set_error("Episodes cannot be played here.")
            return
        media_id = episode_media_id(episode_id)
        self._media_id = media_id
        self._set_title("")
        self._set_error("")
        self._seek_target = None
        self._stall.reset()
        self._kept = None
        self._set_notice("")
        self._reset_next()
        self._tasks.spawn("open", self._open_episode(episode_id, source_id or None))
        self._tasks.spawn("monitor", self._monitor(media_id))

    async def _open_episode(self, episode_id: int, source_id: int | None) -> None:
        assert self._episodes is not None
        self._set_opening(True)
        try:
            target = await self._episodes.open_episode(episode_id, source_id)
            self._set_title(target.title)
            await self._player.load(target.url, start=target.start_position,
                                    title=target.title)
        except Exception as exc:
            log.warning("opening episode %s failed: %s", episode_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "This episode could not be played."))
            return
        finally:
            self._set_opening(False)
        try:
            self._next = await self._episodes.next_episode(episode_id)
        except Exception as exc:  # no autoplay then; the episode itself plays on
            log.warning("next episode after %s unknown: %s", episode_id, exc)
        self.nextChanged.emit()

    def _reset_next(self) -> None:
        if self._tasks.running("next-countdown") and not self._autoplaying:
            self._tasks.spawn("next-countdown", _noop())
        self._next = None
        self._next_left = 0
        self._next_cancelled = False
        self._next_prefetch = ""
        self.nextChanged.emit()

    def _autoplay_tick(self) -> None:
        """On every player state: prefetch the next episode ~60 s before the end, and
        show the countdown in the last ~20 s (or at the end of the file)."""
        media_id, nxt, state = self._media_id, self._next, self._state
        if (media_id is None or episode_of(media_id) is None or nxt is None
                or self._error or not state.duration):
            return
        remaining = state.duration - state.position
        if not self._next_prefetch and (remaining <= self._prefetch_lead or state.eof):
            self._next_prefetch = "running"
            self._tasks.spawn("next-prefetch", self._prefetch_next(nxt))
        if (not self._next_cancelled and not self._tasks.running("next-countdown")
                and self._next_prefetch != "failed"  # it has no source: no autoplay
                and self._next_left == 0 and state.started
                and (remaining <= self._next_lead or state.eof)):
            self._tasks.spawn("next-countdown", self._count_down(media_id, nxt))

    async def _prefetch_next(self, nxt: EpisodeRef) -> None:
        assert self._episodes is not None
        ok = await self._episodes.prefetch_episode(nxt.id)
        if self._next is nxt:
            self._next_prefetch = "done" if ok else "failed"
            self.nextChanged.emit()

    async def _count_down(self, media_id: int, nxt: EpisodeRef) -> None:
        self._next_left = max(1, self._next_countdown)
        self.nextChanged.emit()
        while self._next_left > 1:
            await asyncio.sleep(1.0)
            if self._media_id != media_id or self._next is not nxt:
                self._next_left = 0  # the viewer left or another title opened
                self.nextChanged.emit()
                return
            self._next_left -= 1
            self.nextChanged.emit()
        await asyncio.sleep(1.0)
        if self._next_prefetch == "failed":
            # The prefetch found no source meanwhile: opening it would only end in
            # "No source found yet"; stay on this episode instead.
            self._next_left = 0
            self.nextChanged.emit()
            return
        if self._media_id == media_id and self._next is nxt and not self._next_cancelled:
            self._play_next(media_id, nxt)

    def _play_next(self, media_id: int, nxt: EpisodeRef) -> None:
        state = self._state
        if state.started and state.duration:
            # Going on to the next episode (in the credits, before the file ends) means
            # this one is finished: saved as watched, so its next open starts over.
            self._save_after(media_id, state.duration, state.duration, "player.save-ended")
        self._next_left = 0
        self._next = None  # the countdown task ends here; openEpisode must not cancel it
        log.info("autoplay: %s", nxt.label)
        self._autoplaying = True
        try:
            self.openEpisode(nxt.id)
        finally:
            self._autoplaying = False

    @Slot()
    def playNextNow(self) -> None:
        """OK on the overlay: skip the rest of the countdown."""
        media_id, nxt = self._media_id, self._next
        if media_id is not None and nxt is not None and self._next_left > 0:
            self._tasks.spawn("next-countdown", _noop())  # stops the running countdown
            self._play_next(media_id, nxt)

    @Slot()
    def cancelNext(self) -> None:
        """Back on the overlay: stay on this episode (no autoplay for it any more)."""
        self._next_cancelled = True
        self._next_left = 0
        if self._tasks.running("next-countdown"):
            self._tasks.spawn("next-countdown", _noop())
        self.nextChanged.emit()

    def _has_next(self) -> bool:
        media_id = self._media_id
        return media_id is not None and episode_of(media_id) is not None and (
            self._next is not None)

    # An episode with a known next one plays: Next (media keys, MPRIS) can go on to it.
    hasNext = Property(bool, _has_next, notify=nextChanged)

    @Slot()
    def playNext(self) -> None:
        """Next (media keys, MPRIS): the next episode now, countdown or not. In the
        countdown's stretch this one counts as watched, as with autoplay; earlier its
        place is saved, as on Back, so it resumes there."""
        media_id, nxt, state = self._media_id, self._next, self._state
        if media_id is None or nxt is None or episode_of(media_id) is None:
            return
        if self._tasks.running("next-countdown"):
            self._tasks.spawn("next-countdown", _noop())  # stops the running countdown
        remaining = (state.duration or 0.0) - state.position
        if not (state.started and state.duration) or state.eof or remaining <= self._next_lead:
            self._play_next(media_id, nxt)
            return
        self._save_after(media_id, state.position, state.duration, "player.save-next")
        log.info("next (skipping %.0f s): %s", remaining, nxt.label)
        self.openEpisode(nxt.id)

    async def aclose(self) -> None:
        self._unsubscribe()
        await self._subtitles.aclose()
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
