"""The port the Setup screen stores the optional OpenSubtitles API key through."""

from __future__ import annotations

from typing import Protocol


class SubtitleKeyPort(Protocol):
    def has_key(self) -> bool:
        """True when a key is stored (the Tracks panel then offers online search)."""
        ...

    async def check_key(self, key: str) -> None:
        """Return when OpenSubtitles accepts `key`; raise MiauflixError with a message fit
        for the screen when it rejects it or cannot be asked."""
        ...

    async def save(self, key: str) -> None: ...

    async def remove(self) -> None: ...
