"""WatchHistory: the HistoryPort over the saved watch progress (resume point, start over)."""

from __future__ import annotations

import asyncio

from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.service import resume_start


class WatchHistory:
    def __init__(self, movies: MovieRepository) -> None:
        self._movies = movies

    async def resume_point(self, media_id: int) -> float | None:
        progress = await asyncio.to_thread(self._movies.progress, media_id)
        if progress is None:
            return None
        # The same rule Play uses, so the button never promises what Play won't do.
        start = resume_start(progress.position, progress.duration)
        return start if start > 0 else None

    async def start_over(self, media_id: int) -> None:
        await asyncio.to_thread(self._movies.forget_progress, media_id)
