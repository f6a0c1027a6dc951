"""Async TMDB v3 client: authenticated, rate-limited, retrying GETs parsed into typed values.

Every failure reaches callers as a `TmdbError` subclass with a message fit for the
screen (401 -> `TmdbAuthError`, 404 -> `TmdbNotFound`, anything transient or unreadable
-> `TmdbUnavailable`), so a sync job or view model can fall back to cached data with a
single `except TmdbError`. Garbage from the network never escapes as KeyError/TypeError.

Language fallback (the choice, and why): TMDB answers `language=de-DE` with an empty
overview (and tagline) where nobody has translated it. For film and series details we
ask for `append_to_response=translations` anyway, so an empty field is filled from the
English translation in that same answer: no extra request. Seasons, lists, trending,
discover and search carry no translations; there, when the language is not English and
at least one item's title/overview (an episode's name/overview) came back empty, the
same page is fetched once more with `language=en-US` and only the empty fields are
filled (at most one extra request per call; none for English users or fully translated
pages).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.catalog.ratelimit import TokenBucket
from miauflix_desktop.services.catalog.tmdb_types import (
    MOVIE,
    TV,
    TmdbConfig,
    TmdbEpisode,
    TmdbGenre,
    TmdbListItem,
    TmdbMovie,
    TmdbPage,
    TmdbSeason,
    TmdbSeasonSummary,
    TmdbShow,
    TmdbTranslation,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.themoviedb.org/3"
FALLBACK_LANGUAGE = "en-US"

MOVIE_LISTS = frozenset({"popular", "top_rated", "now_playing", "upcoming"})
TV_LISTS = frozenset({"popular", "top_rated", "on_the_air", "airing_today"})
TRENDING_KINDS = frozenset({MOVIE, TV, "all"})
TRENDING_WINDOWS = frozenset({"day", "week"})


class TmdbError(MiauflixError):
    """Base of every TMDB failure; the message is safe to show."""


class TmdbAuthError(TmdbError):
    """TMDB answered 401: the API key or read token is wrong or revoked. Never retried."""

    def __init__(self, message: str = "TMDB key rejected — check it in Settings") -> None:
        super().__init__(message)


class TmdbNotFound(TmdbError):
    """TMDB has no such film, series or season (404). Never retried."""


class TmdbUnavailable(TmdbError):
    """TMDB cannot be used right now: no network, timeouts, 5xx/429 after retries."""


class TmdbBadResponse(TmdbUnavailable):
    """TMDB (or something in between, e.g. a captive portal) answered with something
    that is not the JSON we expect: an HTML page, malformed JSON, wrong field types."""

    def __init__(self, detail: str) -> None:
        super().__init__("TMDB sent an unreadable answer; showing saved data")
        self.detail = detail


def is_read_token(credential: str) -> bool:
    """A v4 read-access token is a JWT ("eyJ" is base64 for '{"'); a v3 key is 32 hex chars."""
    return credential.startswith("eyJ") and credential.count(".") == 2 and len(credential) > 40


# ---------------------------------------------------------------------------------------
# Defensive field readers. Missing or null -> default; present with the wrong type ->
# TmdbBadResponse (a string where a number belongs means we are not talking to TMDB).

def _field(data: Mapping[str, Any], key: str, types: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    if value is None:
        return None
    # bool is an int subclass; a boolean where a number belongs is garbage.
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise TmdbBadResponse(f"{key} is {value!r}, expected {what}")
    if not isinstance(value, types):
        raise TmdbBadResponse(f"{key} is {type(value).__name__}, expected {what}")
    return value


def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = _field(data, key, str, "a string")
    return default if value is None else value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = _field(data, key, str, "a string")
    return value or None  # TMDB uses "" and null interchangeably for "none"


def _int(data: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = _field(data, key, int, "an integer")
    return default if value is None else value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    return _field(data, key, int, "an integer")


def _float(data: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = _field(data, key, (int, float), "a number")
    return default if value is None else float(value)


def _bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = _field(data, key, bool, "a boolean")
    return default if value is None else value


def _dict(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = _field(data, key, dict, "an object")
    return {} if value is None else value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = _field(data, key, list, "a list")
    return [] if value is None else value


def _objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = _list(data, key)
    for item in items:
        if not isinstance(item, dict):
            raise TmdbBadResponse(f"{key} holds a {type(item).__name__}, expected objects")
    return items


def _date(data: Mapping[str, Any], key: str) -> date | None:
    value = _opt_str(data, key)
    if not value:
        return None
    try:
        # release dates arrive as "1999-03-31" or "1999-03-31T00:00:00.000Z"
        return date.fromisoformat(value[:10])
    except ValueError:
        log.debug("TMDB %s %r is not a date; treating it as unknown", key, value)
        return None


def _required_id(data: Mapping[str, Any], key: str = "id") -> int:
    value = _field(data, key, int, "an integer")
    if value is None:
        raise TmdbBadResponse(f"{key} is missing")
    return value


def _sizes(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(s) for s in _list(data, key) if isinstance(s, str))


def _genres(data: Mapping[str, Any]) -> tuple[TmdbGenre, ...]:
    return tuple(TmdbGenre(id=_required_id(g), name=_str(g, "name"))
                 for g in _objects(data, "genres"))


def _translations(data: Mapping[str, Any], title_key: str) -> tuple[TmdbTranslation, ...]:
    block = _dict(data, "translations")
    out = []
    for t in _objects(block, "translations"):
        lang, country = _str(t, "iso_639_1"), _str(t, "iso_3166_1")
        if not lang:
            continue
        texts = _dict(t, "data")
        out.append(TmdbTranslation(
            language=f"{lang}-{country}" if country else lang,
            title=_str(texts, title_key),
            overview=_str(texts, "overview"),
            tagline=_str(texts, "tagline"),
        ))
    return tuple(out)


def _english(translations: Iterable[TmdbTranslation]) -> TmdbTranslation | None:
    """The en-US translation, else any English one."""
    english = [t for t in translations if t.language.split("-")[0] == "en"]
    for t in english:
        if t.language == FALLBACK_LANGUAGE:
            return t
    return english[0] if english else None


def _country(language: str) -> str:
    parts = language.split("-")
    return parts[1].upper() if len(parts) > 1 else ""


def _is_english(language: str) -> bool:
    return language.split("-")[0].lower() == "en"


# Theatrical (3) is what people mean by "the rating"; then limited (2), digital (4),
# physical (5), TV (6), premiere (1).
_RELEASE_TYPE_PREFERENCE = {3: 0, 2: 1, 4: 2, 5: 3, 6: 4, 1: 5}


def _certification(data: Mapping[str, Any], language: str) -> str:
    by_country: dict[str, str] = {}
    for entry in _objects(_dict(data, "release_dates"), "results"):
        releases = [r for r in _objects(entry, "release_dates") if _str(r, "certification")]
        if releases:
            releases.sort(key=lambda r: _RELEASE_TYPE_PREFERENCE.get(_int(r, "type"), 9))
            by_country[_str(entry, "iso_3166_1")] = _str(releases[0], "certification")
    return by_country.get(_country(language)) or by_country.get("US", "")


def _content_rating(data: Mapping[str, Any], language: str) -> str:
    ratings = {_str(r, "iso_3166_1"): _str(r, "rating")
               for r in _objects(_dict(data, "content_ratings"), "results")}
    return ratings.get(_country(language)) or ratings.get("US", "")


def parse_config(data: Mapping[str, Any]) -> TmdbConfig:
    images = _dict(data, "images")
    base = _str(images, "secure_base_url") or _str(images, "base_url")
    if not base:
        raise TmdbBadResponse("configuration has no image base URL")
    return TmdbConfig(
        image_base_url=base if base.endswith("/") else base + "/",
        poster_sizes=_sizes(images, "poster_sizes"),
        backdrop_sizes=_sizes(images, "backdrop_sizes"),
        still_sizes=_sizes(images, "still_sizes"),
        profile_sizes=_sizes(images, "profile_sizes"),
        logo_sizes=_sizes(images, "logo_sizes"),
    )


def parse_movie(data: Mapping[str, Any], language: str) -> TmdbMovie:
    translations = _translations(data, "title")
    en = _english(translations) if not _is_english(language) else None
    original_title = _str(data, "original_title")
    title = _str(data, "title") or (en.title if en else "") or original_title
    overview = _str(data, "overview") or (en.overview if en else "")
    tagline = _str(data, "tagline") or (en.tagline if en else "")
    external = _dict(data, "external_ids")
    runtime = _opt_int(data, "runtime")
    return TmdbMovie(
        id=_required_id(data),
        title=title,
        original_title=original_title,
        original_language=_str(data, "original_language"),
        overview=overview,
        tagline=tagline,
        runtime=runtime or None,  # TMDB says 0 for "unknown"
        release_date=_date(data, "release_date"),
        vote_average=_float(data, "vote_average"),
        vote_count=_int(data, "vote_count"),
        popularity=_float(data, "popularity"),
        poster_path=_opt_str(data, "poster_path"),
        backdrop_path=_opt_str(data, "backdrop_path"),
        imdb_id=_opt_str(data, "imdb_id") or _opt_str(external, "imdb_id"),
        status=_str(data, "status"),
        adult=_bool(data, "adult"),
        genres=_genres(data),
        translations=translations,
        certification=_certification(data, language),
    )


def _season_summary(s: Mapping[str, Any]) -> TmdbSeasonSummary:
    return TmdbSeasonSummary(
        id=_required_id(s),
        season_number=_int(s, "season_number"),
        name=_str(s, "name"),
        overview=_str(s, "overview"),
        episode_count=_int(s, "episode_count"),
        air_date=_date(s, "air_date"),
        poster_path=_opt_str(s, "poster_path"),
        vote_average=_float(s, "vote_average"),
    )


def parse_show(data: Mapping[str, Any], language: str) -> TmdbShow:
    translations = _translations(data, "name")
    en = _english(translations) if not _is_english(language) else None
    original_name = _str(data, "original_name")
    external = _dict(data, "external_ids")
    run_times = tuple(r for r in _list(data, "episode_run_time")
                      if isinstance(r, int) and not isinstance(r, bool))
    return TmdbShow(
        id=_required_id(data),
        name=_str(data, "name") or (en.title if en else "") or original_name,
        original_name=original_name,
        original_language=_str(data, "original_language"),
        overview=_str(data, "overview") or (en.overview if en else ""),
        tagline=_str(data, "tagline") or (en.tagline if en else ""),
        first_air_date=_date(data, "first_air_date"),
        last_air_date=_date(data, "last_air_date"),
        status=_str(data, "status"),
        in_production=_bool(data, "in_production"),
        number_of_seasons=_int(data, "number_of_seasons"),
        number_of_episodes=_int(data, "number_of_episodes"),
        episode_run_time=run_times,
        vote_average=_float(data, "vote_average"),
        vote_count=_int(data, "vote_count"),
        popularity=_float(data, "popularity"),
        poster_path=_opt_str(data, "poster_path"),
        backdrop_path=_opt_str(data, "backdrop_path"),
        imdb_id=_opt_str(external, "imdb_id"),
        tvdb_id=_opt_int(external, "tvdb_id"),
        genres=_genres(data),
        seasons=tuple(_season_summary(s) for s in _objects(data, "seasons")),
        translations=translations,
        content_rating=_content_rating(data, language),
    )


def _episode(e: Mapping[str, Any]) -> TmdbEpisode:
    return TmdbEpisode(
        id=_required_id(e),
        episode_number=_int(e, "episode_number"),
        season_number=_int(e, "season_number"),
        name=_str(e, "name"),
        overview=_str(e, "overview"),
        runtime=_opt_int(e, "runtime") or None,
        still_path=_opt_str(e, "still_path"),
        air_date=_date(e, "air_date"),
        vote_average=_float(e, "vote_average"),
    )


def parse_season(data: Mapping[str, Any], show_id: int) -> TmdbSeason:
    return TmdbSeason(
        id=_required_id(data),
        show_id=show_id,
        season_number=_int(data, "season_number"),
        name=_str(data, "name"),
        overview=_str(data, "overview"),
        air_date=_date(data, "air_date"),
        poster_path=_opt_str(data, "poster_path"),
        vote_average=_float(data, "vote_average"),
        episodes=tuple(_episode(e) for e in _objects(data, "episodes")),
    )


def parse_list_item(data: Mapping[str, Any], default_type: str | None) -> TmdbListItem | None:
    """One result; None for people (search/multi, trending/all) and unknown media types."""
    media_type = _str(data, "media_type") or default_type
    if media_type not in (MOVIE, TV):
        return None
    is_movie = media_type == MOVIE
    return TmdbListItem(
        media_type=media_type,
        id=_required_id(data),
        title=_str(data, "title" if is_movie else "name"),
        original_title=_str(data, "original_title" if is_movie else "original_name"),
        original_language=_str(data, "original_language"),
        overview=_str(data, "overview"),
        date=_date(data, "release_date" if is_movie else "first_air_date"),
        poster_path=_opt_str(data, "poster_path"),
        backdrop_path=_opt_str(data, "backdrop_path"),
        vote_average=_float(data, "vote_average"),
        vote_count=_int(data, "vote_count"),
        popularity=_float(data, "popularity"),
        genre_ids=tuple(g for g in _list(data, "genre_ids")
                        if isinstance(g, int) and not isinstance(g, bool)),
        adult=_bool(data, "adult"),
    )


def parse_page(data: Mapping[str, Any], default_type: str | None) -> TmdbPage:
    items = []
    for raw in _list(data, "results"):
        # One broken entry must not cost the whole shelf: skip it, keep the rest.
        try:
            if not isinstance(raw, dict):
                raise TmdbBadResponse(f"result is a {type(raw).__name__}")
            item = parse_list_item(raw, default_type)
        except TmdbBadResponse as exc:
            log.warning("skipping an unreadable TMDB result: %s", exc.detail)
            continue
        if item is not None:
            items.append(item)
    return TmdbPage(
        page=_int(data, "page", 1),
        total_pages=_int(data, "total_pages"),
        total_results=_int(data, "total_results"),
        items=tuple(items),
    )


def _fill_page(page: TmdbPage, english: TmdbPage) -> TmdbPage:
    """Fill empty titles/overviews of `page` from the same items of an English page."""
    by_key = {(i.media_type, i.id): i for i in english.items}
    items = []
    for item in page.items:
        en = by_key.get((item.media_type, item.id))
        if en is not None:
            item = replace(item, title=item.title or en.title,
                           overview=item.overview or en.overview)
        items.append(item)
    return replace(page, items=tuple(items))


def _fill_season(season: TmdbSeason, english: TmdbSeason) -> TmdbSeason:
    by_number = {e.episode_number: e for e in english.episodes}
    episodes = []
    for ep in season.episodes:
        en = by_number.get(ep.episode_number)
        if en is not None:
            ep = replace(ep, name=ep.name or en.name, overview=ep.overview or en.overview)
        episodes.append(ep)
    return replace(season, name=season.name or english.name,
                   overview=season.overview or english.overview, episodes=tuple(episodes))


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date); None if absent/bad."""
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
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def _tmdb_message(response: httpx.Response) -> str:
    """TMDB's own status_message, for the log only (it can name the key)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("status_message", "")) if isinstance(body, dict) else ""


class TmdbClient:
    """The TMDB API as typed async methods. A lifecycle Service: `start()` opens one
    pooled httpx client, `stop()` closes it.

    Every request goes through one token bucket (default 20 req/s, half of what TMDB
    tolerates, so the app never meets a 429 on its own), and is retried with
    exponential backoff plus jitter on 429 (waiting at least Retry-After, capped),
    5xx, timeouts and connection errors. 401 and 404 are final at once.
    """

    def __init__(
        self,
        api_key_or_token: str,
        language: str = "en-US",
        base_url: str = DEFAULT_BASE_URL,
        rate_per_second: float = 20.0,
        max_retries: int = 4,
        timeout_s: float = 10.0,
        *,
        burst: float | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        max_retry_after_s: float = 30.0,
        max_connections: int = 8,
        english_fallback: bool = True,
        bucket: TokenBucket | None = None,
    ) -> None:
        self._credential = api_key_or_token.strip()
        self.language = language or FALLBACK_LANGUAGE
        self._base_url = base_url.rstrip("/")
        self._max_retries = max(0, max_retries)
        self._timeout_s = timeout_s
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_retry_after_s = max_retry_after_s
        self._max_connections = max_connections
        self._english_fallback = english_fallback
        # A small burst lets a screen's few first requests go out together; the steady
        # rate is what keeps us under TMDB's limit.
        self._bucket = bucket or TokenBucket(
            rate_per_second, burst if burst is not None else max(1.0, rate_per_second / 4))
        self._http: httpx.AsyncClient | None = None

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        if self._http is not None:
            return
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            timeout=httpx.Timeout(self._timeout_s, connect=min(self._timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=self._max_connections,
                                max_keepalive_connections=self._max_connections),
            headers={"Accept": "application/json", "User-Agent": "miauflix-desktop"},
            # TMDB never redirects API calls; a redirect means a captive portal.
            follow_redirects=False,
        )

    async def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def __aenter__(self) -> TmdbClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- settings that may change while running ----------------------------------------

    @property
    def uses_read_token(self) -> bool:
        return is_read_token(self._credential)

    def set_credential(self, api_key_or_token: str) -> None:
        """A new key from Settings takes effect on the next request."""
        self._credential = api_key_or_token.strip()

    def set_language(self, language: str) -> None:
        self.language = language or FALLBACK_LANGUAGE

    # -- transport ------------------------------------------------------------------

    def _auth(self, params: dict[str, Any]) -> dict[str, str]:
        if self.uses_read_token:
            return {"Authorization": f"Bearer {self._credential}"}
        params["api_key"] = self._credential
        return {}

    def _backoff(self, attempt: int) -> float:
        # Full jitter on the upper half: clients that failed together do not retry together.
        ceiling = min(self._backoff_max_s, self._backoff_base_s * (2 ** attempt))
        return ceiling * random.uniform(0.5, 1.0)

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        http = self._http
        if http is None:
            raise RuntimeError("TmdbClient.start() was not awaited")
        query: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        headers = self._auth(query)
        attempt = 0
        while True:
            await self._bucket.acquire()
            started = time.monotonic()
            failure: TmdbUnavailable
            delay = self._backoff(attempt)
            try:
                response = await http.get(path, params=query, headers=headers)
            except httpx.TimeoutException as exc:
                log.info("TMDB %s timed out after %.1fs (%s)", path,
                         time.monotonic() - started, type(exc).__name__)
                failure = TmdbUnavailable("TMDB did not answer in time; showing saved data")
            except (httpx.TransportError, OSError) as exc:
                log.info("TMDB %s: network error %s", path, exc)
                failure = TmdbUnavailable("Cannot reach TMDB (no network?); showing saved data")
            else:
                status = response.status_code
                if status < 300:
                    return self._decode(path, response)
                if status == 401:
                    log.warning("TMDB rejected the credential: %s", _tmdb_message(response))
                    raise TmdbAuthError()
                if status == 404:
                    raise TmdbNotFound("TMDB does not know this title")
                if status == 429:
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    if retry_after is not None:
                        delay = max(delay, min(retry_after, self._max_retry_after_s))
                    # Every request shares the penalty, not only this one.
                    self._bucket.pause(delay)
                    log.info("TMDB %s: 429, waiting %.2fs", path, delay)
                    failure = TmdbUnavailable("TMDB is busy right now; showing saved data")
                elif status >= 500:
                    log.info("TMDB %s: HTTP %d", path, status)
                    failure = TmdbUnavailable(
                        f"TMDB is having trouble (HTTP {status}); showing saved data")
                else:
                    # 3xx (captive portal) and other 4xx: retrying would give the same.
                    log.warning("TMDB %s: HTTP %d %s", path, status, _tmdb_message(response))
                    raise TmdbUnavailable(f"TMDB refused the request (HTTP {status})")
            if attempt >= self._max_retries:
                raise failure
            attempt += 1
            await asyncio.sleep(delay)

    @staticmethod
    def _decode(path: str, response: httpx.Response) -> dict[str, Any]:
        # Not retried: a proxy or portal that answers 200 with HTML will do it again.
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise TmdbBadResponse(f"{path}: Content-Type {content_type!r}")
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TmdbBadResponse(f"{path}: malformed JSON ({exc})") from exc
        if not isinstance(body, dict):
            raise TmdbBadResponse(f"{path}: JSON root is {type(body).__name__}")
        return body

    def _needs_fallback(self) -> bool:
        return self._english_fallback and not _is_english(self.language)

    # -- endpoints ------------------------------------------------------------------

    async def check_key(self) -> None:
        """Raise TmdbAuthError if TMDB rejects the credential, TmdbUnavailable if unreachable."""
        await self._get("/configuration")

    async def configuration(self) -> TmdbConfig:
        return parse_config(await self._get("/configuration"))

    async def movie(self, movie_id: int) -> TmdbMovie:
        # Genres are part of the details answer itself; only these three are appendable.
        data = await self._get(f"/movie/{int(movie_id)}", {
            "language": self.language,
            "append_to_response": "translations,external_ids,release_dates",
        })
        return parse_movie(data, self.language)

    async def tv(self, tv_id: int) -> TmdbShow:
        data = await self._get(f"/tv/{int(tv_id)}", {
            "language": self.language,
            "append_to_response": "translations,external_ids,content_ratings",
        })
        return parse_show(data, self.language)

    async def season(self, tv_id: int, season_number: int) -> TmdbSeason:
        path = f"/tv/{int(tv_id)}/season/{int(season_number)}"
        season = parse_season(await self._get(path, {"language": self.language}), int(tv_id))
        if self._needs_fallback() and _season_has_gaps(season):
            english = parse_season(await self._get(path, {"language": FALLBACK_LANGUAGE}),
                                   int(tv_id))
            season = _fill_season(season, english)
        return season

    async def list_page(self, kind: str, list_name: str, page: int = 1) -> TmdbPage:
        allowed = MOVIE_LISTS if kind == MOVIE else TV_LISTS if kind == TV else frozenset()
        if list_name not in allowed:
            raise ValueError(f"no {list_name!r} list for kind {kind!r}")
        return await self._page(f"/{kind}/{list_name}", {"page": page}, kind)

    async def trending(self, kind: str, window: str = "day", page: int = 1) -> TmdbPage:
        if kind not in TRENDING_KINDS or window not in TRENDING_WINDOWS:
            raise ValueError(f"no trending list for {kind!r}/{window!r}")
        return await self._page(f"/trending/{kind}/{window}", {"page": page},
                                None if kind == "all" else kind)

    async def discover(self, kind: str, genre_id: int | None = None,
                       sort_by: str = "popularity.desc", page: int = 1,
                       extra: Mapping[str, str | int] | None = None) -> TmdbPage:
        if kind not in (MOVIE, TV):
            raise ValueError(f"cannot discover {kind!r}")
        params: dict[str, Any] = {"sort_by": sort_by, "page": page, "include_adult": "false"}
        if genre_id is not None:
            params["with_genres"] = int(genre_id)
        params.update(extra or {})
        return await self._page(f"/discover/{kind}", params, kind)

    async def genres(self, kind: str) -> tuple[TmdbGenre, ...]:
        if kind not in (MOVIE, TV):
            raise ValueError(f"no genres for {kind!r}")
        data = await self._get(f"/genre/{kind}/list", {"language": self.language})
        return _genres(data)

    async def search_multi(self, query: str, page: int = 1) -> TmdbPage:
        """Films and series matching `query`; people are dropped."""
        return await self._page("/search/multi", {
            "query": query, "page": page, "include_adult": "false"}, None)

    async def _page(self, path: str, params: dict[str, Any], default_type: str | None) -> TmdbPage:
        result = parse_page(await self._get(path, {**params, "language": self.language}),
                            default_type)
        if self._needs_fallback() and any(not i.overview or not i.title for i in result.items):
            english = parse_page(
                await self._get(path, {**params, "language": FALLBACK_LANGUAGE}), default_type)
            result = _fill_page(result, english)
        return result


def _season_has_gaps(season: TmdbSeason) -> bool:
    return any(not e.name or not e.overview for e in season.episodes)
