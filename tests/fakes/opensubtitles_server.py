"""A local fake of the OpenSubtitles REST API v1 on 127.0.0.1, with switchable failures.

`GET /api/v1/infos/formats` (the key check) answers the API's formats list.
`GET /api/v1/subtitles` answers in the API's shape (total_pages, total_count, per_page,
page, data[] of {id, type: "subtitle", attributes: {language, download_count, release,
hearing_impaired, from_trusted, ai_translated, machine_translated, moviehash_match,
feature_details, files[{file_id, cd_number, file_name}]}}) from a recorded catalogue of
one film (Sintel: imdb 1727587, tmdb 45745) filtered by `languages`; an unknown id gives
an empty `data`. `POST /api/v1/download` {"file_id"} answers {link, file_name, requests,
remaining, message, reset_time, reset_time_utc}; the link serves the SRT from this
server (`/files/<id>`). Like the real API: `Api-Key` is required (401 with its JSON
message otherwise), a `User-Agent` too, and unsorted query parameters are redirected.

Failures: every mode of tests.fakes.yts_server.FakeSite (429 with Retry-After, 500, 503
HTML, 200 HTML, empty, malformed, garbage, hang), plus `quota` for downloads (406 with
the API's message, remaining -1). Requests are recorded with their query and headers.
Standalone: `python -m tests.fakes.opensubtitles_server`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.yts_server import FakeSite

log = logging.getLogger(__name__)

API_KEY = "fake-opensubtitles-key"
SINTEL_IMDB = "1727587"
SINTEL_TMDB = "45745"
SINTEL_HASH = "8e245d9679d31e12"

SRT_EN = ("1\n00:00:00,500 --> 00:00:02,000\nThis blade has a dark past.\n\n"
          "2\n00:00:02,500 --> 00:00:04,500\nIt has shed much innocent blood.\n")
SRT_DE = ("1\n00:00:00,500 --> 00:00:02,000\nDiese Klinge hat eine dunkle Vergangenheit.\n\n"
          "2\n00:00:02,500 --> 00:00:04,500\nSie hat viel unschuldiges Blut vergossen.\n")


def _subtitle(sub_id: int, file_id: int, language: str, release: str, downloads: int,
              *, hash_match: bool = False, machine: bool = False,
              hearing_impaired: bool = False) -> dict[str, Any]:
    return {
        "id": str(sub_id), "type": "subtitle",
        "attributes": {
            "subtitle_id": str(sub_id), "language": language, "download_count": downloads,
            "new_download_count": downloads // 10, "hearing_impaired": hearing_impaired,
            "hd": True, "fps": 24.0, "votes": 3, "ratings": 8.0, "from_trusted": True,
            "foreign_parts_only": False, "upload_date": "2011-02-15T10:41:54Z",
            "ai_translated": False, "machine_translated": machine, "release": release,
            "comments": "", "legacy_subtitle_id": sub_id, "moviehash_match": hash_match,
            "uploader": {"uploader_id": 47, "name": "kitty", "rank": "trusted"},
            "feature_details": {"feature_id": 9102, "feature_type": "Movie", "year": 2010,
                                "title": "Sintel", "movie_name": "2010 - Sintel",
                                "imdb_id": int(SINTEL_IMDB), "tmdb_id": int(SINTEL_TMDB)},
            "url": f"https://www.opensubtitles.com/en/subtitles/legacy/{sub_id}",
            "related_links": [], "files": [{"file_id": file_id, "cd_number": 1,
                                            "file_name": release + ".srt"}],
        },
    }


CATALOGUE: list[dict[str, Any]] = [
    _subtitle(5001, 7001, "en", "Sintel.2010.1080p.BluRay.x264", 15234, hash_match=True),
    _subtitle(5002, 7002, "en", "Sintel.2010.720p.WEB", 4120, hearing_impaired=True),
    _subtitle(5003, 7003, "de", "Sintel.2010.1080p.BluRay.x264", 2210),
    _subtitle(5004, 7004, "fr", "Sintel.2010.DVDRip", 980, machine=True),
]
FILES: dict[int, str] = {7001: SRT_EN, 7002: SRT_EN, 7003: SRT_DE, 7004: SRT_EN}
QUOTA = "quota"


class FakeOpenSubtitles(FakeSite):
    """The fake API; `base_url` is what OpenSubtitlesClient(base_url=...) takes."""

    malformed_body = b'{"total_pages":1,"total_count":4,"per_page":60,"page":1,"data":[{"id":'
    malformed_type = "application/json"

    def __init__(self, *, hang_seconds: float = 5.0, remaining: int = 100) -> None:
        super().__init__(hang_seconds=hang_seconds)
        self.remaining = remaining
        # The key this API accepts (tests typing it on the on-screen keyboard pick one).
        self.api_key = API_KEY
        self.headers: list[dict[str, str]] = []
        # What the file host saw (it must never get the API key), and where the download
        # answer points (None: this server).
        self.file_headers: list[dict[str, str]] = []
        self.link_origin: str | None = None
        self.download_bodies: list[Any] = []

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/infos/formats", self.handler(self._formats))
        app.router.add_get("/api/v1/subtitles", self.handler(self._subtitles))
        app.router.add_post("/api/v1/download", self.handler(self._download))
        app.router.add_get("/files/{file_id}", self.handler(self._file))

    def _auth(self, request: web.Request) -> web.StreamResponse | None:
        self.headers.append(dict(request.headers))
        if request.headers.get("Api-Key") != self.api_key:
            return web.json_response({"message": "You cannot consume this service",
                                      "status": 401}, status=401)
        if not request.headers.get("User-Agent"):
            return web.json_response({"message": "User-Agent header is required",
                                      "status": 403}, status=403)
        return None

    async def _formats(self, request: web.Request) -> web.StreamResponse:
        denied = self._auth(request)
        if denied is not None:
            return denied
        return web.json_response({"data": {"output_formats": [
            "ass", "dfxp", "mpl", "qt", "sbv", "srt", "ssa", "tmp", "txt", "vtt", "webvtt"]}})

    async def _subtitles(self, request: web.Request) -> web.StreamResponse:
        denied = self._auth(request)
        if denied is not None:
            return denied
        keys = list(request.query.keys())
        if keys != sorted(keys):
            # The real API redirects to the sorted URL (one extra round trip).
            target = request.url.with_query(sorted(request.query.items()))
            raise web.HTTPMovedPermanently(location=str(target))
        imdb, tmdb = request.query.get("imdb_id"), request.query.get("tmdb_id")
        moviehash = request.query.get("moviehash")
        query = request.query.get("query", "")
        langs = [x for x in request.query.get("languages", "").split(",") if x]
        film = (imdb == SINTEL_IMDB or tmdb == SINTEL_TMDB or moviehash == SINTEL_HASH
                or "sintel" in query)
        data = [s for s in CATALOGUE
                if film and (not langs or s["attributes"]["language"] in langs)]
        if moviehash != SINTEL_HASH:
            data = [{**s, "attributes": {**s["attributes"], "moviehash_match": False}}
                    for s in data]
        return web.json_response({"total_pages": 1, "total_count": len(data), "per_page": 60,
                                  "page": 1, "data": data})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        denied = self._auth(request)
        if denied is not None:
            return denied
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"message": "Invalid JSON"}, status=400)
        self.download_bodies.append(body)
        file_id = body.get("file_id") if isinstance(body, dict) else None
        if file_id not in FILES:
            return web.json_response({"message": "Invalid file_id", "status": 400},
                                     status=400)
        failure = next((f for f in self.failures if f.mode == QUOTA), None)
        if failure is not None or self.remaining <= 0:
            return web.json_response(
                {"requests": 101, "remaining": -1,
                 "message": "You have downloaded your allowed 100 subtitles for 24h.",
                 "reset_time": "23 hours and 59 minutes",
                 "reset_time_utc": "2026-11-26T14:00:00.000Z"}, status=406)
        self.remaining -= 1
        name = next(s["attributes"]["files"][0]["file_name"] for s in CATALOGUE
                    if s["attributes"]["files"][0]["file_id"] == file_id)
        return web.json_response({
            "link": f"{self.link_origin or self.origin}/files/{file_id}", "file_name": name,
            "requests": 100 - self.remaining, "remaining": self.remaining,
            "message": "Your quota will be renewed in 23 hours and 59 minutes (2026-11-26 "
                       "14:00:00 UTC) ",
            "reset_time": "23 hours and 59 minutes",
            "reset_time_utc": "2026-11-26T14:00:00.000Z"})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.file_headers.append(dict(request.headers))
        file_id = int(request.match_info["file_id"])
        text = FILES.get(file_id)
        if text is None:
            return web.Response(status=404)
        return web.Response(body=text.encode(), content_type="application/x-subrip")

    def fail(self, mode: str, path: str = "*", **kwargs: Any) -> None:
        if mode == QUOTA:
            from tests.fakes.yts_server import Failure

            self.failures.insert(0, Failure(QUOTA, "/never", None))
            return
        super().fail(mode, path, **kwargs)


@contextlib.asynccontextmanager
async def running_fake_opensubtitles(**kwargs: Any) -> AsyncIterator[FakeOpenSubtitles]:
    fake = FakeOpenSubtitles(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def opensubtitles_server() -> AsyncIterator[FakeOpenSubtitles]:
    async with running_fake_opensubtitles() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenSubtitles API on loopback.")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> None:
        fake = FakeOpenSubtitles()
        await fake.start(args.port)
        log.info("fake OpenSubtitles at %s (Api-Key: %s)", fake.base_url, API_KEY)
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
