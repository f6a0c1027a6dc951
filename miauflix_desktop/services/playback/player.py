"""PlayerService: one libmpv instance, its commands, and its state delivered onto asyncio.

mpv calls back on its own threads (the python-mpv event thread, the render thread's
update callback); this module is the one place where those calls cross into the asyncio
loop (loop.call_soon_threadsafe) and are folded into a PlayerState by the pure reducer.
No Qt here: the QML render item (ui/mpv_item.py) borrows `mpv` and reports the life of
its render context through render_context_created()/render_context_freed().
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from miauflix_desktop.core.errors import MissingDependencyError, PlaybackError
from miauflix_desktop.services.playback.state import (
    DurationChanged,
    EofReached,
    Failed,
    Loading,
    PauseChanged,
    PlaybackRestarted,
    PlayerEvent,
    PlayerState,
    PositionChanged,
    SeekStarted,
    Stopped,
    SubDelayChanged,
    SubScaleChanged,
    TracksChanged,
    parse_track_list,
    reduce,
)

if TYPE_CHECKING:
    import mpv as mpv_module

log = logging.getLogger(__name__)

Subscriber = Callable[[PlayerState], None]
SeekReference = Literal["absolute", "relative"]

# Streaming defaults. The stream is an HTTP URL backed by a torrent that is still
# downloading, so mpv should read ahead generously (the torrent reader turns reads into
# piece deadlines) but not hog memory, and seeks must land exactly where asked.
STREAMING_OPTIONS: dict[str, str] = {
    "cache": "yes",
    # Enough to ride out a slow peer for a while without holding a whole film in RAM.
    "demuxer-max-bytes": "150MiB",
    "demuxer-max-back-bytes": "50MiB",
    "demuxer-readahead-secs": "20",
    # Precise seeks: the UI seeks by ±10 s and resumes at a saved position.
    "hr-seek": "yes",
    # A torrent may take a while to deliver the first bytes of a far-away range.
    "network-timeout": "60",
    # Stay on the last frame at the end instead of unloading; the UI decides what's next.
    "keep-open": "yes",
    "idle": "yes",
    # The UI owns all input and on-screen display.
    "input-default-bindings": "no",
    "input-vo-keyboard": "no",
    "osc": "no",
    "osd-level": "0",
    "terminal": "no",
}


# Subtitle delay and size steps (the Tracks panel's −/+ entries).
SUB_DELAY_STEP = 0.1
SUB_SCALE_STEP = 0.1
SUB_SCALE_MIN = 0.5
SUB_SCALE_MAX = 2.5

# ISO 639-1 -> the ISO 639-2 codes containers use (B and T forms), for the common ones.
_ISO639_2: dict[str, tuple[str, ...]] = {
    "en": ("eng",), "de": ("deu", "ger"), "fr": ("fra", "fre"), "es": ("spa",),
    "it": ("ita",), "pt": ("por",), "nl": ("nld", "dut"), "sv": ("swe",), "da": ("dan",),
    "no": ("nor",), "nb": ("nob", "nor"), "fi": ("fin",), "pl": ("pol",), "cs": ("ces", "cze"),
    "ru": ("rus",), "uk": ("ukr",), "tr": ("tur",), "el": ("ell", "gre"), "hu": ("hun",),
    "ro": ("ron", "rum"), "ja": ("jpn",), "ko": ("kor",), "zh": ("zho", "chi"),
    "ar": ("ara",), "he": ("heb",), "hi": ("hin",),
}


@dataclass(frozen=True)
class TrackChoice:
    """The viewer's track choices of the current file, to carry over to the same title
    from another source (a stall switch): track ids differ between releases, so the
    audio and subtitle tracks are kept by language; external files by path."""

    audio_language: str = ""  # "" : the language preferences decide
    sub_language: str = ""  # an embedded subtitle track's language
    subs_off: bool = False
    sub_delay: float = 0.0
    sub_files: tuple[str, ...] = ()  # external files loaded, in order
    sub_file_selected: str = ""  # the external file shown, if one is


def language_codes(languages: Sequence[str]) -> list[str]:
    """["de", "en"] -> ["de", "deu", "ger", "en", "eng"]: every spelling mpv may meet."""
    out: list[str] = []
    for raw in languages:
        code = raw.strip().lower().replace("-", "_").split("_")[0]
        if not code:
            continue
        for form in (code, *_ISO639_2.get(code, ())):
            if form not in out:
                out.append(form)
    return out


def system_languages() -> list[str]:
    """The user's languages from the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG);
    empty for C/POSIX."""
    found: list[str] = []
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in os.environ.get(var, "").split(":"):
            code = part.split(".")[0].split("@")[0].split("_")[0].lower()
            if code and code not in ("c", "posix") and code not in found:
                found.append(code)
        if found:
            break
    return found


def _import_mpv() -> Any:
    """Import python-mpv lazily: it dlopens libmpv at import time and raises OSError without it."""
    try:
        import mpv
    except OSError as exc:
        raise MissingDependencyError("libmpv", "apt-get install libmpv2") from exc
    return mpv


def check_libmpv() -> None:
    """Raise MissingDependencyError naming the package when libmpv cannot be loaded."""
    _import_mpv()


class PlayerService:
    """Lifecycle service owning one mpv handle.

    vo="libmpv" renders through the render API into the QML item (loadfile then waits
    for the item's render context); vo="null" plays without any picture (tests, audio).

    preferred_audio / preferred_sub are language lists (ISO 639-1 or -2) in priority
    order; mpv applies them to every file it opens (its alang/slang) before the first
    frame. preferred_audio=None uses the system's languages; subtitles stay off unless a
    preferred_sub language is present (or the file flags a track as default/forced).
    """

    def __init__(
        self,
        vo: str = "libmpv",
        ao: str | None = None,
        hwdec: str = "auto-safe",
        options: dict[str, str] | None = None,
        render_context_timeout: float = 5.0,
        preferred_audio: Sequence[str] | None = None,
        preferred_sub: Sequence[str] = (),
    ) -> None:
        self._vo = vo
        self._ao = ao
        self._hwdec = hwdec
        languages: dict[str, str] = {}
        alang = language_codes(system_languages() if preferred_audio is None
                               else preferred_audio)
        slang = language_codes(preferred_sub)
        if alang:
            languages["alang"] = ",".join(alang)
        if slang:
            languages["slang"] = ",".join(slang)
        self._options = {**STREAMING_OPTIONS, **languages, **(options or {})}
        self._render_context_timeout = render_context_timeout
        self._mpv: mpv_module.MPV | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = PlayerState()
        self._subscribers: list[Subscriber] = []
        # Set by the render item (render thread) and read on the loop thread and at stop().
        self._render_lock = threading.Lock()
        self._render_live = False
        self._render_ready: asyncio.Event | None = None
        self._render_freed: asyncio.Event | None = None
        self._load_generation = 0
        self._loadfile_has_index = False
        # What is playing, for desktop integration (MPRIS metadata); set by load().
        self._title = ""
        # External subtitle files loaded into the current file, in order (track_choice).
        self._sub_files: list[str] = []

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if self._mpv is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._render_ready = asyncio.Event()
        self._render_freed = asyncio.Event()
        self._render_freed.set()
        mpv = _import_mpv()
        opts: dict[str, str] = {**self._options, "vo": self._vo, "hwdec": self._hwdec}
        if self._ao is not None:
            opts["ao"] = self._ao
        try:
            # Keyword names go through python-mpv's "_" -> "-" mapping, so pass them as is.
            player = mpv.MPV(log_handler=self._on_log, loglevel="warn", **opts)
        except OSError as exc:  # libmpv present but unusable (wrong soname, broken deps)
            raise MissingDependencyError("libmpv", "apt-get install libmpv2") from exc
        except Exception as exc:
            raise PlaybackError(f"mpv could not be initialised: {exc}") from exc
        for name in ("time-pos", "duration", "pause", "eof-reached", "track-list",
                     "sub-delay", "sub-scale"):
            player.observe_property(name, self._on_property)
        player.register_event_callback(self._on_event)
        self._loadfile_has_index = _mpv_version(player.mpv_version) >= (0, 38)
        self._mpv = player
        log.info("mpv %s started (vo=%s, ao=%s)", player.mpv_version, self._vo, self._ao)

    async def stop(self) -> None:
        player, self._mpv = self._mpv, None
        if player is None:
            return
        if self.render_context_live:
            # terminate() with a live render context makes libmpv abort the process; the
            # UI shell frees it on the render thread first, give it a moment to finish.
            assert self._render_freed is not None
            try:
                await asyncio.wait_for(self._render_freed.wait(), self._render_context_timeout)
            except TimeoutError:
                log.error("render context still alive at stop; leaking mpv to avoid an abort")
                return
        # terminate() joins mpv's event thread, which may be waiting on the network.
        await asyncio.get_running_loop().run_in_executor(None, player.terminate)
        self._set_state(reduce(self._state, Stopped()))
        log.info("mpv terminated")

    # -- render item coordination (any thread) ---------------------------------------

    @property
    def mpv(self) -> mpv_module.MPV:
        """The mpv handle, for the QML render item only."""
        if self._mpv is None:
            raise PlaybackError("the player is not started")
        return self._mpv

    @property
    def vo(self) -> str:
        return self._vo

    @property
    def needs_render_context(self) -> bool:
        return self._vo == "libmpv"

    @property
    def render_context_live(self) -> bool:
        with self._render_lock:
            return self._render_live

    def render_context_created(self) -> None:
        """Called by the render item (render thread) once mpv can draw into the scene."""
        with self._render_lock:
            self._render_live = True
        self._post(self._mark_render, True)

    def render_context_freed(self) -> None:
        """Called by the render item (render thread) after mpv_render_context_free()."""
        with self._render_lock:
            self._render_live = False
        self._post(self._mark_render, False)

    def _mark_render(self, live: bool) -> None:
        assert self._render_ready is not None and self._render_freed is not None
        if live:
            self._render_freed.clear()
            self._render_ready.set()
        else:
            self._render_ready.clear()
            self._render_freed.set()

    # -- commands (loop thread) ------------------------------------------------------

    @property
    def state(self) -> PlayerState:
        return self._state

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(state)` on the loop after every change; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    @property
    def title(self) -> str:
        """The title given to the last load() ("" when idle or not given)."""
        return self._title

    def track_choice(self) -> TrackChoice:
        """What the viewer chose for the current file (see TrackChoice)."""
        state = self._state
        audio, sub = state.selected("audio"), state.selected("sub")
        externals = [t for t in state.sub_tracks if t.external]
        shown = ""
        if sub is not None and sub.external and sub in externals:
            index = externals.index(sub)
            if index < len(self._sub_files):
                shown = self._sub_files[index]
        return TrackChoice(
            audio_language=audio.language if audio is not None else "",
            sub_language=sub.language if sub is not None and not sub.external else "",
            subs_off=sub is None, sub_delay=state.sub_delay,
            sub_files=tuple(self._sub_files), sub_file_selected=shown)

    async def load(self, url: str, start: float = 0.0, title: str = "",
                   keep: TrackChoice | None = None) -> None:
        """Start playing url at `start` seconds; returns once mpv accepted the command.

        ``keep``: the same title from another source; the audio and subtitle languages
        and the subtitle delay carry over (external files: ``restore_subtitles``).
        With the render API, loadfile before the render context exists makes mpv hit EOF
        at once ("No render context set"), so wait for the item first.
        """
        player = self.mpv
        self._load_generation += 1
        generation = self._load_generation
        self._title = title
        self._sub_files = []
        self._set_state(reduce(self._state, Loading(url=url, start=start)))
        if self.needs_render_context and not self.render_context_live:
            assert self._render_ready is not None
            log.debug("waiting for the render context before loadfile")
            await self._render_ready.wait()
        if generation != self._load_generation:
            return  # a newer load() or stop_playback() superseded this one
        player.pause = False
        # File-local options: a track picked in the Tracks panel (or a subtitle delay)
        # belongs to this file; the next one starts from the language preferences again.
        options = {"aid": "auto", "sid": "auto", "sub-delay": "0"}
        if keep is not None:
            options.update(_kept_options(keep))
        if start > 0:
            options["start"] = f"{start:.3f}"
        # mpv 0.38 added an index argument before the options.
        args = ("-1",) if self._loadfile_has_index else ()
        try:
            await self._command("loadfile", url, "replace", *args, _options(options))
        except Exception as exc:
            self._dispatch(Failed(f"Could not open the stream: {exc}"))
            raise PlaybackError(f"mpv could not load {url}: {exc}") from exc

    def toggle_pause(self) -> None:
        if self._mpv is not None:
            self._mpv.pause = not self._state.paused

    def set_pause(self, paused: bool) -> None:
        if self._mpv is not None:
            self._mpv.pause = paused

    async def seek(self, seconds: float, reference: SeekReference = "relative") -> None:
        if self._mpv is None or self._state.idle:
            return
        self._dispatch(SeekStarted())
        try:
            await self._command("seek", f"{seconds:.3f}", reference, "exact")
        except Exception as exc:
            # A seek past the end or before the file is loaded is not worth an error screen.
            log.warning("seek to %s (%s) failed: %s", seconds, reference, exc)

    # -- tracks and subtitles ---------------------------------------------------------

    async def set_audio(self, track_id: int) -> None:
        """Switch to audio track `track_id` (mpv's aid; Track.id of an audio track)."""
        await self._set_property("aid", str(int(track_id)))

    async def set_subtitle(self, track_id: int | None) -> None:
        """Show subtitle track `track_id` (mpv's sid), or none with None."""
        await self._set_property("sid", "no" if track_id is None else str(int(track_id)))

    async def adjust_sub_delay(self, delta: float = SUB_DELAY_STEP) -> None:
        """Move subtitles later (+) or earlier (−) by delta seconds."""
        if self._mpv is None:
            return
        try:
            await self._command("add", "sub-delay", f"{delta:.3f}")
        except Exception as exc:
            log.warning("sub-delay %+.3f failed: %s", delta, exc)

    async def adjust_sub_scale(self, delta: float = SUB_SCALE_STEP) -> None:
        """Make subtitles bigger (+) or smaller (−), kept within 0.5x..2.5x."""
        target = min(SUB_SCALE_MAX, max(SUB_SCALE_MIN, round(self._state.sub_scale + delta, 2)))
        await self._set_property("sub-scale", f"{target:.2f}")

    async def add_subtitle(self, path: str | Path) -> None:
        """Load an external subtitle file and show it."""
        if self._mpv is None or self._state.idle:
            return
        try:
            await self._command("sub-add", str(path), "select")
        except Exception as exc:
            raise PlaybackError(f"mpv could not load the subtitles {path}: {exc}") from exc
        self._sub_files.append(str(path))

    async def restore_subtitles(self, keep: TrackChoice) -> None:
        """Load ``keep``'s external subtitle files into the (started) current file; the
        one that was shown is shown again, unless subtitles were off."""
        if self._mpv is None or self._state.idle:
            return
        for path in keep.sub_files:
            flag = "select" if path == keep.sub_file_selected else "auto"
            try:
                await self._command("sub-add", path, flag)
            except Exception as exc:  # the file was moved meanwhile: the film plays on
                log.warning("could not load the subtitles %s again: %s", path, exc)
                continue
            self._sub_files.append(path)

    async def _set_property(self, name: str, value: str) -> None:
        if self._mpv is None:
            return
        try:
            await self._command("set", name, value)
        except Exception as exc:
            log.warning("setting %s=%s failed: %s", name, value, exc)

    async def stop_playback(self) -> None:
        """Stop the current file (keeps mpv alive for the next one)."""
        self._load_generation += 1
        self._title = ""
        self._sub_files = []
        if self._mpv is not None:
            try:
                await self._command("stop")
            except Exception as exc:
                log.warning("mpv stop failed: %s", exc)
        self._set_state(reduce(self._state, Stopped()))

    async def wait_for(
        self, predicate: Callable[[PlayerState], bool], timeout: float | None = None
    ) -> PlayerState:
        """Wait until the state satisfies predicate (or raise TimeoutError)."""
        if predicate(self._state):
            return self._state
        loop = asyncio.get_running_loop()
        done: asyncio.Future[PlayerState] = loop.create_future()

        def check(state: PlayerState) -> None:
            if not done.done() and predicate(state):
                done.set_result(state)

        unsubscribe = self.subscribe(check)
        try:
            return await asyncio.wait_for(done, timeout)
        finally:
            unsubscribe()

    # -- mpv threads -> loop ---------------------------------------------------------

    async def _command(self, name: str, *args: Any) -> Any:
        """Run an mpv command without blocking the loop (network loads can take a while)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()

        def done(error: Exception | None, result: Any) -> None:
            def settle() -> None:
                if fut.done():
                    return
                if error is not None:
                    fut.set_exception(error)
                else:
                    fut.set_result(result)

            self._post(settle)

        self.mpv.command_async(name, *args, callback=done)
        return await fut

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # RuntimeError: the loop closed between the check and the call (shutting down).
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(fn, *args)

    def _on_property(self, name: str, value: Any) -> None:
        event: PlayerEvent | None = None
        if name == "time-pos":
            if value is not None:
                event = PositionChanged(float(value))
        elif name == "duration":
            event = DurationChanged(float(value) if value is not None else None)
        elif name == "pause":
            event = PauseChanged(bool(value))
        elif name == "eof-reached":
            event = EofReached(bool(value))
        elif name == "track-list":
            event = TracksChanged(parse_track_list(value))
        elif name == "sub-delay" and value is not None:
            event = SubDelayChanged(float(value))
        elif name == "sub-scale" and value is not None:
            event = SubScaleChanged(float(value))
        if event is not None:
            self._post(self._dispatch, event)

    def _on_event(self, event: Any) -> None:
        import mpv  # already loaded: this runs on mpv's event thread

        eid = event.event_id.value
        if eid == mpv.MpvEventID.PLAYBACK_RESTART:
            self._post(self._dispatch, PlaybackRestarted())
        elif eid == mpv.MpvEventID.END_FILE:
            data = event.data
            if data is not None and data.reason == mpv.MpvEventEndFile.ERROR:
                message = _error_text(mpv, data.error)
                self._post(self._dispatch, Failed(f"Playback failed: {message}"))

    def _on_log(self, level: str, prefix: str, text: str) -> None:
        log.log(
            logging.ERROR if level in ("fatal", "error") else logging.WARNING,
            "mpv[%s] %s", prefix, text.rstrip(),
        )

    def _dispatch(self, event: PlayerEvent) -> None:
        self._set_state(reduce(self._state, event))

    def _set_state(self, state: PlayerState) -> None:
        if state == self._state:
            return
        self._state = state
        for callback in list(self._subscribers):
            try:
                callback(state)
            except Exception:
                log.exception("player state subscriber failed")


def _kept_options(keep: TrackChoice) -> dict[str, str]:
    """loadfile's file-local options for a TrackChoice (alang/slang override the
    preferences for this file only)."""
    out = {"sub-delay": f"{keep.sub_delay:.3f}"}
    if keep.audio_language.isalnum():
        out["alang"] = keep.audio_language
    if keep.subs_off:
        out["sid"] = "no"
    elif keep.sub_language.isalnum():
        out["slang"] = keep.sub_language
    return out


def _options(options: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())


def _mpv_version(text: str) -> tuple[int, int]:
    """"mpv 0.35.1" / "mpv v0.38.0-dirty" -> (0, 35); (0, 0) when it cannot be told."""
    match = re.search(r"(\d+)\.(\d+)", text or "")
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _error_text(mpv: Any, code: int) -> str:
    try:
        return str(mpv.ErrorCode.exception_for_ec(code)) or f"error {code}"
    except Exception:
        return f"error {code}"
