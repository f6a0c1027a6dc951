"""Shared by the Continue watching / Resume tests and their screenshot scenario: a real
library (SQLite) with one series, and an EpisodePort over the real EpisodeStreams whose
bytes come from the test clip server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from miauflix_desktop.core.downloads import QUEUED, DownloadError
from miauflix_desktop.core.media import (
    EpisodeRef,
    PlayTarget,
    SourceItem,
    StreamStatus,
    episode_media_id,
)
from miauflix_desktop.core.season_downloads import SeasonDownloadItem
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.source_repository import EpisodeSourceRepository
from miauflix_desktop.services.streaming.episodes import EpisodeStreams

HARBOR = 500  # the series' TMDB id
MIB = 1024 * 1024


def stored_streams(repo: EpisodeSourceRepository) -> EpisodeStreams:
    """EpisodeStreams for its stored side only (resume points, next episodes, saved
    positions): no engine or tokens are needed for those."""
    return EpisodeStreams(repo, None, None, None, lambda: "", 60)  # type: ignore[arg-type]


@dataclass
class ClipEpisodes:
    """EpisodePort: the real EpisodeStreams for everything stored (resume points, start
    over, next episodes, saved positions), a clip of the test server for the bytes."""

    streams: EpisodeStreams
    repo: EpisodeSourceRepository
    url: Callable[[int], str]
    opened: list[tuple[int, float]] = field(default_factory=list)

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        return [SourceItem(id=1, provider="Clips", quality="360p")]

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        return await self.episode_sources(episode_id)

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        ep = await asyncio.to_thread(self.repo.episode, episode_id)
        assert ep is not None
        start = await self.streams.episode_resume_point(episode_id) or 0.0
        self.opened.append((episode_id, start))
        # The saved points are far past a 10 s clip's end; mpv is asked to start there
        # only when the point is inside the clip.
        return PlayTarget(episode_media_id(episode_id),
                          f"{ep.show_title} — S{ep.season:02d}E{ep.episode:02d}",
                          self.url(1 + ep.episode % 3), start if start < 8 else 0.0)

    async def next_episode(self, episode_id: int) -> EpisodeRef | None:
        return await self.streams.next_episode(episode_id)

    async def prefetch_episode(self, episode_id: int) -> bool:
        return True

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        return None

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        await self.streams.save_position(media_id, position, duration)

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        return StreamStatus(peers=3, download_rate=1_000_000, size=1_000_000,
                            downloaded=1_000_000, buffered=((0.0, 1.0),))

    async def episode_ref(self, episode_id: int) -> EpisodeRef | None:
        return await self.streams.episode_ref(episode_id)

    async def episode_resume_point(self, episode_id: int) -> float | None:
        return await self.streams.episode_resume_point(episode_id)

    async def episode_start_over(self, episode_id: int) -> None:
        await self.streams.episode_start_over(episode_id)


@dataclass
class Library:
    db: Database
    show_id: int
    episodes: dict[tuple[int, int], int]
    repo: EpisodeSourceRepository

    def progress(self, episode_id: int) -> tuple[float, float] | None:
        return self.repo.progress(episode_id)

    def set_progress(self, episode_id: int, position: float, duration: float) -> None:
        self.repo.save_progress(episode_id, position, duration)


def seed_library(path: Path) -> Library:
    """Harbor Lights: season 1 (3 episodes) and season 2 (2), synced."""
    db = Database(path)
    db.open()
    catalog = CatalogRepository(db)
    show_id = catalog.upsert_show(HARBOR, name="Harbor Lights", overview="Boats.")
    ids = {}
    for season, count in ((1, 3), (2, 2)):
        catalog.upsert_season(HARBOR, season, name=f"Season {season}")
        for number in range(1, count + 1):
            ids[(season, number)] = catalog.upsert_episode(
                HARBOR, season, number, name=f"Harbor {season}x{number:02d}",
                overview=f"Episode {number} of season {season} of Harbor Lights.",
                air_date=f"2020-0{season}-0{number}", runtime=44)
        catalog.mark_season_synced(HARBOR, season)
    return Library(db, show_id, ids, EpisodeSourceRepository(db))


@dataclass
class FakeSeasons:
    """SeasonDownloadsPort in memory: season 2 has no source; the rest mark at once."""

    title: str
    marks: dict[tuple[int, int], SeasonDownloadItem] = field(default_factory=dict)
    removed: list[tuple[int, int]] = field(default_factory=list)

    async def mark_season(self, show_id: int, season: int) -> SeasonDownloadItem:
        if season == 2:
            raise DownloadError("No source found yet for any episode of season 2.")
        item = SeasonDownloadItem(show_id, season, f"{self.title} — Season {season}", QUEUED,
                                  300 * MIB, 0, episodes=3)
        self.marks[(show_id, season)] = item
        return item

    async def unmark_season(self, show_id: int, season: int) -> None:
        self.removed.append((show_id, season))
        self.marks.pop((show_id, season), None)

    def is_season_marked(self, show_id: int, season: int) -> bool:
        return (show_id, season) in self.marks

    async def season_items(self) -> list[SeasonDownloadItem]:
        return list(self.marks.values())
