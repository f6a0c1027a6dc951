"""HistoryPort over FakePlay's saved positions (what the real WatchHistory reads)."""

from __future__ import annotations

from tests.ui.fakes import FakePlay


class FakeHistory:
    def __init__(self, play: FakePlay) -> None:
        self._play = play
        self.started_over: list[int] = []

    async def resume_point(self, media_id: int) -> float | None:
        at = self._play.positions.get(media_id, 0.0)
        return at if at > 0 else None

    async def start_over(self, media_id: int) -> None:
        self.started_over.append(media_id)
        self._play.positions.pop(media_id, None)
