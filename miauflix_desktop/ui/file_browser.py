"""FileBrowser: a folder listing a remote can walk (folders first, then matching files).

Reusable by any screen that needs "open a file" with arrows/OK/Back only (subtitle files
in the player's Tracks panel, .torrent files on the Open torrent screen):
qml/Components/FileList.qml shows it. OK on a folder enters it, OK on a file emits
`fileChosen(path)`, Back goes up (`up()` returns False at the top, so the caller closes
the list). Hidden entries are left out; an unreadable folder keeps the listing it had
and says why in `error`.

Folders are read in a worker thread (`asyncio.to_thread`): the GUI thread also runs the
asyncio loop and the stream server (qasync), so a slow or huge folder (a network mount,
50,000 files) must not freeze playback or the remote. While a folder is read `loading`
is true and the list says "Loading…"; when it arrives `listed` tells the list which row
to focus (`focusRow`).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.media import size_text
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

SUBTITLE_EXTENSIONS = (".srt", ".ass", ".ssa", ".vtt")
TORRENT_EXTENSIONS = (".torrent",)
# A folder with more matching entries than this shows the first ones A to Z and says so:
# a ten-foot list is no place for 50,000 files, and the list model stays small.
MAX_ENTRIES = 2000
# Names read at most from one folder. heapq keeps only MAX_ENTRIES of them in memory,
# but reading millions of names from a network folder would still take minutes.
MAX_SCAN = 200_000


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    is_dir: bool
    size: int = 0


@dataclass(frozen=True)
class Listing:
    """One folder's rows: the first MAX_ENTRIES matches A to Z (folders first)."""

    folder: Path  # resolved
    entries: list[Entry]
    matched: int  # matching entries seen (can exceed len(entries))
    complete: bool  # every name was read (False: stopped at MAX_SCAN)

    @property
    def truncated(self) -> bool:
        return self.matched > len(self.entries) or not self.complete

    def note(self) -> str:
        """What the list says when it does not show everything, in true words."""
        shown = len(self.entries)
        if not self.complete:
            return (f"Showing the first {shown:,} entries (A to Z) of the {MAX_SCAN:,} "
                    "names read; this folder has more")
        if self.matched > shown:
            return f"Showing the first {shown:,} of {self.matched:,} entries (A to Z)"
        return ""


def list_dir(folder: Path, extensions: Sequence[str]) -> Listing:
    """Folders, then files ending in one of `extensions` (case-insensitive), each A to Z
    (case-insensitive), at most MAX_ENTRIES of them. Blocking; raises OSError."""
    exts = tuple(e.lower() for e in extensions)
    folder = folder.expanduser().resolve()
    matched = 0
    complete = True

    def matches(it: Iterator[os.DirEntry[str]]) -> Iterator[tuple[int, str, os.DirEntry[str]]]:
        nonlocal matched, complete
        for n, item in enumerate(it):
            if n >= MAX_SCAN:
                complete = False
                return
            if item.name.startswith("."):
                continue  # hidden files and folders, as file managers do
            try:
                if item.is_dir():
                    kind = 0
                elif item.name.lower().endswith(exts) and item.is_file():
                    kind = 1
                else:
                    continue
            except OSError:  # a broken symlink or a file removed meanwhile
                continue
            matched += 1
            yield kind, item.name.casefold(), item

    with os.scandir(folder) as it:
        # nsmallest keeps a heap of MAX_ENTRIES: memory stays flat whatever the folder
        # holds, and what is shown really is the first entries in list order.
        first = heapq.nsmallest(MAX_ENTRIES, matches(it), key=lambda m: (m[0], m[1]))
    entries: list[Entry] = []
    for kind, _key, item in first:
        if kind == 0:
            entries.append(Entry(item.name, Path(item.path), True))
            continue
        try:
            size = item.stat().st_size  # only for the rows shown
        except OSError:
            continue
        entries.append(Entry(item.name, Path(item.path), False, size))
    return Listing(folder, entries, matched, complete)


def default_start(video: str | None) -> Path:
    """The video's folder when it is a local file, else ~/Downloads, else $HOME."""
    if video:
        local = Path(video[7:]) if video.startswith("file://") else Path(video)
        if ("://" not in video or video.startswith("file://")) and local.parent.is_dir():
            return local.parent
    home = Path.home()
    downloads = home / "Downloads"
    return downloads if downloads.is_dir() else home


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


class FileBrowser(QObject):
    """One folder at a time; every listing is read off the GUI thread.

    ``back_returns``: Back returns through the folders visited (and answers False at the
    first one, so the screen is left) instead of going to the parent folder; the "‹
    Parent folder" row (`openParent`) still goes up, remembered like entering a folder.
    """

    pathChanged = Signal()  # a listing arrived: path, rows
    stateChanged = Signal()  # loading started or ended: note, emptyText
    errorChanged = Signal()
    listed = Signal()  # after pathChanged: focus `focusRow`
    fileChosen = Signal(str)

    def __init__(self, extensions: Sequence[str], parent: QObject | None = None, *,
                 back_returns: bool = False) -> None:
        super().__init__(parent)
        self._extensions = tuple(extensions)
        self._back_returns = back_returns
        self._folder: Path | None = None
        self._listing: Listing | None = None
        self._history: list[Path] = []
        self._loading = ""  # the folder being read, for "Loading Films…"
        self._focus_row = -1
        self._error = ""
        self._tasks = OwnedTasks("file-browser")

    # -- properties -----------------------------------------------------------------

    def _entries(self) -> list[Entry]:
        return self._listing.entries if self._listing is not None else []

    def _path(self) -> str:
        return str(self._folder) if self._folder is not None else ""

    def _rows(self) -> list[dict[str, object]]:
        return [{"name": e.name + ("/" if e.is_dir else ""), "path": str(e.path),
                 "isDir": e.is_dir, "detail": "" if e.is_dir else size_text(e.size) or "0 B"}
                for e in self._entries()]

    def _count(self) -> int:
        return len(self._entries())

    def _can_go_up(self) -> bool:
        return self._folder is not None and self._folder.parent != self._folder

    def _can_go_back(self) -> bool:
        return bool(self._history) if self._back_returns else self._can_go_up()

    def _get_error(self) -> str:
        return self._error

    def _empty_text(self) -> str:
        if self._loading:
            return "Loading…"
        if self._entries() or self._folder is None:
            return ""
        kinds = ", ".join(f"*{e}" for e in self._extensions)
        return f"No folders or {kinds} files here"

    def _note(self) -> str:
        if self._loading:
            return f"Loading {self._loading}…"
        return self._listing.note() if self._listing is not None else ""

    path = Property(str, _path, notify=pathChanged)
    entries = Property(list, _rows, notify=pathChanged)
    count = Property(int, _count, notify=pathChanged)
    canGoUp = Property(bool, _can_go_up, notify=pathChanged)
    canGoBack = Property(bool, _can_go_back, notify=pathChanged)
    focusRow = Property(int, lambda self: self._focus_row, notify=pathChanged)
    loading = Property(bool, lambda self: bool(self._loading), notify=stateChanged)
    emptyText = Property(str, _empty_text, notify=stateChanged)
    note = Property(str, _note, notify=stateChanged)
    error = Property(str, _get_error, notify=errorChanged)

    # -- commands -------------------------------------------------------------------

    @Slot(str)
    def openAt(self, folder: str) -> None:
        """Start over at `folder` (forgetting the folders visited); if it cannot be read
        and nothing is listed yet, $HOME instead, with the reason in `error`."""
        self.open_first([Path(folder)], fallback_quietly=False)

    def open_first(self, candidates: Sequence[Path], *, fallback_quietly: bool = True) -> None:
        """Start over at the first of `candidates` that can be read (then $HOME). With
        `fallback_quietly` a candidate that does not exist is no error (~/Downloads)."""
        self._history.clear()
        targets = [*candidates, Path.home()] if self._folder is None else list(candidates)
        self._load(targets, remember=False, focus=None, quiet=fallback_quietly)

    @Slot(str)
    def refresh(self, focus_path: str = "") -> None:
        """Read the current folder again (files may have been saved meanwhile); focus
        `focus_path`'s row afterwards, or the first row when it is gone or empty."""
        if self._folder is None or self._loading:
            return
        self._load([self._folder], remember=False,
                   focus=Path(focus_path) if focus_path else None, keep_up=not focus_path)

    @Slot(int)
    def activate(self, index: int) -> None:
        """OK on row `index`: enter a folder, or choose a file."""
        entries = self._entries()
        if self._loading or not 0 <= index < len(entries):
            return
        entry = entries[index]
        if entry.is_dir:
            self._load([entry.path], remember=True, focus=None)
        else:
            self.fileChosen.emit(str(entry.path))

    @Slot(result=bool)
    def openParent(self) -> bool:
        """The "‹ Parent folder" row: up one folder; False at the top."""
        if self._loading:
            self._stop_loading()
            return True
        if not self._can_go_up():
            return False
        assert self._folder is not None
        self._load([self._folder.parent], remember=self._back_returns, focus=self._folder)
        return True

    @Slot(result=bool)
    def up(self) -> bool:
        """Back: stop a folder being read, else the folder before (the parent, or the one
        visited before with ``back_returns``); False when there is none (close the list)."""
        if self._loading:
            self._stop_loading()
            return True
        if not self._back_returns:
            return self.openParent()
        if not self._history:
            return False
        self._load([self._history.pop()], remember=False, focus=self._folder)
        return True

    @Slot(str, result=int)
    def indexOf(self, path: str) -> int:
        """The row of `path` (-1 if absent)."""
        for i, e in enumerate(self._entries()):
            if str(e.path) == path:
                return i
        return -1

    async def aclose(self) -> None:
        await self._tasks.aclose()

    # -- listing --------------------------------------------------------------------

    def _load(self, targets: list[Path], *, remember: bool, focus: Path | None,
              quiet: bool = False, keep_up: bool = False) -> None:
        self._set_loading(targets[0].name or str(targets[0]))
        self._tasks.spawn("list", self._read(targets, remember, focus, quiet, keep_up))

    async def _read(self, targets: list[Path], remember: bool, focus: Path | None,
                    quiet: bool, keep_up: bool) -> None:
        first_error = ""
        listing: Listing | None = None
        for n, target in enumerate(targets):
            try:
                listing = await asyncio.to_thread(list_dir, target, self._extensions)
                break
            except OSError as exc:
                log.info("cannot list %s: %s", target, exc)
                if n == 0 and not (quiet and isinstance(exc, FileNotFoundError)):
                    first_error = f"Cannot open {target.name or target}: {_reason(exc)}"
        self._set_loading("")
        self._set_error(first_error)
        if listing is None:
            return  # unreadable: the listing we had stays
        if remember and self._folder is not None and self._folder != listing.folder:
            self._history.append(self._folder)
        self._folder = listing.folder
        self._listing = listing
        if focus is not None and (row := self.indexOf(str(focus))) >= 0:
            self._focus_row = row
        else:
            self._focus_row = -1 if keep_up or not listing.entries else 0
        self.pathChanged.emit()
        self.stateChanged.emit()
        self.listed.emit()

    def _stop_loading(self) -> None:
        self._tasks.spawn("list", _nothing())
        self._set_loading("")

    def _set_loading(self, name: str) -> None:
        if name != self._loading:
            self._loading = name
            self.stateChanged.emit()

    def _set_error(self, value: str) -> None:
        if value != self._error:
            self._error = value
            self.errorChanged.emit()


async def _nothing() -> None:
    """Replaces a listing in its task slot (spawn cancels the older task)."""
