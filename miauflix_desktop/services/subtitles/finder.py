"""SubtitleFinder: the UI's SubtitleSearchPort over OpenSubtitles.

Looks up the playing title's IMDb/TMDB ids, adds the stream's OpenSubtitles hash when
the stream answers Range requests quickly, searches in the preferred languages and
downloads a chosen file into the app's subtitle cache. A client exists only while an
API key is configured (`available()`), so the UI hides the entry otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from miauflix_desktop.core.subtitles import SubtitleResult
from miauflix_desktop.services.subtitles.opensubtitles import (
    OpenSubtitlesClient,
    OpenSubtitlesError,
    movie_hash_from_url,
)

log = logging.getLogger(__name__)

HASH_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class MediaIds:
    imdb_id: str | None = None
    tmdb_id: int | None = None
    # Episodes: the series' ids, season and episode number.
    parent_tmdb_id: int | None = None
    parent_imdb_id: str | None = None
    season: int | None = None
    episode: int | None = None


IdLookup = Callable[[int], Awaitable[MediaIds]]


class SubtitleFinder:
    """Implements core.subtitles.SubtitleSearchPort."""

    def __init__(self, client: Callable[[], OpenSubtitlesClient | None], ids: IdLookup,
                 cache_dir: Path, languages: Callable[[], Sequence[str]]) -> None:
        self._client = client
        self._ids = ids
        self._cache_dir = cache_dir
        self._languages = languages

    def available(self) -> bool:
        return self._client() is not None

    async def search(self, media_id: int, stream_url: str | None,
                     title: str) -> list[SubtitleResult]:
        client = self._client()
        if client is None:
            raise OpenSubtitlesError("No OpenSubtitles key is configured")
        try:
            ids = await self._ids(media_id)
        except Exception:
            log.warning("looking up the ids of %s failed", media_id, exc_info=True)
            ids = MediaIds()
        moviehash = None
        if stream_url:
            try:
                moviehash = await asyncio.wait_for(movie_hash_from_url(stream_url),
                                                   HASH_TIMEOUT_S)
            except Exception as exc:  # the hash only sharpens the search
                log.debug("no OpenSubtitles hash for %s: %s", stream_url, exc)
        tmdb_id = ids.tmdb_id if ids.tmdb_id and ids.tmdb_id > 0 else None
        parent = ids.parent_tmdb_id if ids.parent_tmdb_id and ids.parent_tmdb_id > 0 else None
        known = ids.imdb_id or tmdb_id or parent or ids.parent_imdb_id or moviehash
        # Titles added by hand (negative TMDB ids) and demo media: search by name.
        query = title.strip() if not known else None
        if not (known or query):
            raise OpenSubtitlesError("Nothing to search subtitles by for this title")
        return await client.search(imdb_id=ids.imdb_id, tmdb_id=tmdb_id,
                                   languages=self._languages(), moviehash=moviehash,
                                   query=query, parent_tmdb_id=parent,
                                   parent_imdb_id=ids.parent_imdb_id, season=ids.season,
                                   episode=ids.episode)

    async def download(self, result: SubtitleResult) -> Path:
        client = self._client()
        if client is None:
            raise OpenSubtitlesError("No OpenSubtitles key is configured")
        return await client.download(result.file_id, self._cache_dir)


class OpenSubtitlesRuntime:
    """Owns the client: made when first needed while a key is stored (a key set while
    the app runs is picked up), replaced when the key changes, closed on stop."""

    def __init__(self, key: Callable[[], str],
                 make_client: Callable[[str], OpenSubtitlesClient]) -> None:
        self._key = key
        self._make = make_client
        self._client: OpenSubtitlesClient | None = None
        self._client_key = ""
        self._old: list[OpenSubtitlesClient] = []

    @property
    def client(self) -> OpenSubtitlesClient | None:
        try:
            key = self._key()
        except Exception:  # a broken keyring must not break the player
            log.warning("reading the OpenSubtitles key failed", exc_info=True)
            key = ""
        if key != self._client_key:
            if self._client is not None:
                self._old.append(self._client)
            self._client = self._make(key) if key else None
            self._client_key = key
        return self._client

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        clients = [c for c in (self._client, *self._old) if c is not None]
        self._client, self._client_key, self._old = None, "", []
        for client in clients:
            await client.aclose()
