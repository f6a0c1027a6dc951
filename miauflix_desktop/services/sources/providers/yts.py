"""YTS: the films YTS lists for an IMDb id (API v2 `list_movies.json`), as ProviderReleases.

The answer's shape (YTS API v2):

    {"status": "ok", "status_message": "Query was successful",
     "data": {"movie_count": 1, "limit": 20, "page_number": 1,
              "movies": [{"imdb_code": "tt0133093", "title": "The Matrix", "year": 1999, ...
                          "torrents": [{"url": ".../torrent/download/<HASH>", "hash": "<HASH>",
                                        "quality": "1080p", "type": "bluray",
                                        "video_codec": "x264", "bit_depth": "8",
                                        "audio_channels": "5.1", "seeds": 1200, "peers": 90,
                                        "size": "2.03 GB", "size_bytes": 2179695985,
                                        "date_uploaded_unix": 1446320851, ...}]}]},
     "@meta": {...}}

With no match `data` has `movie_count: 0` and no `movies` key. `query_term` is a fuzzy
search, so films whose `imdb_code` is not the one asked for are dropped. YTS has no
series: a TV query answers [] without a request. Release names are built from the fields
("The Matrix (1999) 1080p BluRay x264 5.1 YTS") so the release parser and the scorer
read them like any other name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from miauflix_desktop.services.sources.providers.base import (
    Answer,
    Failure,
    FailureKind,
    HttpProvider,
    ProviderHealth,
    ProviderOptions,
    ProviderQuery,
    garbage,
    normalise_mirror,
)
from miauflix_desktop.services.sources.types import ProviderRelease

log = logging.getLogger(__name__)

DEFAULT_MIRRORS = ("https://yts.mx", "https://yts.lt", "https://yts.am")
API_PATH = "/api/v2/list_movies.json"

_HASH = re.compile(r"[0-9a-f]{40}")
_TYPE_LABEL = {"bluray": "BluRay", "web": "WEBRip", "webrip": "WEBRip", "web-dl": "WEB-DL"}
_SIZE = re.compile(r"([\d.]+)\s*([KMGT]?i?B)", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass(frozen=True)
class YtsOptions(ProviderOptions):
    """YTS tuning. Settings section `sources.yts` (keys are the field names)."""

    mirrors: tuple[str, ...] = DEFAULT_MIRRORS
    rate_max: float = 2.0
    rate_period_s: float = 1.0


class YtsProvider(HttpProvider):
    """Films from YTS by IMDb id (or title and year when there is no id)."""

    key = "yts"
    name = "YTS"

    def __init__(self, options: YtsOptions | None = None, *,
                 http: httpx.AsyncClient | None = None,
                 health: ProviderHealth | None = None) -> None:
        options = options or YtsOptions()
        # A mirror written as ".../api/v2" in settings must not become ".../api/v2/api/v2".
        mirrors = tuple(normalise_mirror(m).removesuffix("/api/v2") for m in options.mirrors)
        super().__init__(replace(options, mirrors=mirrors), http=http, health=health)

    def supports(self, query: ProviderQuery) -> bool:
        return query.kind == "movie"

    async def _search(self, query: ProviderQuery) -> list[ProviderRelease]:
        params = {"query_term": query.imdb_id or query.title.strip(), "limit": 50}
        return await self._get(API_PATH, params, expect="json",
                               parse=lambda answer: parse_list_movies(answer, query))


def parse_list_movies(answer: Answer, query: ProviderQuery) -> list[ProviderRelease]:
    """Releases from a list_movies answer. A wrong root shape is garbage (`Failure`); one
    unreadable film or torrent is skipped and logged."""
    body = answer.body
    if not isinstance(body, dict):
        raise garbage(f"JSON root is {type(body).__name__}")
    if body.get("status") != "ok":
        # YTS says {"status": "error", "status_message": "..."} for requests it rejects.
        raise Failure(FailureKind.BAD_RESPONSE, "answered an error",
                      detail=str(body.get("status_message", ""))[:200])
    data = body.get("data")
    if not isinstance(data, dict):
        raise garbage(f"data is {type(data).__name__}")
    movies = data.get("movies") or []
    if not isinstance(movies, list):
        raise garbage(f"movies is {type(movies).__name__}")
    releases: list[ProviderRelease] = []
    seen: set[str] = set()
    for movie in movies:
        if not isinstance(movie, dict) or not _wanted(movie, query):
            continue
        torrents = movie.get("torrents") or []
        if not isinstance(torrents, list):
            log.warning("YTS %s: torrents is %s; skipping the film", movie.get("imdb_code"),
                        type(torrents).__name__)
            continue
        for torrent in torrents:
            try:
                release = _release(movie, torrent)
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("YTS %s: skipping an unreadable torrent (%s)",
                            movie.get("imdb_code"), exc)
                continue
            if release.info_hash not in seen:
                seen.add(release.info_hash)
                releases.append(release)
    return releases


def _wanted(movie: Mapping[str, Any], query: ProviderQuery) -> bool:
    if query.imdb_id:
        return movie.get("imdb_code") == query.imdb_id
    year = movie.get("year")
    return query.year is None or not isinstance(year, int) or abs(year - query.year) <= 1


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _size(torrent: Mapping[str, Any]) -> int:
    size = _count(torrent, "size_bytes")
    if size:
        return size
    match = _SIZE.search(_text(torrent, "size"))  # "1.4 GB" when size_bytes is missing
    if not match:
        return 0
    unit = match.group(2).upper().replace("I", "")
    return int(float(match.group(1)) * _UNITS.get(unit, 1))


def _release(movie: Mapping[str, Any], torrent: Any) -> ProviderRelease:
    if not isinstance(torrent, dict):
        raise TypeError(f"torrent is {type(torrent).__name__}")
    info_hash = _text(torrent, "hash").lower()
    if not _HASH.fullmatch(info_hash):
        raise ValueError(f"hash {info_hash!r} is not 40 hex characters")
    title = " ".join((_text(movie, "title_english") or _text(movie, "title")).split())
    if not title:
        raise ValueError("film without a title")
    year = _count(movie, "year")
    quality = _text(torrent, "quality") or None
    kind = _text(torrent, "type").lower() or None
    codec = _text(torrent, "video_codec")
    parts = [f"{title} ({year})" if year else title, quality or "",
             _TYPE_LABEL.get(kind or "", kind.upper() if kind else ""), codec]
    if _text(torrent, "bit_depth") == "10":
        parts.append("10bit")
    parts.append(_text(torrent, "audio_channels"))
    if _text(torrent, "is_repack") == "1":
        parts.append("REPACK")
    parts.append("YTS")
    uploaded = _count(torrent, "date_uploaded_unix")
    url = _text(torrent, "url")
    imdb = _text(movie, "imdb_code")
    return ProviderRelease(
        provider=YtsProvider.key,
        name=" ".join(p for p in parts if p),
        info_hash=info_hash,
        size_bytes=_size(torrent),
        seeds=_count(torrent, "seeds"),
        peers=_count(torrent, "peers"),
        uploaded_at=datetime.fromtimestamp(uploaded, UTC) if uploaded else None,
        quality=quality,
        release_type=kind,
        torrent_url=url if url.startswith(("http://", "https://")) else None,
        magnet=None,  # built from info_hash (with trackers) by whoever adds the torrent
        imdb_id=imdb or None,
    )
