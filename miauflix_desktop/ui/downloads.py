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
from miauflix_desktop.core.season_downloads import SeasonDownloadItem, SeasonDownloadsPort
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


def season_row_of(item: SeasonDownloadItem) -> dict[str, object]:
    """A marked season as a row like a film's (the screen draws both alike)."""
    film_like = DownloadItem(0, item.title, item.state, item.size, item.downloaded,
                             item.download_rate, item.peers, item.eta_s, item.error)
    row = row_of(film_like)
    count = f"{item.episodes} episode{'s' if item.episodes != 1 else ''}"
    if item.missing:
        count += f", {item.missing} without a source yet"
    row["sizeText"] = f"{count} · {row['sizeText']}"
    row["canPlay"] = can_play(film_like)
    return row


class DownloadsViewModel(QObject):
    """The Downloads screen; see the module docstring."""

    activeChanged = Signal()
    noticeChanged = Signal()
    confirmChanged = Signal()
    # The navigator opens the player (media id, source id: the downloaded one).
    playRequested = Signal(int, int)
    # A season row: the navigator opens its Episodes screen (show id, season), where OK
    # plays an episode from the downloaded torrents.
    seasonRequested = Signal(int, int)

    def __init__(self, port: DownloadsPort, parent: QObject | None = None,
                 seasons: SeasonDownloadsPort | None = None) -> None:
        super().__init__(parent)
        self._port = port
        # Marked seasons, listed after the films (None: no season downloads wired).
        self._season_port = seasons
        self._seasons: list[SeasonDownloadItem] = []
        self._confirm_season: tuple[int, int] | None = None
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
            self._set_confirm_season(None)
        self.activeChanged.emit()

    def _get_notice(self) -> str:
        return self._notice

    def _get_confirm_title(self) -> str:
        item = self._find(self._confirm_id)
        if item is None and self._confirm_season is not None:
            season = self._find_season(self._confirm_season)
            return season.title if season is not None else ""
        return item.title if item is not None else ""

    rows = Property(QObject, _get_rows, constant=True)
    active = Property(bool, _get_active, _set_active, notify=activeChanged)
    notice = Property(str, _get_notice, notify=noticeChanged)
    confirming = Property(bool, lambda self: (self._confirm_id != 0
                                              or self._confirm_season is not None),
                          notify=confirmChanged)
    confirmTitle = Property(str, _get_confirm_title, notify=confirmChanged)

    @Slot()
    def refresh(self) -> None:
        if not self._tasks.running("refresh"):
            self._tasks.spawn("refresh", self._refresh())

    async def _refresh(self) -> None:
        try:
            items = await self._port.items()
            seasons = (await self._season_port.season_items()
                       if self._season_port is not None else [])
        except Exception as exc:
            log.warning("downloads refresh failed: %s", exc)
            self._set_notice(user_message(exc, "Downloads cannot be read right now."))
            return
        if ([i.media_id for i in items] == [i.media_id for i in self._items]
                and [_key(i) for i in seasons] == [_key(i) for i in self._seasons]):
            # Same titles: update in place so the focused row stays where it is.
            for n, item in enumerate(items):
                if item != self._items[n]:
                    self._rows.update_row(n, **row_of(item))
            for n, season in enumerate(seasons):
                if season != self._seasons[n]:
                    self._rows.update_row(len(items) + n, **season_row_of(season))
        else:
            self._rows.set_rows([row_of(i) for i in items]
                                + [season_row_of(i) for i in seasons])
        self._items = items
        self._seasons = seasons

    @Slot(int)
    def play(self, row: int) -> None:
        """OK on a row: play it if enough is on disk, retry a failed one, else say why."""
        if self._season_at(row) is not None:
            self._open_season(self._season_at(row))
            return
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
        """The row's Remove button (Right from the row, then OK): ask before deleting
        anything. (The Menu key opens the navigation menu, not this.)"""
        season = self._season_at(row)
        if season is not None:
            self._set_confirm(0)
            self._set_confirm_season(_key(season))
        elif 0 <= row < len(self._items):
            self._set_confirm(self._items[row].media_id)

    @Slot()
    def cancelRemove(self) -> None:
        self._set_confirm(0)
        self._set_confirm_season(None)

    @Slot()
    def confirmRemove(self) -> None:
        season = self._confirm_season
        if season is not None:
            self._set_confirm_season(None)
            self._tasks.spawn(f"remove-season-{season}", self._remove_season(season))
            return
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

    # -- seasons ----------------------------------------------------------------------

    def _season_at(self, row: int) -> SeasonDownloadItem | None:
        n = row - len(self._items)
        return self._seasons[n] if 0 <= n < len(self._seasons) else None

    def _find_season(self, key: tuple[int, int]) -> SeasonDownloadItem | None:
        return next((i for i in self._seasons if _key(i) == key), None)

    def _open_season(self, item: SeasonDownloadItem | None) -> None:
        """OK on a season row: its Episodes screen (a failed one is tried again)."""
        if item is None:
            return
        if item.state == FAILED:
            self._tasks.spawn(f"retry-season-{_key(item)}", self._retry_season(item))
            return
        self._set_notice("")
        self.seasonRequested.emit(item.show_id, item.season)

    async def _retry_season(self, item: SeasonDownloadItem) -> None:
        assert self._season_port is not None
        try:
            await self._season_port.mark_season(item.show_id, item.season)
        except Exception as exc:
            log.info("retrying season download %s: %s", _key(item), exc)
            self._set_notice(user_message(exc, f"“{item.title}” cannot be downloaded."))
            return
        self._set_notice(f"Trying “{item.title}” again.")
        await self._refresh()

    async def _remove_season(self, key: tuple[int, int]) -> None:
        assert self._season_port is not None
        title = (item.title if (item := self._find_season(key)) else "the season")
        try:
            await self._season_port.unmark_season(*key)
        except Exception as exc:
            log.warning("removing season download %s failed: %s", key, exc)
            self._set_notice(user_message(exc, f"“{title}” could not be removed."))
            return
        self._set_notice(f"Removed “{title}” and its downloaded data.")
        await self._refresh()

    def _set_confirm_season(self, key: tuple[int, int] | None) -> None:
        if key != self._confirm_season:
            self._confirm_season = key
            self.confirmChanged.emit()

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


def _key(item: SeasonDownloadItem) -> tuple[int, int]:
    return (item.show_id, item.season)
