"""Media value types and the ports view models use to browse and play (no Qt, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class MediaItem:
    """One playable title as the UI shows it."""

    id: int
    title: str
    overview: str = ""
    year: int | None = None
    runtime_minutes: int | None = None
    poster: str | None = None  # local file path or URL; None -> placeholder
    backdrop: str | None = None
    is_demo: bool = False


@dataclass(frozen=True)
class Shelf:
    """A titled row on Home."""

    key: str
    title: str
    items: tuple[MediaItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlayTarget:
    """What the player needs to start: a URL and where to resume."""

    media_id: int
    title: str
    url: str
    start_position: float = 0.0


class CatalogPort(Protocol):
    """Read side of the library for the UI."""

    async def home_shelves(self) -> list[Shelf]: ...

    async def get(self, media_id: int) -> MediaItem: ...


class PlayPort(Protocol):
    """Opening a stream for playback and remembering where the viewer stopped."""

    async def prepare(self, media_id: int) -> None:
        """Warm up while the viewer reads Details: source, torrent, peers, first pieces.

        Never raises; Play works without it, only slower.
        """
        ...

    async def open(self, media_id: int) -> PlayTarget: ...

    async def save_position(self, media_id: int, position: float, duration: float) -> None: ...
