"""Online subtitle search as the UI sees it: one result row and the port that finds and
fetches subtitles for the title being played."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class SubtitleResult:
    """One downloadable subtitle file found online."""

    file_id: int
    language: str  # ISO 639-1 ("en", "pt-BR" as the service spells it)
    release: str  # the release name it was made for ("Sintel.2010.1080p.BluRay")
    downloads: int
    file_name: str = ""
    hearing_impaired: bool = False
    machine_translated: bool = False
    from_trusted: bool = False
    # True when found by the file's hash: timed for exactly this file.
    hash_match: bool = False


class SubtitleSearchPort(Protocol):
    def available(self) -> bool:
        """True when a search can run at all (an API key is configured)."""
        ...

    async def search(self, media_id: int, stream_url: str | None,
                     title: str) -> list[SubtitleResult]:
        """Subtitles for the title playing from stream_url, preferred languages first."""
        ...

    async def download(self, result: SubtitleResult) -> Path:
        """Fetch the file into the cache and return its path."""
        ...
