"""DownloadsViewModel (the Downloads screen) and DownloadAction (Details' Download button).

The screen lists every title marked "download for later" with its progress, refreshed
once a second only while it is visible. OK plays a finished title (or one far enough
along to stream the rest) and retries a failed one; Remove asks first, because it
deletes gigabytes.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from miauflix_desktop.core.downloads import (
    DONE,
    DOWNLOADING,
    FAILED,
    PAUSED,
    QUEUED,
    DownloadItem,
    DownloadsPort,
)
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.list_models import RowListModel
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

REFRESH_MS = 1000
# Enough on disk to start watching while the rest downloads (the stream fetches ahead).
PLAYABLE_FRACTION = 0.05
STATE_TEXT = {QUEUED: "Queued", DOWNLOADING: "Downloading", DONE: "Downloaded",
              FAILED: "Failed", PAUSED: "Paused"}
ROLES = ["mediaId", "title", "state", "stateText", "fraction", "percentText", "sizeText",
         "speedText", "error", "canPlay"]


def bytes_text(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 1024**2:
        mb = n / 1024**2
        return f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f} MB"
    return f"{n / 1024:.0f} KB"


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min left"
    if s >= 60:
        return f"{s // 60} min left"
    return f"{s} s left"


def can_play(item: DownloadItem) -> bool:
    return item.state == DONE or (item.state != FAILED and item.fraction >= PLAYABLE_FRACTION)


def row_of(item: DownloadItem) -> dict[str, object]:
    size = bytes_text(item.size) if item.size else "size unknown"
    # "0.9 GB of 2.1 GB": the part in the unit of the whole, so the two compare at a glance.
    done = (f"{item.downloaded / 1024**3:.1f} GB" if item.size >= 1024**3
            else bytes_text(item.downloaded))
    size_text = size if item.state == DONE else f"{done} of {size}"
    speed = ""
    if item.state == DOWNLOADING:
        parts = [f"{bytes_text(item.download_rate)}/s",
                 f"{item.peers} peer{'s' if item.peers != 1 else ''}", eta_text(item.eta_s)]
        speed = " · ".join(p for p in parts if p)
    return {"mediaId": item.media_id, "title": item.title, "state": item.state,
            "stateText": STATE_TEXT.get(item.state, item.state), "fraction": item.fraction,
            "percentText": f"{item.fraction * 100:.0f} %", "sizeText": size_text,
            "speedText": speed, "error": item.error, "canPlay": can_play(item)}


class DownloadsViewModel(QObject):
    """The Downloads screen; see the module docstring."""

    activeChanged = Signal()
    noticeChanged = Signal()
    confirmChanged = Signal()
    # The navigator opens the player (media id, source id: the downloaded one).
    playRequested = Signal(int, int)

    def __init__(self, port: DownloadsPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._port = port
        self._rows = RowListModel(ROLES, self)
        self._items: list[DownloadItem] = []
        self._active = False
        self._notice = ""
        self._confirm_id = 0  # media id whose removal waits for a yes (0 = none)
        self._tasks = OwnedTasks("downloads")
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def _get_rows(self) -> RowListModel:
        return self._rows

    def _get_active(self) -> bool:
        return self._active

    def _set_active(self, value: bool) -> None:
        """The screen is visible: poll once a second; hidden: stop."""
        if value == self._active:
            return
        self._active = value
        if value:
            self.refresh()
            self._timer.start()
        else:
            self._timer.stop()
            self._set_confirm(0)
        self.activeChanged.emit()

    def _get_notice(self) -> str:
        return self._notice

    def _get_confirm_title(self) -> str:
        item = self._find(self._confirm_id)
        return item.title if item is not None else ""

    rows = Property(QObject, _get_rows, constant=True)
    active = Property(bool, _get_active, _set_active, notify=activeChanged)
    notice = Property(str, _get_notice, notify=noticeChanged)
    confirming = Property(bool, lambda self: self._confirm_id != 0, notify=confirmChanged)
    confirmTitle = Property(str, _get_confirm_title, notify=confirmChanged)

    @Slot()
    def refresh(self) -> None:
        if not self._tasks.running("refresh"):
            self._tasks.spawn("refresh", self._refresh())

    async def _refresh(self) -> None:
        try:
            items = await self._port.items()
        except Exception as exc:
            log.warning("downloads refresh failed: %s", exc)
            self._set_notice(user_message(exc, "Downloads cannot be read right now."))
            return
        if [i.media_id for i in items] == [i.media_id for i in self._items]:
            # Same titles: update in place so the focused row stays where it is.
            for n, item in enumerate(items):
                if item != self._items[n]:
                    self._rows.update_row(n, **row_of(item))
        else:
            self._rows.set_rows([row_of(i) for i in items])
        self._items = items

    @Slot(int)
    def play(self, row: int) -> None:
        """OK on a row: play it if enough is on disk, retry a failed one, else say why."""
        if not 0 <= row < len(self._items):
            return
        item = self._items[row]
        if item.state == FAILED:
            self._tasks.spawn(f"retry-{item.media_id}", self._retry(item))
            return
        if not can_play(item):
            self._set_notice(f"“{item.title}” is not far enough along to play yet.")
            return
        self._set_notice("")
        self.playRequested.emit(item.media_id, item.source_id or 0)

    @Slot(int)
    def askRemove(self, row: int) -> None:
        """Remove (Menu key or the button): ask before deleting anything."""
        if 0 <= row < len(self._items):
            self._set_confirm(self._items[row].media_id)

    @Slot()
    def cancelRemove(self) -> None:
        self._set_confirm(0)

    @Slot()
    def confirmRemove(self) -> None:
        media_id = self._confirm_id
        if media_id:
            self._set_confirm(0)
            self._tasks.spawn(f"remove-{media_id}", self._remove(media_id))

    async def _retry(self, item: DownloadItem) -> None:
        try:
            await self._port.mark(item.media_id)
        except Exception as exc:
            log.info("retrying download %s: %s", item.media_id, exc)
            self._set_notice(user_message(exc, f"“{item.title}” cannot be downloaded."))
            return
        self._set_notice(f"Trying “{item.title}” again.")
        await self._refresh()

    async def _remove(self, media_id: int) -> None:
        title = (item.title if (item := self._find(media_id)) else "the title")
        try:
            await self._port.unmark(media_id)
        except Exception as exc:
            log.warning("removing download %s failed: %s", media_id, exc)
            self._set_notice(user_message(exc, f"“{title}” could not be removed."))
            return
        self._set_notice(f"Removed “{title}” and its downloaded data.")
        await self._refresh()

    def _find(self, media_id: int) -> DownloadItem | None:
        return next((i for i in self._items if i.media_id == media_id), None)

    def _set_notice(self, text: str) -> None:
        if text != self._notice:
            self._notice = text
            self.noticeChanged.emit()

    def _set_confirm(self, media_id: int) -> None:
        if media_id != self._confirm_id:
            self._confirm_id = media_id
            self.confirmChanged.emit()

    async def aclose(self) -> None:
        self._timer.stop()
        await self._tasks.aclose()


class DownloadAction(QObject):
    """Details' "Download" / "Remove download" button for the title on screen (films)."""

    changed = Signal()

    def __init__(self, port: DownloadsPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._port = port
        self._media_id = 0
        self._available = False
        self._busy = False
        self._confirm = False
        self._notice = ""
        self._tasks = OwnedTasks("download-action")

    def load(self, media_id: int, available: bool) -> None:
        """A new title on Details; ``available`` = a film (series have no sources yet)."""
        self._media_id, self._available = media_id, available
        self._confirm, self._notice, self._busy = False, "", False
        self.changed.emit()

    def _marked(self) -> bool:
        return self._available and self._port.is_marked(self._media_id)

    def _text(self) -> str:
        if self._busy:
            return "Checking…"
        if not self._marked():
            return "Download"
        return "Press OK again to delete it" if self._confirm else "Remove download"

    available = Property(bool, lambda self: self._available, notify=changed)
    marked = Property(bool, _marked, notify=changed)
    text = Property(str, _text, notify=changed)
    notice = Property(str, lambda self: self._notice, notify=changed)

    @Slot()
    def toggle(self) -> None:
        if not self._available or self._busy or not self._media_id:
            return
        if self._marked() and not self._confirm:
            # Deleting gigabytes takes a second, deliberate press.
            self._confirm = True
            self._notice = "This deletes the downloaded file."
            self.changed.emit()
            return
        self._busy = True
        self.changed.emit()
        self._tasks.spawn("toggle", self._toggle(self._media_id, self._marked()))

    @Slot()
    def cancel(self) -> None:
        """Focus left the button: a half-given confirmation does not linger."""
        if self._confirm:
            self._confirm, self._notice = False, ""
            self.changed.emit()

    async def _toggle(self, media_id: int, remove: bool) -> None:
        try:
            if remove:
                await self._port.unmark(media_id)
                notice = "Download removed."
            else:
                await self._port.mark(media_id)
                notice = "Downloading in the background — see Downloads in the Menu."
        except Exception as exc:
            log.info("download toggle of %s: %s", media_id, exc)
            notice = user_message(exc, "The download could not be changed.")
        if media_id == self._media_id:
            self._busy, self._confirm, self._notice = False, False, notice
            self.changed.emit()

    async def aclose(self) -> None:
        await self._tasks.aclose()
