"""HistoryPort: where the viewer stopped a film, for "Resume from 42:10 / Start over"."""

from __future__ import annotations

from typing import Protocol


class HistoryPort(Protocol):
    async def resume_point(self, media_id: int) -> float | None:
        """Seconds to resume from, or None (never started, or watched: ≥ 90 %)."""
        ...

    async def start_over(self, media_id: int) -> None:
        """Forget the saved position, so the next Play starts at 0."""
        ...


def clock_text(seconds: float) -> str:
    """42:10 or 1:02:05, as a resume button says it."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
