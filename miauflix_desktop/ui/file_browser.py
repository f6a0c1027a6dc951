"""FileBrowser: a folder listing a remote can walk (folders first, then matching files).

Reusable by any screen that needs "open a file" with arrows/OK/Back only (subtitle files
in the player's Tracks panel, .torrent files elsewhere): qml/Components/FileList.qml
shows it. OK on a folder enters it, OK on a file emits `fileChosen(path)`, Back goes up
(`up()` returns False at the top, so the caller closes the list). Hidden entries are
left out; an unreadable folder keeps the listing it had and says why in `error`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Property, QObject, Signal, Slot

log = logging.getLogger(__name__)

SUBTITLE_EXTENSIONS = (".srt", ".ass", ".ssa", ".vtt")
TORRENT_EXTENSIONS = (".torrent",)
# A folder with more entries than this shows the first ones (sorted) and says so: a
# ten-foot list is no place for 50,000 files, and listing them would stall the UI.
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    is_dir: bool
    size: int = 0


def list_dir(folder: Path, extensions: Sequence[str]) -> tuple[list[Entry], bool]:
    """Folders, then files ending in one of `extensions` (case-insensitive), each sorted
    by name; and whether the listing was cut at MAX_ENTRIES. Raises OSError."""
    exts = tuple(e.lower() for e in extensions)
    dirs: list[Entry] = []
    files: list[Entry] = []
    truncated = False
    with os.scandir(folder) as it:
        for item in it:
            if item.name.startswith("."):
                continue
            if len(dirs) + len(files) >= MAX_ENTRIES:
                truncated = True
                break
            try:
                if item.is_dir():
                    dirs.append(Entry(item.name, Path(item.path), True))
                elif item.is_file() and item.name.lower().endswith(exts):
                    files.append(Entry(item.name, Path(item.path), False,
                                       item.stat().st_size))
            except OSError:  # a broken symlink or a file removed meanwhile
                continue
    dirs.sort(key=lambda e: e.name.casefold())
    files.sort(key=lambda e: e.name.casefold())
    return dirs + files, truncated


def default_start(video: str | None) -> Path:
    """The video's folder when it is a local file, else ~/Downloads, else $HOME."""
    if video:
        local = Path(video[7:]) if video.startswith("file://") else Path(video)
        if ("://" not in video or video.startswith("file://")) and local.parent.is_dir():
            return local.parent
    home = Path.home()
    downloads = home / "Downloads"
    return downloads if downloads.is_dir() else home


def _size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"


class FileBrowser(QObject):
    pathChanged = Signal()
    errorChanged = Signal()
    fileChosen = Signal(str)

    def __init__(self, extensions: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._extensions = tuple(extensions)
        self._folder: Path | None = None
        self._entries: list[Entry] = []
        self._truncated = False
        self._error = ""

    # -- properties -----------------------------------------------------------------

    def _path(self) -> str:
        return str(self._folder) if self._folder is not None else ""

    def _rows(self) -> list[dict[str, object]]:
        return [{"name": e.name + ("/" if e.is_dir else ""), "path": str(e.path),
                 "isDir": e.is_dir, "detail": "" if e.is_dir else _size_text(e.size)}
                for e in self._entries]

    def _count(self) -> int:
        return len(self._entries)

    def _can_go_up(self) -> bool:
        return self._folder is not None and self._folder.parent != self._folder

    def _get_error(self) -> str:
        return self._error

    def _empty_text(self) -> str:
        if self._entries or self._folder is None:
            return ""
        kinds = ", ".join(f"*{e}" for e in self._extensions)
        return f"No folders or {kinds} files here"

    def _note(self) -> str:
        return f"Showing the first {MAX_ENTRIES} entries" if self._truncated else ""

    path = Property(str, _path, notify=pathChanged)
    entries = Property(list, _rows, notify=pathChanged)
    count = Property(int, _count, notify=pathChanged)
    canGoUp = Property(bool, _can_go_up, notify=pathChanged)
    emptyText = Property(str, _empty_text, notify=pathChanged)
    note = Property(str, _note, notify=pathChanged)
    error = Property(str, _get_error, notify=errorChanged)

    # -- commands -------------------------------------------------------------------

    @Slot(str, result=bool)
    def openAt(self, folder: str) -> bool:
        """List `folder`; on failure keep the current listing (or fall back to $HOME)."""
        target = Path(folder).expanduser()
        try:
            entries, truncated = list_dir(target, self._extensions)
        except OSError as exc:
            log.info("cannot list %s: %s", target, exc)
            reason = exc.strerror or type(exc).__name__
            if self._folder is None and target != Path.home():
                self.openAt(str(Path.home()))
            self._set_error(f"Cannot open {target.name or target}: {reason}")
            return False
        self._folder = target.resolve()
        self._entries = entries
        self._truncated = truncated
        self._set_error("")
        self.pathChanged.emit()
        return True

    @Slot(int)
    def activate(self, index: int) -> None:
        """OK on row `index`: enter a folder, or choose a file."""
        if not 0 <= index < len(self._entries):
            return
        entry = self._entries[index]
        if entry.is_dir:
            self.openAt(str(entry.path))
        else:
            self.fileChosen.emit(str(entry.path))

    @Slot(result=bool)
    def up(self) -> bool:
        """Back: the parent folder; False at the top (the caller closes the list)."""
        if not self._can_go_up():
            return False
        assert self._folder is not None
        return self.openAt(str(self._folder.parent)) or True

    @Slot(str, result=int)
    def indexOf(self, path: str) -> int:
        """The row of `path` (-1 if absent): after Back, focus the folder we came from."""
        for i, e in enumerate(self._entries):
            if str(e.path) == path:
                return i
        return -1

    def _set_error(self, value: str) -> None:
        if value != self._error:
            self._error = value
            self.errorChanged.emit()
