"""DownloadsPort over the fake catalog (the real DownloadsService is tested with libtorrent
in tests/integration/test_downloads.py); marks, refusals and progress kept in memory."""

from __future__ import annotations

from dataclasses import replace

from miauflix_desktop.core.downloads import (
    DONE,
    DOWNLOADING,
    FAILED,
    PAUSED,
    QUEUED,
    DownloadError,
    DownloadItem,
)
from tests.ui.fakes import FakeCatalog

GIB = 1024**3


class FakeDownloads:
    def __init__(self, catalog: FakeCatalog) -> None:
        self._catalog = catalog
        self.marks: dict[int, DownloadItem] = {}
        self.refuse: dict[int, str] = {}  # media id -> the refusal message
        self.unmarked: list[int] = []
        self.polls = 0

    def sample(self) -> FakeDownloads:
        """Three rows in three states: a finished film, one downloading, one paused."""
        titles = self._catalog.items
        self.marks = {
            2: DownloadItem(2, titles[2].title, DONE, int(1.4 * GIB), int(1.4 * GIB),
                            source_id=21),
            1: DownloadItem(1, titles[1].title, DOWNLOADING, int(2.1 * GIB), int(0.9 * GIB),
                            download_rate=3_400_000, peers=14, eta_s=378.0, source_id=11),
            3: DownloadItem(3, titles[3].title, PAUSED, int(4.2 * GIB), int(0.2 * GIB),
                            error="VPN wg0 is down — torrents paused", source_id=31),
        }
        return self

    async def mark(self, media_id: int) -> DownloadItem:
        if media_id in self.refuse:
            raise DownloadError(self.refuse[media_id])
        old = self.marks.get(media_id)
        if old is not None and old.state == FAILED:
            self.marks[media_id] = replace(old, state=QUEUED, error="")
        if media_id not in self.marks:
            title = self._catalog.items[media_id].title
            self.marks[media_id] = DownloadItem(media_id, title, QUEUED, int(2.1 * GIB), 0,
                                                source_id=media_id * 10 + 1)
        return self.marks[media_id]

    async def unmark(self, media_id: int) -> None:
        self.unmarked.append(media_id)
        self.marks.pop(media_id, None)

    def is_marked(self, media_id: int) -> bool:
        return media_id in self.marks

    async def items(self) -> list[DownloadItem]:
        self.polls += 1
        return list(self.marks.values())

    def finish(self, media_id: int) -> None:
        item = self.marks[media_id]
        self.marks[media_id] = replace(item, state=DONE, downloaded=item.size,
                                       download_rate=0, eta_s=None)
