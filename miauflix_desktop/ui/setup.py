"""SetupViewModel: the first-run screen (TMDB key checked against the API, language), or
skip to the demo library; and the optional OpenSubtitles key (checked, stored, removed)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import SetupPort
from miauflix_desktop.core.subtitle_keys import SubtitleKeyPort
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

LANGUAGES = [("en-US", "English"), ("de-DE", "Deutsch"), ("fr-FR", "Français"),
             ("es-ES", "Español"), ("it-IT", "Italiano")]


class SetupViewModel(QObject):
    busyChanged = Signal()
    messageChanged = Signal()
    languageChanged = Signal()
    # The navigator listens and shows Home; the view model does not navigate.
    finished = Signal()
    subtitlesChanged = Signal()
    # A key was checked and stored: the view clears its field (the key is not kept on screen).
    subtitlesKeySaved = Signal()
    # The stored key is gone: the view puts focus back on the field (Remove disappears).
    subtitlesKeyRemoved = Signal()

    def __init__(self, setup: SetupPort, parent: QObject | None = None, *,
                 subtitles_key: SubtitleKeyPort | None = None) -> None:
        super().__init__(parent)
        self._setup = setup
        # The optional OpenSubtitles step: its own busy state and message, so it never
        # hides or replaces what the TMDB part says.
        self._subs = subtitles_key
        self._subs_stored: bool | None = None  # read from the store when first asked
        self._subs_busy = False
        self._subs_message = ""
        self._subs_is_error = False
        self._busy = False
        self._message = ""
        self._is_error = False
        self._language = LANGUAGES[0][0]
        self._tasks = OwnedTasks("setup")

    def needs_setup(self) -> bool:
        try:
            return bool(self._setup.needs_setup())
        except Exception:
            log.exception("needs_setup failed; showing Home")
            return False

    def _get_busy(self) -> bool:
        return self._busy

    def _get_message(self) -> str:
        return self._message

    def _get_is_error(self) -> bool:
        return self._is_error

    def _get_language(self) -> str:
        return self._language

    def _set_language(self, code: str) -> None:
        if code in dict(LANGUAGES) and code != self._language:
            self._language = code
            self.languageChanged.emit()

    def _languages(self) -> list[str]:
        return [code for code, _ in LANGUAGES]

    def _language_names(self) -> list[str]:
        return [name for _, name in LANGUAGES]

    busy = Property(bool, _get_busy, notify=busyChanged)
    message = Property(str, _get_message, notify=messageChanged)
    isError = Property(bool, _get_is_error, notify=messageChanged)
    language = Property(str, _get_language, _set_language, notify=languageChanged)
    languages = Property(list, _languages, constant=True)
    languageNames = Property(list, _language_names, constant=True)

    # -- the optional OpenSubtitles key ---------------------------------------------

    def _subs_has_key(self) -> bool:
        if self._subs is None:
            return False
        if self._subs_stored is None:
            try:
                self._subs_stored = bool(self._subs.has_key())
            except Exception:
                log.warning("reading the OpenSubtitles key failed", exc_info=True)
                self._subs_stored = False
        return self._subs_stored

    subtitlesAvailable = Property(bool, lambda self: self._subs is not None,
                                  notify=subtitlesChanged)
    subtitlesKeyStored = Property(bool, _subs_has_key, notify=subtitlesChanged)
    subtitlesBusy = Property(bool, lambda self: self._subs_busy, notify=subtitlesChanged)
    subtitlesMessage = Property(str, lambda self: self._subs_message, notify=subtitlesChanged)
    subtitlesIsError = Property(bool, lambda self: self._subs_is_error, notify=subtitlesChanged)

    def use_subtitles_key(self, port: SubtitleKeyPort | None) -> None:
        """Swap the key port (the container passes it at construction; tests swap)."""
        self._subs = port
        self._subs_stored = None
        self._set_subs(False, "", error=False)

    @Slot()
    def refreshSubtitlesKey(self) -> None:
        """Read the store again (the screen is shown; the CLI may have changed the key)."""
        if not self._subs_busy:
            self._subs_stored = None
            self.subtitlesChanged.emit()

    @Slot(str)
    def checkAndSaveSubtitlesKey(self, key: str) -> None:
        if self._subs is None or self._tasks.running("subtitles"):
            return
        key = key.strip()
        if not key:
            self._set_subs(False, "Enter an OpenSubtitles API key first, or leave this "
                                  "empty to go without online subtitles.", error=True)
            return
        # Busy at once (not when the task first runs): a second OK meanwhile is ignored.
        self._set_subs(True, "Checking the key with OpenSubtitles…", error=False)
        self._tasks.spawn("subtitles", self._check_and_save_subs(key))

    async def _check_and_save_subs(self, key: str) -> None:
        assert self._subs is not None
        try:
            await self._subs.check_key(key)
            await self._subs.save(key)
        except Exception as exc:
            log.warning("OpenSubtitles key not saved: %s", exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_subs(False, user_message(exc, "The key could not be checked."),
                           error=True)
            return
        self._subs_stored = True
        self._set_subs(False, "OpenSubtitles key saved: the player's Tracks panel now "
                              "offers “Search OpenSubtitles…”.", error=False)
        self.subtitlesKeySaved.emit()

    @Slot()
    def removeSubtitlesKey(self) -> None:
        if self._subs is not None and not self._tasks.running("subtitles"):
            self._set_subs(True, "", error=False)
            self._tasks.spawn("subtitles", self._remove_subs())

    async def _remove_subs(self) -> None:
        assert self._subs is not None
        try:
            await self._subs.remove()
        except Exception as exc:
            log.warning("removing the OpenSubtitles key failed: %s", exc, exc_info=True)
            self._set_subs(False, user_message(exc, "The key could not be removed."),
                           error=True)
            return
        self._subs_stored = False
        self._set_subs(False, "OpenSubtitles key removed: the Tracks panel no longer offers "
                              "online search.", error=False)
        self.subtitlesKeyRemoved.emit()

    def _set_subs(self, busy: bool, text: str, error: bool) -> None:
        self._subs_busy = busy
        self._subs_message = text
        self._subs_is_error = error
        self.subtitlesChanged.emit()

    @Slot(str)
    def checkAndSave(self, key: str) -> None:
        key = key.strip()
        if not key:
            self._set_message("Enter your TMDB API key first.", error=True)
            return
        if not self._tasks.running("save"):
            self._tasks.spawn("save", self._check_and_save(key, self._language))

    async def _check_and_save(self, key: str, language: str) -> None:
        self._set_busy(True)
        self._set_message("Checking the key with TMDB…", error=False)
        try:
            await self._setup.check_key(key)
            await self._setup.save(key, language)
            self._set_message("Saved.", error=False)
            self.finished.emit()
        except Exception as exc:
            log.warning("TMDB key check failed: %s", exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_message(user_message(exc, "The key could not be checked."), error=True)
        finally:
            self._set_busy(False)

    @Slot()
    def skip(self) -> None:
        if not self._tasks.running("save"):
            self._tasks.spawn("save", self._skip())

    async def _skip(self) -> None:
        self._set_busy(True)
        try:
            await self._setup.skip()
            self._set_message("", error=False)
            self.finished.emit()
        except Exception as exc:
            log.warning("skip failed: %s", exc, exc_info=not isinstance(exc, MiauflixError))
            self._set_message(user_message(exc, "The demo library could not be opened."),
                              error=True)
        finally:
            self._set_busy(False)

    def _set_busy(self, value: bool) -> None:
        if value != self._busy:
            self._busy = value
            self.busyChanged.emit()

    def _set_message(self, text: str, error: bool) -> None:
        self._message = text
        self._is_error = error
        self.messageChanged.emit()

    async def aclose(self) -> None:
        await self._tasks.aclose()
