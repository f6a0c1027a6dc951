"""SubtitlesViewModel: the Tracks panel's "Load subtitle file…" and "Search OpenSubtitles".

Owns the subtitle FileBrowser (starting at the video's folder when it is local, else
~/Downloads or $HOME) and the online search: results as rows (language, release,
downloads), OK downloads one into the cache and loads it into mpv. The online entry
exists only while the search port says a key is configured. Every failure becomes a
one-line `message`; nothing is lost and playback goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.subtitles import SubtitleResult, SubtitleSearchPort
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.playback.state import PlayerState
from miauflix_desktop.ui.file_browser import SUBTITLE_EXTENSIONS, FileBrowser, default_start
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {
    "en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "it": "Italiano",
    "pt": "Português", "pt-br": "Português (BR)", "nl": "Nederlands", "sv": "Svenska",
    "da": "Dansk", "no": "Norsk", "fi": "Suomi", "pl": "Polski", "cs": "Čeština",
    "ru": "Русский", "uk": "Українська", "tr": "Türkçe", "el": "Ελληνικά", "hu": "Magyar",
    "ro": "Română", "ja": "日本語", "ko": "한국어", "zh-cn": "中文 (简体)", "zh-tw": "中文 (繁體)",
    "ar": "العربية", "he": "עברית", "hi": "हिन्दी",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code or "?")


def _row(result: SubtitleResult) -> dict[str, object]:
    flags = [f for f, on in (("matches this file", result.hash_match),
                             ("hearing impaired", result.hearing_impaired),
                             ("machine translated", result.machine_translated)) if on]
    return {"language": language_name(result.language), "code": result.language,
            "release": result.release or result.file_name or f"#{result.file_id}",
            "downloads": f"{result.downloads:,} downloads".replace(",", " "),
            "flags": " · ".join(flags)}


class SubtitlesViewModel(QObject):
    messageChanged = Signal()
    onlineChanged = Signal()
    subtitleLoaded = Signal(str)  # the file name, once mpv has it

    def __init__(self, player: PlayerService, search: SubtitleSearchPort | None,
                 media_id: Callable[[], int | None], title: Callable[[], str] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player = player
        self._search = search
        self._media_id = media_id
        self._title = title or (lambda: player.title)
        self._files = FileBrowser(SUBTITLE_EXTENSIONS, self)
        self._files.fileChosen.connect(self.loadFile)
        self._results: list[SubtitleResult] = []
        self._busy = False
        self._status = ""
        self._message = ""
        self._url: str | None = None
        self._url_media: int | None = None  # the title playing when _url was loaded
        self._tasks = OwnedTasks("subtitles")
        self._unsubscribe = player.subscribe(self._on_state)

    # -- properties -----------------------------------------------------------------

    def _online_available(self) -> bool:
        try:
            return self._search is not None and self._search.available()
        except Exception:
            log.warning("subtitle search availability check failed", exc_info=True)
            return False

    files = Property(QObject, lambda self: self._files, constant=True)
    message = Property(str, lambda self: self._message, notify=messageChanged)
    onlineAvailable = Property(bool, _online_available, notify=onlineChanged)
    onlineBusy = Property(bool, lambda self: self._busy, notify=onlineChanged)
    onlineStatus = Property(str, lambda self: self._status, notify=onlineChanged)
    onlineResults = Property(list, lambda self: [_row(r) for r in self._results],
                             notify=onlineChanged)

    def use_search(self, search: SubtitleSearchPort | None) -> None:
        """Swap the search port (the container passes it at construction; tests swap)."""
        self._search = search
        self._results = []
        self._set_online(False, "")

    # -- local files ----------------------------------------------------------------

    @Slot()
    def browseFiles(self) -> None:
        """Open the file list where a subtitle file most likely is."""
        self._set_message("")
        self._files.openAt(str(default_start(self._player.state.url)))

    @Slot(str)
    def loadFile(self, path: str) -> None:
        self._tasks.spawn("load", self._load(Path(path)))

    async def _load(self, path: Path) -> None:
        if self._player.state.idle:
            self._set_message("Nothing is playing")
            return
        try:
            if path.stat().st_size > 10 * 1024 * 1024:
                raise MiauflixError("That file is too big to be subtitles")
            await self._player.add_subtitle(path)
        except (OSError, MiauflixError) as exc:
            log.warning("loading subtitles %s failed: %s", path, exc)
            reason = str(exc) if isinstance(exc, MiauflixError) else (exc.strerror or str(exc))
            self._set_message(f"Could not load {path.name}: {reason}")
            return
        self._set_message(f"Loaded {path.name}")
        self.subtitleLoaded.emit(path.name)

    # -- online search --------------------------------------------------------------

    @Slot()
    def searchOnline(self) -> None:
        if not self._online_available():
            return
        self._tasks.spawn("search", self._run_search())

    async def _run_search(self) -> None:
        assert self._search is not None
        media_id, state = self._media_id(), self._player.state
        self._results = []
        self._set_online(True, "Searching OpenSubtitles…")
        try:
            results = await self._search.search(media_id or 0, state.url, self._title())
        except (MiauflixError, ValueError) as exc:
            log.info("subtitle search failed: %s", exc)
            self._set_online(False, str(exc))
            return
        except Exception:
            log.exception("subtitle search failed")
            self._set_online(False, "The subtitle search failed")
            return
        self._results = results
        self._set_online(False, "" if results else "No subtitles found for this title")

    @Slot(int)
    def loadOnline(self, index: int) -> None:
        if not (0 <= index < len(self._results)) or self._search is None or self._busy:
            return
        self._tasks.spawn("download", self._download(self._results[index]))

    async def _download(self, result: SubtitleResult) -> None:
        assert self._search is not None
        self._set_online(True, f"Downloading {result.release or result.file_name}…")
        try:
            path = await self._search.download(result)
        except MiauflixError as exc:
            log.info("subtitle download failed: %s", exc)
            self._set_online(False, str(exc))
            return
        except Exception:
            log.exception("subtitle download failed")
            self._set_online(False, "The subtitle download failed")
            return
        self._set_online(False, "")
        await self._load(path)

    # -- state ----------------------------------------------------------------------

    def _on_state(self, state: PlayerState) -> None:
        if state.url != self._url:
            media_id = self._media_id()
            same_title = (state.url is not None and self._url is not None
                          and media_id is not None and media_id == self._url_media)
            self._url, self._url_media = state.url, media_id
            if same_title:
                return  # another source of the same title (a stall switch): still apply
            # Another film (or none): its results and messages do not apply any more.
            self._tasks.spawn("search", _noop())
            self._results = []
            self._set_online(False, "")
            self._set_message("")

    def _set_online(self, busy: bool, status: str) -> None:
        self._busy, self._status = busy, status
        self.onlineChanged.emit()

    def _set_message(self, value: str) -> None:
        if value != self._message:
            self._message = value
            self.messageChanged.emit()

    async def aclose(self) -> None:
        self._unsubscribe()
        await self._tasks.aclose()
        await self._files.aclose()  # a folder listing still running is cancelled


async def _noop() -> None:
    return None
