"""SetupViewModel: the first-run screen (TMDB key checked against the API, language), or
skip to the demo library."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import SetupPort
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

    def __init__(self, setup: SetupPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._setup = setup
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
