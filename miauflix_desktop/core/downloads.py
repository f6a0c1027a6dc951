"""What the Downloads screen and the Details "Download" action need: rows and a port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from miauflix_desktop.core.errors import MiauflixError

# Row states, also what the screen shows (and colours) them as.
QUEUED, DOWNLOADING, DONE, FAILED, PAUSED = "queued", "downloading", "done", "failed", "paused"


class DownloadError(MiauflixError):
    """A title cannot be downloaded (no source, does not fit the quota or the disk)."""


@dataclass(frozen=True)
class DownloadItem:
    """One title marked "download for later" and how far its download is."""

    media_id: int
    title: str
    state: str  # one of the states above
    size: int  # bytes wanted (0 while unknown: a magnet without metadata yet)
    downloaded: int  # verified bytes on disk
    download_rate: int = 0  # bytes/s
    peers: int = 0
    eta_s: float | None = None  # None = unknown (no rate) or not downloading
    error: str = ""  # why it failed, or why it is paused, in words
    poster: str = ""
    source_id: int | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.downloaded / self.size) if self.size > 0 else 0.0


class DownloadsPort(Protocol):
    """DownloadsService as the UI sees it. mark() raises MiauflixError with a message
    for the user ("Needs 4.2 GB, 1.1 GB free in the 20 GB download cache")."""

    async def mark(self, media_id: int) -> DownloadItem: ...

    async def unmark(self, media_id: int) -> None: ...

    def is_marked(self, media_id: int) -> bool: ...

    async def items(self) -> list[DownloadItem]: ...
