"""What the Episodes screen's "Download season" and the Downloads screen's season rows
need: a season's download state and the port that marks, lists and removes seasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SeasonDownloadItem:
    """A season marked "download for later": all its torrents taken together."""

    show_id: int
    season: int
    title: str  # "Harbor Lights — Season 1"
    state: str  # core.downloads' states: the least advanced of its torrents
    size: int  # bytes wanted, all torrents (0 while unknown)
    downloaded: int
    episodes: int  # how many episodes the marked torrents hold
    missing: int = 0  # episodes of the season no source was found for when marked
    download_rate: int = 0
    peers: int = 0
    eta_s: float | None = None
    error: str = ""
    poster: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.downloaded / self.size) if self.size > 0 else 0.0


class SeasonDownloadsPort(Protocol):
    """DownloadsService's seasons. mark_season raises MiauflixError with a message for the
    user (no source at all, does not fit the quota: "Needs 9.8 GB, 4.0 GB free ...")."""

    async def mark_season(self, show_id: int, season: int) -> SeasonDownloadItem: ...

    async def unmark_season(self, show_id: int, season: int) -> None: ...

    def is_season_marked(self, show_id: int, season: int) -> bool: ...

    async def season_items(self) -> list[SeasonDownloadItem]: ...
