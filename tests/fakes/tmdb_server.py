"""A local fake of the TMDB v3 API (and its image host) on 127.0.0.1, with switchable failures.

It serves the endpoints the client uses from `tmdb_data/` (responses recorded in TMDB's
documented shapes, en-US, with appended translations that the server uses to localise
titles and overviews the way TMDB does: an untranslated overview comes back "", an
untranslated title falls back to the English one, an untranslated episode is "Folge N").
Lists, trending, discover and search are computed from that dataset.

Failures can be switched on globally or for a path glob, for a number of requests or
until cleared: 401, 404, 429 with Retry-After, 500, a 503 HTML page, a 200 HTML page
(captive portal), malformed JSON, garbage bytes, JSON with wrong field types, and a
response that hangs. Every API request is recorded (`requests`, `count()`).

Use in tests:

    async with running_fake_tmdb() as fake:
        client = TmdbClient(fake.api_key, base_url=fake.base_url)
        fake.fail(RATE_LIMITED, "/movie/*", times=1, retry_after=1)

or the `tmdb_server` pytest fixture (`pytest_plugins = ["tests.fakes.tmdb_server"]`).
Standalone: `python -m tests.fakes.tmdb_server --port 8765`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fnmatch
import hashlib
import json
import logging
import os
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

log = logging.getLogger(__name__)

DATA = Path(__file__).with_name("tmdb_data")

API_KEY = "0123456789abcdef0123456789abcdef"  # v3 keys are 32 hex characters


def _b64(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# A v4 read-access token is a JWT: header.payload.signature, base64url.
READ_TOKEN = ".".join([_b64({"alg": "HS256"}),
                       _b64({"aud": API_KEY, "sub": "fake", "scopes": ["api_read"], "version": 1}),
                       "ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz"])

# Failure modes.
UNAUTHORIZED = "401"
NOT_FOUND = "404"
RATE_LIMITED = "429"
SERVER_ERROR = "500"
HTML_503 = "503-html"
HTML_200 = "200-html"
MALFORMED_JSON = "malformed-json"
GARBAGE = "garbage"
WRONG_TYPES = "wrong-types"
HANG = "hang"
MODES = (UNAUTHORIZED, NOT_FOUND, RATE_LIMITED, SERVER_ERROR, HTML_503, HTML_200,
         MALFORMED_JSON, GARBAGE, WRONG_TYPES, HANG)

MSG_401 = {"status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.",
           "success": False}
MSG_404 = {"status_code": 34, "status_message": "The resource you requested could not be found.",
           "success": False}
MSG_429 = {"status_code": 25,
           "status_message": "Your request count (41) is over the allowed limit of (40).",
           "success": False}
MSG_500 = {"status_code": 11,
           "status_message": "Internal error: Something went wrong, contact TMDb.",
           "success": False}
HTML_ERROR = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
              b"<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
              b"<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n")
PORTAL_HTML = (b"<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head>"
               b"<body><form>Accept the terms to continue</form></body></html>")

APPENDABLE = {"translations", "external_ids", "release_dates", "content_ratings"}


@dataclass
class Failure:
    mode: str
    pattern: str
    remaining: int | None  # None = until cleared
    retry_after: str = "1"
    status: int | None = None  # override for the 5xx mode


@dataclass
class RecordedRequest:
    path: str  # without the /3 prefix, e.g. "/movie/603"
    query: dict[str, str]
    authorization: str | None
    status: int = 0


@dataclass
class _Dataset:
    config: dict[str, Any]
    movies: dict[int, dict[str, Any]]
    shows: dict[int, dict[str, Any]]
    seasons: dict[tuple[int, int], dict[str, Any]]
    genres: dict[tuple[str, str], dict[str, Any]]
    people: list[dict[str, Any]]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_dataset(root: Path = DATA) -> _Dataset:
    seasons: dict[tuple[int, int], dict[str, Any]] = {}
    shows: dict[int, dict[str, Any]] = {}
    for p in sorted((root / "tv").glob("*.json")):
        if "_season_" in p.stem:
            tv_id, n = p.stem.split("_season_")
            seasons[(int(tv_id), int(n))] = _load(p)
        else:
            shows[int(p.stem)] = _load(p)
    genres = {}
    for p in root.glob("genre_*.json"):
        kind, lang = p.stem.removeprefix("genre_").split(".")
        genres[(kind, lang)] = _load(p)
    return _Dataset(
        config=_load(root / "configuration.json"),
        movies={int(p.stem): _load(p) for p in (root / "movie").glob("*.json")},
        shows=shows,
        seasons=seasons,
        genres=genres,
        people=_load(root / "people.json")["results"],
    )


def tiny_png(width: int, height: int, seed: str = "") -> bytes:
    """A valid solid-colour RGB PNG (compresses to a few hundred bytes at poster sizes)."""
    digest = hashlib.sha1(seed.encode()).digest()
    pixel = digest[:3]
    row = b"\x00" + pixel * width  # filter byte 0 + RGB pixels
    raw = row * height

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _image_size(size: str) -> tuple[int, int]:
    # "w342" -> 342 x 513 (posters are 2:3); "h632" -> 421 x 632; "original" -> 500 x 750.
    try:
        if size.startswith("w"):
            w = min(int(size[1:]), 1280)
            return w, w * 3 // 2
        if size.startswith("h"):
            h = min(int(size[1:]), 1280)
            return h * 2 // 3, h
    except ValueError:
        pass
    return 500, 750


def _pick_translation(record: dict[str, Any], language: str) -> dict[str, Any] | None:
    block = record.get("translations") or {}
    entries = block.get("translations") or []
    lang, _, country = language.partition("-")
    for t in entries:
        if t["iso_639_1"] == lang and t["iso_3166_1"] == country:
            return t["data"]
    for t in entries:
        if t["iso_639_1"] == lang:
            return t["data"]
    return None


def _is_english(language: str) -> bool:
    return language.split("-")[0] == "en"


class FakeTmdb:
    """The fake server. `base_url` is what TmdbClient takes; images are under /t/p/."""

    def __init__(self, dataset: _Dataset | None = None, *, page_size: int = 20,
                 hang_seconds: float = 30.0) -> None:
        self.data = dataset or load_dataset()
        self.api_key = API_KEY
        self.read_token = READ_TOKEN
        self.page_size = page_size
        self.hang_seconds = hang_seconds
        self.failures: list[Failure] = []
        self.requests: list[RecordedRequest] = []
        self.image_requests: list[str] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- control --------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/3"

    @property
    def image_base_url(self) -> str:
        return f"{self.origin}/t/p/"

    def fail(self, mode: str, path: str = "*", *, times: int | None = None,
             retry_after: float | str = 1, status: int | None = None) -> None:
        """Make requests whose path matches the glob `path` (e.g. "/movie/*") fail.

        `times`: how many matching requests fail before the path answers normally again
        (None: until `clear_failures()`). Later rules take precedence.
        """
        if mode not in MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {MODES}")
        ra = str(int(retry_after)) if isinstance(retry_after, (int, float)) else retry_after
        self.failures.insert(0, Failure(mode, path, times, ra, status))

    def clear_failures(self) -> None:
        self.failures.clear()

    def reset(self) -> None:
        self.clear_failures()
        self.requests.clear()
        self.image_requests.clear()

    def count(self, pattern: str = "*") -> int:
        return sum(1 for r in self.requests if fnmatch.fnmatchcase(r.path, pattern))

    # -- lifecycle ------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/3/{tail:.*}", self._api)
        app.router.add_get("/t/p/{size}/{file}", self._image)
        return app

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        # handler_cancellation: a client that gives up on a hanging answer frees the
        # handler; a short shutdown_timeout keeps fixture teardown quick.
        self._runner = web.AppRunner(self.app(), handler_cancellation=True,
                                     shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- request handling -------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth:
            return auth == f"Bearer {self.read_token}"
        return request.query.get("api_key") == self.api_key

    def _failure_for(self, path: str) -> Failure | None:
        for f in self.failures:
            if fnmatch.fnmatchcase(path, f.pattern):
                if f.remaining is not None:
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self.failures.remove(f)
                return f
        return None

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"].strip("/")
        record = RecordedRequest(path, dict(request.query), request.headers.get("Authorization"))
        self.requests.append(record)
        response = await self._answer(request, path)
        record.status = response.status
        return response

    async def _answer(self, request: web.Request, path: str) -> web.StreamResponse:
        failure = self._failure_for(path)
        if failure is not None:
            return await self._fail(failure)
        if not self._authorised(request):
            return web.json_response(MSG_401, status=401)
        try:
            body = self._route(path, request.query)
        except (KeyError, ValueError, IndexError):
            body = None
        if body is None:
            return web.json_response(MSG_404, status=404)
        return web.json_response(body)

    async def _fail(self, f: Failure) -> web.StreamResponse:
        if f.mode == UNAUTHORIZED:
            return web.json_response(MSG_401, status=401)
        if f.mode == NOT_FOUND:
            return web.json_response(MSG_404, status=404)
        if f.mode == RATE_LIMITED:
            return web.json_response(MSG_429, status=429, headers={"Retry-After": f.retry_after})
        if f.mode == SERVER_ERROR:
            return web.json_response(MSG_500, status=f.status or 500)
        if f.mode == HTML_503:
            return web.Response(body=HTML_ERROR, status=503, content_type="text/html")
        if f.mode == HTML_200:
            return web.Response(body=PORTAL_HTML, status=200, content_type="text/html")
        if f.mode == MALFORMED_JSON:
            return web.Response(text='{"page": 1, "results": [{"id": 603, "title": "The Ma',
                                content_type="application/json")
        if f.mode == GARBAGE:
            return web.Response(body=os.urandom(512) + b"\xff\xfe\x00",
                                content_type="application/json")
        if f.mode == WRONG_TYPES:
            return web.json_response({"id": "603", "title": 42, "genres": "Action",
                                      "images": [], "results": {"not": "a list"}, "page": "1",
                                      "episodes": "none", "vote_average": "high"})
        # HANG: answer nothing until the client gives up (or hang_seconds passes).
        await asyncio.sleep(self.hang_seconds)
        return web.json_response({})

    async def _image(self, request: web.Request) -> web.StreamResponse:
        size, name = request.match_info["size"], request.match_info["file"]
        self.image_requests.append(f"/{size}/{name}")
        failure = self._failure_for(f"/t/p/{size}/{name}")
        if failure is not None:
            return await self._fail(failure)
        w, h = _image_size(size)
        return web.Response(body=tiny_png(w, h, name), content_type="image/png",
                            headers={"Cache-Control": "public, max-age=31536000"})

    # -- the API -------------------------------------------------------------------

    def _route(self, path: str, q: Any) -> dict[str, Any] | None:
        parts = path.strip("/").split("/")
        lang = q.get("language", "en-US")
        page = int(q.get("page", "1"))
        append = {a for a in q.get("append_to_response", "").split(",") if a} & APPENDABLE
        match parts:
            case ["configuration"]:
                cfg = json.loads(json.dumps(self.data.config))
                cfg["images"]["base_url"] = self.image_base_url
                cfg["images"]["secure_base_url"] = self.image_base_url
                return cfg
            case ["genre", ("movie" | "tv") as kind, "list"]:
                return (self.data.genres.get((kind, lang))
                        or self.data.genres[(kind, "en-US")])
            case ["movie", movie_id] if movie_id.isdigit():
                return self._movie(int(movie_id), lang, append)
            case ["tv", tv_id] if tv_id.isdigit():
                return self._show(int(tv_id), lang, append)
            case ["tv", tv_id, "season", n]:
                return self._season(int(tv_id), int(n), lang)
            case ["movie", ("popular" | "top_rated" | "now_playing" | "upcoming") as name]:
                return self._movie_list(name, lang, page)
            case ["tv", ("popular" | "top_rated" | "on_the_air" | "airing_today") as name]:
                return self._tv_list(name, lang, page)
            case ["trending", ("movie" | "tv" | "all") as kind, ("day" | "week")]:
                return self._trending(kind, lang, page)
            case ["discover", ("movie" | "tv") as kind]:
                return self._discover(kind, q, lang, page)
            case ["search", "multi"]:
                return self._search(q.get("query", ""), lang, page)
        return None

    def _genre_names(self, kind: str, lang: str) -> dict[int, str]:
        table = self.data.genres.get((kind, lang)) or self.data.genres[(kind, "en-US")]
        return {g["id"]: g["name"] for g in table["genres"]}

    def _localised_movie(self, rec: dict[str, Any], lang: str) -> dict[str, Any]:
        out = {k: v for k, v in rec.items() if k not in APPENDABLE}
        if not _is_english(lang):
            tr = _pick_translation(rec, lang) or {}
            # TMDB: untranslated titles fall back to the default title, texts to "".
            out["title"] = tr.get("title") or rec["title"]
            out["overview"] = tr.get("overview", "")
            out["tagline"] = tr.get("tagline", "")
            names = self._genre_names("movie", lang)
            out["genres"] = [{"id": g["id"], "name": names.get(g["id"], g["name"])}
                             for g in rec["genres"]]
        return out

    def _localised_show(self, rec: dict[str, Any], lang: str) -> dict[str, Any]:
        out = {k: v for k, v in rec.items() if k not in APPENDABLE}
        if not _is_english(lang):
            tr = _pick_translation(rec, lang) or {}
            out["name"] = tr.get("name") or rec["name"]
            out["overview"] = tr.get("overview", "")
            out["tagline"] = tr.get("tagline", "")
            names = self._genre_names("tv", lang)
            out["genres"] = [{"id": g["id"], "name": names.get(g["id"], g["name"])}
                             for g in rec["genres"]]
            if lang.startswith("de"):
                out["seasons"] = [{**s, "name": f"Staffel {s['season_number']}"}
                                  for s in rec["seasons"]]
        return out

    def _movie(self, movie_id: int, lang: str, append: set[str]) -> dict[str, Any] | None:
        rec = self.data.movies.get(movie_id)
        if rec is None:
            return None
        out = self._localised_movie(rec, lang)
        for part in append - {"content_ratings"}:
            out[part] = rec[part]
        return out

    def _show(self, tv_id: int, lang: str, append: set[str]) -> dict[str, Any] | None:
        rec = self.data.shows.get(tv_id)
        if rec is None:
            return None
        out = self._localised_show(rec, lang)
        for part in append - {"release_dates"}:
            out[part] = rec[part]
        return out

    def _season(self, tv_id: int, n: int, lang: str) -> dict[str, Any] | None:
        rec = self.data.seasons.get((tv_id, n))
        if rec is None:
            return None
        out = dict(rec)
        episodes = []
        for ep in rec["episodes"]:
            e = {k: v for k, v in ep.items() if k != "translations"}
            if not _is_english(lang):
                tr = _pick_translation(ep, lang) or {}
                word = "Folge" if lang.startswith("de") else "Episode"
                e["name"] = tr.get("name") or f"{word} {ep['episode_number']}"
                e["overview"] = tr.get("overview", "")
            episodes.append(e)
        out["episodes"] = episodes
        if lang.startswith("de"):
            out["name"] = f"Staffel {n}"
        return out

    # Items as TMDB shows them in lists: a subset of the details fields plus genre_ids.
    def _movie_item(self, rec: dict[str, Any], lang: str) -> dict[str, Any]:
        m = self._localised_movie(rec, lang)
        return {"adult": m["adult"], "backdrop_path": m["backdrop_path"],
                "genre_ids": [g["id"] for g in rec["genres"]], "id": m["id"],
                "original_language": m["original_language"], "original_title": m["original_title"],
                "overview": m["overview"], "popularity": m["popularity"],
                "poster_path": m["poster_path"], "release_date": m["release_date"],
                "title": m["title"], "video": False, "vote_average": m["vote_average"],
                "vote_count": m["vote_count"]}

    def _tv_item(self, rec: dict[str, Any], lang: str) -> dict[str, Any]:
        s = self._localised_show(rec, lang)
        return {"adult": False, "backdrop_path": s["backdrop_path"],
                "genre_ids": [g["id"] for g in rec["genres"]], "id": s["id"],
                "origin_country": s.get("origin_country", []),
                "original_language": s["original_language"], "original_name": s["original_name"],
                "overview": s["overview"], "popularity": s["popularity"],
                "poster_path": s["poster_path"], "first_air_date": s["first_air_date"],
                "name": s["name"], "vote_average": s["vote_average"],
                "vote_count": s["vote_count"]}

    def _paged(self, items: list[dict[str, Any]], page: int,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        if page < 1 or page > 500:
            raise ValueError("page must be between 1 and 500")  # TMDB answers 400/422
        total_pages = max(1, -(-len(items) // self.page_size))
        start = (page - 1) * self.page_size
        return {**(extra or {}), "page": page, "results": items[start:start + self.page_size],
                "total_pages": total_pages, "total_results": len(items)}

    def _movie_list(self, name: str, lang: str, page: int) -> dict[str, Any]:
        movies = list(self.data.movies.values())
        extra = None
        if name == "popular":
            movies.sort(key=lambda m: -m["popularity"])
        elif name == "top_rated":
            movies = sorted((m for m in movies if m["vote_count"] > 0),
                            key=lambda m: -m["vote_average"])
        elif name == "now_playing":
            movies = sorted((m for m in movies if m["status"] == "Released"),
                            key=lambda m: m["release_date"], reverse=True)
            extra = {"dates": {"maximum": "2026-06-01", "minimum": "2026-04-20"}}
        else:  # upcoming
            movies = sorted((m for m in movies if m["status"] != "Released"),
                            key=lambda m: m["release_date"])
            extra = {"dates": {"maximum": "2026-10-01", "minimum": "2026-06-01"}}
        return self._paged([self._movie_item(m, lang) for m in movies], page, extra)

    def _tv_list(self, name: str, lang: str, page: int) -> dict[str, Any]:
        shows = list(self.data.shows.values())
        if name == "top_rated":
            shows.sort(key=lambda s: -s["vote_average"])
        elif name == "airing_today":
            shows = []  # every series in the dataset has ended
        else:
            shows.sort(key=lambda s: -s["popularity"])
        return self._paged([self._tv_item(s, lang) for s in shows], page)

    def _trending(self, kind: str, lang: str, page: int) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        if kind in ("movie", "all"):
            items += [{**self._movie_item(m, lang), "media_type": "movie"}
                      for m in self.data.movies.values()]
        if kind in ("tv", "all"):
            items += [{**self._tv_item(s, lang), "media_type": "tv"}
                      for s in self.data.shows.values()]
        if kind == "all":
            items += [{**p, "media_type": "person"} for p in self.data.people]
        items.sort(key=lambda i: -i["popularity"])
        return self._paged(items, page)

    def _discover(self, kind: str, q: Any, lang: str, page: int) -> dict[str, Any]:
        if kind == "movie":
            items = [self._movie_item(m, lang) for m in self.data.movies.values()]
        else:
            items = [self._tv_item(s, lang) for s in self.data.shows.values()]
        with_genres = q.get("with_genres", "")
        if with_genres:
            if "|" in with_genres:  # OR
                wanted = {int(g) for g in with_genres.split("|")}
                items = [i for i in items if wanted & set(i["genre_ids"])]
            else:  # comma: AND
                wanted = {int(g) for g in with_genres.split(",")}
                items = [i for i in items if wanted <= set(i["genre_ids"])]
        sort_by = q.get("sort_by", "popularity.desc")
        field_name, _, order = sort_by.partition(".")
        key = {"primary_release_date": "release_date", "first_air_date": "first_air_date",
               "release_date": "release_date", "title": "title", "name": "name",
               "original_title": "original_title", "vote_average": "vote_average",
               "vote_count": "vote_count", "popularity": "popularity"}.get(field_name)
        if key is None or key not in (items[0] if items else {key: 0}):
            raise ValueError(f"bad sort_by {sort_by}")
        items.sort(key=lambda i: i[key], reverse=order != "asc")
        return self._paged(items, page)

    def _search(self, query: str, lang: str, page: int) -> dict[str, Any]:
        needle = query.casefold().strip()
        if not needle:
            return self._paged([], page)
        hits: list[dict[str, Any]] = []
        for m in self.data.movies.values():
            item = {**self._movie_item(m, lang), "media_type": "movie"}
            if needle in item["title"].casefold() or needle in m["original_title"].casefold():
                hits.append(item)
        for s in self.data.shows.values():
            item = {**self._tv_item(s, lang), "media_type": "tv"}
            if needle in item["name"].casefold() or needle in s["original_name"].casefold():
                hits.append(item)
        for p in self.data.people:
            if needle in p["name"].casefold():
                hits.append({**p, "media_type": "person"})
        hits.sort(key=lambda i: -i["popularity"])
        return self._paged(hits, page)


@contextlib.asynccontextmanager
async def running_fake_tmdb(**kwargs: Any) -> AsyncIterator[FakeTmdb]:
    fake = FakeTmdb(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def tmdb_server() -> AsyncIterator[FakeTmdb]:
    """A fresh fake TMDB per test (cheap: it starts in milliseconds)."""
    async with running_fake_tmdb() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake TMDB API on loopback, for manual runs.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--fail", choices=MODES, help="fail every request this way")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> None:
        fake = FakeTmdb()
        if args.fail:
            fake.fail(args.fail)
        await fake.start(args.port, args.host)
        log.info("fake TMDB at %s", fake.base_url)
        log.info("  v3 key:     %s", fake.api_key)
        log.info("  read token: %s", fake.read_token)
        log.info("  images:     %s", fake.image_base_url)
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
