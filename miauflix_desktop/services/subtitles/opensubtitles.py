"""Async client of the OpenSubtitles REST API v1: search and download subtitles by IDs or hash.

Requests carry the `Api-Key` and a `User-Agent` naming the app, as the API requires; a
token bucket keeps us under its per-IP rate. Failures reach callers as
`OpenSubtitlesError` subclasses whose message is fit for the screen: 401/403 ->
`OpenSubtitlesAuthError`, 429 -> `OpenSubtitlesRateLimited` (after honouring a short
Retry-After once), 406 or `remaining` < 0 on download -> `OpenSubtitlesQuotaExceeded`,
5xx/timeouts/HTML pages/garbage JSON -> `OpenSubtitlesUnavailable` (after a few
retries with backoff). Nothing from the network escapes as KeyError/TypeError.

`movie_hash` is OpenSubtitles' file hash (size + the 64-bit little-endian word sums of
the first and last 64 KiB): computed from a local file or, through two Range requests,
from the app's own stream URL, whose header and footer pieces come first anyway.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import struct
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.subtitles import SubtitleResult
from miauflix_desktop.services.catalog.ratelimit import TokenBucket

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.opensubtitles.com/api/v1"
USER_AGENT = "Miauflix v0.1.0"
# The API allows about 5 requests per second per IP; stay well under it.
DEFAULT_RATE_PER_SECOND = 2.0
# A Retry-After longer than this is reported to the user instead of waited for.
MAX_RETRY_AFTER_WAIT_S = 5.0
HASH_CHUNK = 64 * 1024
MAX_SUBTITLE_BYTES = 10 * 1024 * 1024
SUBTITLE_EXTENSIONS = (".srt", ".ass", ".ssa", ".vtt", ".sub")


class OpenSubtitlesError(MiauflixError):
    """Base of every OpenSubtitles failure; the message is safe to show."""


class OpenSubtitlesAuthError(OpenSubtitlesError):
    def __init__(self) -> None:
        super().__init__("OpenSubtitles key rejected — check it in Settings")


class OpenSubtitlesRateLimited(OpenSubtitlesError):
    def __init__(self, retry_after: float | None) -> None:
        wait = f" in {max(1, round(retry_after))} s" if retry_after else " in a moment"
        super().__init__(f"OpenSubtitles is busy; try again{wait}")
        self.retry_after = retry_after


class OpenSubtitlesQuotaExceeded(OpenSubtitlesError):
    def __init__(self, reset: str = "") -> None:
        when = f" (resets {reset})" if reset else ""
        super().__init__(f"OpenSubtitles download limit reached for today{when}")


class OpenSubtitlesUnavailable(OpenSubtitlesError):
    """No network, timeouts, 5xx after retries, or an answer that is not the API's JSON."""

    def __init__(self, message: str = "OpenSubtitles is not answering; try again later",
                 detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class OpenSubtitlesBadResponse(OpenSubtitlesUnavailable):
    def __init__(self, detail: str) -> None:
        super().__init__("OpenSubtitles sent an unreadable answer", detail)


# -- parsing ----------------------------------------------------------------------------

def _get(data: Mapping[str, Any], key: str, types: type | tuple[type, ...],
         default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise OpenSubtitlesBadResponse(f"{key} is {value!r}")
    if not isinstance(value, types):
        raise OpenSubtitlesBadResponse(f"{key} is {type(value).__name__}")
    return value


def parse_search(data: Any) -> list[SubtitleResult]:
    """/subtitles answer -> one result per file (a multi-CD subtitle gives several)."""
    if not isinstance(data, dict):
        raise OpenSubtitlesBadResponse(f"the answer is a {type(data).__name__}")
    items = _get(data, "data", list, None)
    if items is None:
        raise OpenSubtitlesBadResponse("no data list")
    out: list[SubtitleResult] = []
    for item in items:
        if not isinstance(item, dict):
            raise OpenSubtitlesBadResponse("data holds a non-object")
        attrs = _get(item, "attributes", dict, {})
        files = _get(attrs, "files", list, [])
        for f in files:
            if not isinstance(f, dict):
                raise OpenSubtitlesBadResponse("files holds a non-object")
            file_id = _get(f, "file_id", int, None)
            if file_id is None:
                continue
            out.append(SubtitleResult(
                file_id=file_id,
                language=_get(attrs, "language", str, "") or "",
                release=(_get(attrs, "release", str, "") or "").strip(),
                downloads=_get(attrs, "download_count", int, 0),
                file_name=_get(f, "file_name", str, "") or "",
                hearing_impaired=_get(attrs, "hearing_impaired", bool, False),
                machine_translated=(_get(attrs, "machine_translated", bool, False)
                                    or _get(attrs, "ai_translated", bool, False)),
                from_trusted=_get(attrs, "from_trusted", bool, False),
                hash_match=_get(attrs, "moviehash_match", bool, False),
            ))
    return out


def rank(results: Sequence[SubtitleResult], languages: Sequence[str]) -> list[SubtitleResult]:
    """Preferred languages in order, then hash matches, human translations, downloads."""
    order = {lang.lower(): i for i, lang in enumerate(languages)}

    def key(r: SubtitleResult) -> tuple[int, int, int, int]:
        lang = order.get(r.language.lower(), order.get(r.language.lower()[:2], len(order)))
        return (lang, not r.hash_match, r.machine_translated, -r.downloads)

    return sorted(results, key=key)


def _imdb_number(imdb_id: str) -> str:
    """"tt0076759" -> "76759": the API wants the number without "tt" or leading zeros."""
    digits = re.sub(r"\D", "", imdb_id).lstrip("0")
    return digits


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# -- hash -------------------------------------------------------------------------------

def _hash_of(size: int, head: bytes, tail: bytes) -> str:
    if size < HASH_CHUNK or len(head) < HASH_CHUNK or len(tail) < HASH_CHUNK:
        raise ValueError("file too small for an OpenSubtitles hash")
    total = size
    for chunk in (head[:HASH_CHUNK], tail[-HASH_CHUNK:]):
        for (word,) in struct.iter_unpack("<Q", chunk):
            total = (total + word) & 0xFFFFFFFFFFFFFFFF
    return f"{total:016x}"


def movie_hash(path: Path) -> str:
    """OpenSubtitles' hash of a local file."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(HASH_CHUNK)
        fh.seek(max(0, size - HASH_CHUNK))
        tail = fh.read(HASH_CHUNK)
    return _hash_of(size, head, tail)


async def movie_hash_from_url(url: str, timeout_s: float = 5.0) -> str:
    """The hash of what `url` serves, from two Range requests (header and footer)."""
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        first = await client.get(url, headers={"Range": f"bytes=0-{HASH_CHUNK - 1}"})
        match = re.match(r"bytes \d+-\d+/(\d+)", first.headers.get("content-range", ""))
        if first.status_code != 206 or not match:
            raise ValueError(f"no ranged answer ({first.status_code})")
        size = int(match[1])
        last = await client.get(url, headers={"Range": f"bytes={max(0, size - HASH_CHUNK)}-"})
        if last.status_code != 206:
            raise ValueError(f"no ranged answer for the end ({last.status_code})")
        return _hash_of(size, first.content, last.content)


# -- client -----------------------------------------------------------------------------

class OpenSubtitlesClient:
    """search() and download(); aclose() when done."""

    def __init__(self, api_key: str, *, base_url: str = DEFAULT_BASE_URL,
                 user_agent: str = USER_AGENT, timeout_s: float = 10.0,
                 max_retries: int = 2, rate_per_second: float = DEFAULT_RATE_PER_SECOND,
                 backoff_s: float = 0.5) -> None:
        self._base = base_url.rstrip("/")
        self._max_retries = max_retries
        self._backoff = backoff_s
        self._bucket = TokenBucket(rate_per_second, burst=max(1.0, rate_per_second))
        self._http = httpx.AsyncClient(
            timeout=timeout_s, follow_redirects=True,
            headers={"Api-Key": api_key, "User-Agent": user_agent,
                     "Accept": "application/json"})
        # The file itself comes from whatever host the download answer names (a CDN):
        # fetched by a client that never carries the API key, so no other host sees it.
        self._files = httpx.AsyncClient(timeout=timeout_s, follow_redirects=True,
                                        headers={"User-Agent": user_agent})

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._files.aclose()

    async def search(self, *, imdb_id: str | None = None, tmdb_id: int | None = None,
                     languages: Sequence[str] = (), moviehash: str | None = None,
                     query: str | None = None, parent_tmdb_id: int | None = None,
                     parent_imdb_id: str | None = None, season: int | None = None,
                     episode: int | None = None) -> list[SubtitleResult]:
        """Subtitles for a film (or an episode) by IMDb/TMDB id, file hash or name.

        An episode without ids of its own is found by its series' id plus season and
        episode number.
        """
        params: dict[str, str] = {}
        if imdb_id and _imdb_number(imdb_id):
            params["imdb_id"] = _imdb_number(imdb_id)
        elif tmdb_id and tmdb_id > 0:
            params["tmdb_id"] = str(tmdb_id)
        elif parent_imdb_id and _imdb_number(parent_imdb_id):
            params["parent_imdb_id"] = _imdb_number(parent_imdb_id)
        elif parent_tmdb_id and parent_tmdb_id > 0:
            params["parent_tmdb_id"] = str(parent_tmdb_id)
        if season is not None and ("parent_imdb_id" in params or "parent_tmdb_id" in params):
            params["season_number"] = str(season)
            if episode is not None:
                params["episode_number"] = str(episode)
        if moviehash:
            params["moviehash"] = moviehash.lower()
        if query and not params:
            params["query"] = query.lower()
        if not params:
            raise ValueError("search needs an IMDb id, a TMDB id, a hash or a query")
        langs = sorted({lang.strip().lower() for lang in languages if lang.strip()})
        if langs:
            params["languages"] = ",".join(langs)
        # The API redirects unless parameters come sorted (and lowercase): save the trip.
        data = await self._request("GET", "/subtitles", params=dict(sorted(params.items())))
        return rank(parse_search(data), [lang.strip().lower() for lang in languages])

    async def check_key(self) -> None:
        """One cheap authenticated call (the subtitle formats list, no download quota
        used): returns when the API accepts the key, raises OpenSubtitlesAuthError when
        it rejects it and OpenSubtitlesUnavailable when it cannot be asked."""
        data = await self._request("GET", "/infos/formats")
        if not isinstance(data, dict) or "data" not in data:
            raise OpenSubtitlesBadResponse("formats answer has no data")

    async def download(self, file_id: int, dest_dir: Path) -> Path:
        """Ask for a download link, fetch the file into dest_dir and return its path."""
        data = await self._request("POST", "/download", json={"file_id": int(file_id)})
        if not isinstance(data, dict):
            raise OpenSubtitlesBadResponse("download answer is not an object")
        link = _get(data, "link", str, "")
        remaining = _get(data, "remaining", int, None)
        if not link:
            if remaining is not None and remaining < 0:
                raise OpenSubtitlesQuotaExceeded(_get(data, "reset_time", str, ""))
            raise OpenSubtitlesBadResponse("download answer has no link")
        name = _safe_name(_get(data, "file_name", str, "") or f"{file_id}.srt", file_id)
        body = await self._fetch_file(link)
        dest_dir.mkdir(parents=True, exist_ok=True)
        path = dest_dir / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(path)
        log.info("OpenSubtitles: saved %s (%d bytes, %s downloads left today)",
                 path.name, len(body), remaining)
        return path

    async def _fetch_file(self, link: str) -> bytes:
        # https only, except from the API's own host (a local fake API in tests is http).
        url = httpx.URL(link)
        if url.scheme != "https" and url.host != httpx.URL(self._base).host:
            raise OpenSubtitlesBadResponse(f"download link is not https: {url.scheme}")
        try:
            response = await self._files.get(url)
        except httpx.HTTPError as exc:
            raise OpenSubtitlesUnavailable(detail=repr(exc)) from exc
        if response.status_code != 200:
            raise OpenSubtitlesUnavailable(detail=f"file download: HTTP {response.status_code}")
        body = response.content
        if len(body) > MAX_SUBTITLE_BYTES:
            raise OpenSubtitlesBadResponse(f"subtitle file of {len(body)} bytes")
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html")) or b"\x00" in body[:4096]:
            raise OpenSubtitlesBadResponse("the subtitle file is not text")
        return body

    async def _request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                       json: dict[str, Any] | None = None) -> Any:
        attempt = 0
        waited_for_429 = False
        while True:
            await self._bucket.acquire()
            try:
                response = await self._http.request(method, self._base + path, params=params,
                                                    json=json)
            except httpx.TimeoutException as exc:
                failure: OpenSubtitlesError = OpenSubtitlesUnavailable(
                    "OpenSubtitles did not answer in time", repr(exc))
            except httpx.HTTPError as exc:
                failure = OpenSubtitlesUnavailable(detail=repr(exc))
            else:
                status = response.status_code
                if status in (401, 403):
                    raise OpenSubtitlesAuthError()
                if status == 406:
                    raise OpenSubtitlesQuotaExceeded(_reset_of(response))
                if status == 429:
                    wait = retry_after_seconds(response.headers.get("retry-after"))
                    if waited_for_429 or (wait or 1.0) > MAX_RETRY_AFTER_WAIT_S:
                        raise OpenSubtitlesRateLimited(wait)
                    waited_for_429 = True
                    # Everyone waits: the limit is per IP, not per request.
                    self._bucket.pause(wait or 1.0)
                    continue
                if status >= 500:
                    failure = OpenSubtitlesUnavailable(detail=f"HTTP {status}")
                elif status >= 400:
                    raise OpenSubtitlesError(_message_of(response)
                                             or f"OpenSubtitles refused the request ({status})")
                else:
                    return _json_of(response)
            if attempt >= self._max_retries:
                log.warning("OpenSubtitles %s %s failed: %s", method, path,
                            getattr(failure, "detail", failure))
                raise failure
            attempt += 1
            await asyncio.sleep(self._backoff * 2 ** (attempt - 1))


def _json_of(response: httpx.Response) -> Any:
    ctype = response.headers.get("content-type", "")
    if "json" not in ctype:
        raise OpenSubtitlesBadResponse(f"content-type {ctype or 'missing'}")
    try:
        return response.json()
    except ValueError as exc:
        raise OpenSubtitlesBadResponse(f"malformed JSON: {exc}") from exc


def _message_of(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if isinstance(data, dict):
        message = data.get("message") or data.get("errors")
        if isinstance(message, list):
            message = "; ".join(str(m) for m in message)
        if isinstance(message, str) and message:
            return f"OpenSubtitles: {message[:200]}"
    return ""


def _reset_of(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    value = data.get("reset_time") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _safe_name(name: str, file_id: int) -> str:
    """A file name that stays inside the cache dir and keeps a subtitle extension."""
    base = re.sub(r"[^\w.\- ]+", "_", Path(name).name).strip(" .") or str(file_id)
    if not base.lower().endswith(SUBTITLE_EXTENSIONS):
        base += ".srt"
    if len(base) > 150:
        base = base[:140] + Path(base).suffix
    return f"{file_id}-{base}"
