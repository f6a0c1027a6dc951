"""AddTorrentViewModel: the "Open torrent" screen — a magnet link typed (on-screen or real
keyboard) or pasted, or a .torrent file picked from a remote-friendly folder list (a
``FileBrowser``, read off the GUI thread), added through the ``AdhocPort`` with a progress
line, then handed to Details."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Property, QObject, QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication

from miauflix_desktop.core.adhoc import (
    DEFAULT_METADATA_TIMEOUT_S,
    REASON_BAD_MAGNET,
    REASON_DIRECTORY,
    REASON_GONE,
    REASON_NO_FILE,
    REASON_UNREADABLE,
    AdhocError,
    AdhocFilm,
    AdhocPort,
    AdhocRequest,
    MetadataTimeout,
    RejectReason,
    TorrentLimits,
)
from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import size_text
from miauflix_desktop.ui.file_browser import TORRENT_EXTENSIONS, FileBrowser
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

# A magnet with a few dozen trackers is a few kB; anything far longer is not one.
MAX_TEXT = 8192

FETCHING = "Fetching the torrent's details from peers…"
OFFLINE = ("Offline mode: the torrent engine talks only to this computer (no TMDB key was "
           "set when Miauflix started), so internet torrents cannot be fetched. Set a key "
           "in Menu → TMDB key & language, then restart.")

# What the on-screen keyboard can type (a-z, 0-9) is enough for an info hash: the screen
# turns a bare hash into a magnet link, so a remote user need not type "magnet:?xt=…".
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")


def start_folders() -> list[Path]:
    """Where the list starts: ~/Downloads (where browsers save .torrent files), else
    $HOME. Only paths: the browser reads them in its worker thread."""
    home = Path.home()
    return [home / "Downloads", home]


def _duration_text(seconds: float) -> str:
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} s"


class AddTorrentViewModel(QObject):
    """The Open torrent screen's state; the navigator opens Details on ``titleReady``.

    Why Details and not Play at once: Popcorn Time plays a dropped torrent straight away,
    Stremio first shows the title's page. We show Details because it costs no time (it
    prepares the stream — peers, first piece — while the viewer reads), it shows what
    the torrent turned out to be (the title cleaned from its name, the chosen file), and
    it offers "Resume from" when the same torrent is opened again; OK on Play follows.
    """

    textChanged = Signal()
    stateChanged = Signal()
    # The added torrent's film row (a Movie with one "adhoc" MovieSource): open Details.
    titleReady = Signal(int)

    def __init__(self, adhoc: AdhocPort, *, peers: Sequence[tuple[str, int]] = (),
                 timeout_s: float = DEFAULT_METADATA_TIMEOUT_S,
                 folder: Path | None = None, limits: TorrentLimits | None = None,
                 offline: bool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._adhoc = adhoc
        # Peer hints for torrents added here (tests: a loopback seeder); the app passes
        # none and relies on the magnet's trackers and DHT like any client.
        self._peers = tuple(peers)
        self._timeout = timeout_s
        self._limits = limits or TorrentLimits()
        # Without a TMDB key the engine stays on loopback: a magnet from the internet
        # can only time out, so the screen says why up front and in the timeout message.
        self._offline = adhoc.offline if offline is None else offline
        self._text = ""
        self._busy = False
        self._message = ""
        self._error = False
        # Nothing is read here (this runs while the window is built): the list reads its
        # first folder when the screen is first shown, in the browser's worker thread.
        self._start_folders = [folder] if folder is not None else start_folders()
        # Back returns through the folders visited, so Back after entering a folder goes
        # up, and at the start folder it leaves the screen.
        self._files = FileBrowser(TORRENT_EXTENSIONS, self, back_returns=True)
        self._files.fileChosen.connect(self._start)
        self._files.pathChanged.connect(self._folder_changed)
        self._shown_path = ""
        self._opened = False
        self._tasks = OwnedTasks("add-torrent")

    # -- properties -------------------------------------------------------------------

    def _get_text(self) -> str:
        return self._text

    def _set_text(self, value: str) -> None:
        value = value[:MAX_TEXT]
        if value != self._text:
            self._text = value
            self.textChanged.emit()

    text = Property(str, _get_text, _set_text, notify=textChanged)
    busy = Property(bool, lambda self: self._busy, notify=stateChanged)
    message = Property(str, lambda self: self._message, notify=stateChanged)
    error = Property(bool, lambda self: self._error, notify=stateChanged)
    files = Property(QObject, lambda self: self._files, constant=True)
    offlineNote = Property(str, lambda self: OFFLINE if self._offline else "", constant=True)

    # -- the magnet field -------------------------------------------------------------

    @Slot(str)
    def typeText(self, text: str) -> None:
        # Only printable text: control characters from odd key events must not get in.
        clean = "".join(c for c in text if c.isprintable())
        if clean:
            self._set_text(self._text + clean)

    @Slot()
    def backspace(self) -> None:
        self._set_text(self._text[:-1])

    @Slot()
    def clear(self) -> None:
        self._set_text("")

    @Slot()
    def paste(self) -> None:
        """Put the clipboard's text in the field and open it (a remote user who presses
        Paste wants the link opened, not one more button to find)."""
        clipboard = QGuiApplication.clipboard()
        text = (clipboard.text() if clipboard is not None else "").strip()
        if not text:
            self._show("The clipboard is empty: copy a magnet link first.", error=True)
            return
        # Several lines (a copied list): the first one that looks usable.
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        chosen = next((line for line in lines
                       if line.lower().startswith(("magnet:", "file://"))), lines[0])
        self._set_text(chosen)
        self.submit()

    @Slot()
    def submit(self) -> None:
        """Open what the field holds: a magnet link, a bare info hash, or a file path."""
        text = self._text.strip()
        if not text:
            self._show("Type or paste a magnet link first, or pick a .torrent file.",
                       error=True)
            return
        if _HEX40.fullmatch(text) or _BASE32.fullmatch(text):
            text = "magnet:?xt=urn:btih:" + text
        elif text.lower().startswith("file://"):
            text = QUrl(text).toLocalFile()
        elif text.lower().startswith(("http://", "https://")):
            self._show("Web links are not opened here: paste the magnet link, or save the "
                       ".torrent file and pick it from the list.", error=True)
            return
        self._start(text)

    # -- the folder list --------------------------------------------------------------

    @Slot(str)
    def refresh(self, focus_path: str = "") -> None:
        """The screen is shown: list the start folder the first time, afterwards read
        the current folder again (a .torrent may have been saved meanwhile)."""
        if not self._opened:
            self._opened = True
            self._files.open_first(self._start_folders)
        else:
            self._files.refresh(focus_path)

    @Slot()
    def _folder_changed(self) -> None:
        # Another folder: a message about a file elsewhere ("not a usable .torrent") no
        # longer applies. Reading the same folder again (screen shown) keeps it.
        path = self._files.property("path")
        if path != self._shown_path:
            self._shown_path = path
            if not self._busy:
                self._show("", error=False)

    @Slot()
    def cancel(self) -> None:
        """The viewer left the screen: stop fetching (the torrent and its rows go)."""
        if self._tasks.running("add"):
            self._tasks.spawn("add", _nothing())
            self._set_busy(False)
            self._show("Cancelled.", error=False)

    # -- adding -----------------------------------------------------------------------

    @Slot(str)
    def _start(self, argument: str) -> None:
        self._set_busy(True)
        self._show("Checking…", error=False)
        self._tasks.spawn("add", self._add(argument))

    async def _add(self, argument: str) -> None:
        try:
            # parse_item reads a .torrent file: off the GUI thread.
            item = await asyncio.to_thread(self._adhoc.parse, argument, self._limits)
            film = await self._fetch(item)
        except AdhocError as exc:
            log.info("open torrent %.80r refused: %s", argument, exc)
            self._fail(self._describe(exc))
            return
        except MetadataTimeout as exc:
            log.info("open torrent %.80r: %s", argument, exc)
            why = (OFFLINE if self._offline
                   else "It may have no seeders right now; try again later.")
            self._fail(f"No peer sent the torrent's details within "
                       f"{_duration_text(self._timeout)}. {why}")
            return
        except Exception as exc:
            log.warning("open torrent %.80r failed: %s", argument, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._fail(user_message(exc, "That torrent could not be opened."))
            return
        log.info("opened torrent %s as film %d (%s)", film.info_hash, film.movie_id,
                 film.title)
        self._set_text("")
        self._set_busy(False)
        self._show(f"Added “{film.title}”.", error=False)
        self.titleReady.emit(film.movie_id)

    async def _fetch(self, item: AdhocRequest) -> AdhocFilm:
        if item.torrent is not None:
            # A .torrent file has its metadata: adding is a database write and an
            # engine call, no peers involved.
            self._show(f"Opening “{item.name or item.argument}”…", error=False)
            return await self._adhoc.add(item, self._peers, self._timeout)
        add = asyncio.ensure_future(self._adhoc.add(item, self._peers, self._timeout))
        started = asyncio.get_running_loop().time()
        try:
            while not add.done():
                waited = asyncio.get_running_loop().time() - started
                # After a few seconds the count shows it is still trying, not stuck.
                self._show(FETCHING if waited < 3 else f"{FETCHING} {waited:.0f} s",
                           error=False)
                await asyncio.wait({add}, timeout=1.0)
            return add.result()
        finally:
            if not add.done():
                add.cancel()
                await asyncio.gather(add, return_exceptions=True)

    def _describe(self, exc: AdhocError) -> str:
        reason = exc.reason
        if reason == REASON_BAD_MAGNET:
            return f"That magnet link cannot be used: {exc.detail}."
        if reason == REASON_NO_FILE:
            return ("That is neither a magnet link (it starts with “magnet:?”), an info "
                    "hash, nor a .torrent file that exists.")
        if reason == REASON_DIRECTORY:
            return "That is a folder, not a .torrent file."
        if reason == REASON_UNREADABLE:
            return f"That file cannot be read: {exc.detail}."
        if reason == REASON_GONE:
            return "The title was removed while its details arrived; try again."
        if reason == RejectReason.TOO_LARGE:
            return (f"That .torrent is too large (over "
                    f"{size_text(self._limits.max_metadata_bytes)}): not a usable torrent.")
        if reason == RejectReason.TOO_BIG:
            return "That torrent's files are too big to stream here."
        if reason == RejectReason.TOO_MANY_FILES:
            return f"That torrent has too many files (over {self._limits.max_files:,})."
        if reason == RejectReason.NO_VIDEO:
            return "That torrent has no video file to play."
        if reason in (RejectReason.BAD_NAME, RejectReason.UNSAFE_PATH):
            return "That torrent has unsafe or unreadable file names; it was not opened."
        return "That file is not a usable .torrent: it is damaged or not a torrent file."

    def _fail(self, text: str) -> None:
        self._set_busy(False)
        self._show(text, error=True)

    def _show(self, text: str, *, error: bool) -> None:
        if text != self._message or error != self._error:
            self._message = text
            self._error = error
            self.stateChanged.emit()

    def _set_busy(self, value: bool) -> None:
        if value != self._busy:
            self._busy = value
            self.stateChanged.emit()

    async def aclose(self) -> None:
        await self._files.aclose()
        await self._tasks.aclose()


async def _nothing() -> None:
    """Replaces a running add in its task slot (spawn cancels the older task)."""
