"""A local fake of the YTS API v2 on 127.0.0.1, with switchable failures (and the shared
`FakeSite` base the TheRARBG fake builds on).

`GET /api/v2/list_movies.json?query_term=<imdb id or words>` replays the recorded answers
in `providers_data/yts/<imdb id>.json` (YTS's own shape: status, data.movie_count,
data.movies[].torrents[] ...); words are matched against the recorded titles; anything
else gets YTS's no-match answer (movie_count 0, no `movies` key).

Failures can be switched on for a path glob, for a number of requests or until cleared:
429 with Retry-After, 500, a 503 HTML error page, a 200 HTML page (parked domain), a
Cloudflare challenge (403 or 503, "Just a moment...", cf-chl markup, cf-mitigated
header), an empty body, malformed JSON, garbage bytes, and an answer slower than any
client timeout. Every request is recorded with its monotonic time (`requests`, `count()`).

    async with running_fake_yts() as fake:
        provider = YtsProvider(YtsOptions(mirrors=(fake.origin,)))
        fake.fail(RATE_LIMITED, times=1, retry_after=30)

or the `yts_server` pytest fixture. Standalone: `python -m tests.fakes.yts_server`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fnmatch
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

log = logging.getLogger(__name__)

DATA = Path(__file__).with_name("providers_data")

# Failure modes (shared with tests.fakes.therarbg_server).
RATE_LIMITED = "429"
SERVER_ERROR = "500"
HTML_ERROR = "503-html"
HTML_PAGE = "200-html"
CLOUDFLARE = "cloudflare"
EMPTY = "empty"
MALFORMED = "malformed"
GARBAGE = "garbage"
HANG = "hang"
MODES = (RATE_LIMITED, SERVER_ERROR, HTML_ERROR, HTML_PAGE, CLOUDFLARE, EMPTY, MALFORMED,
         GARBAGE, HANG)

NGINX_503 = (b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
             b"<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
             b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
PARKED_HTML = (b"<!DOCTYPE html><html><head><title>This domain is for sale</title></head>"
               b"<body><div class=\"parked\"><h1>yts-mirror.example</h1>"
               b"<p>This domain may be for sale. Inquire now.</p></div></body></html>")


def cloudflare_page(host: str) -> bytes:
    """A managed-challenge page as Cloudflare serves it (trimmed, same markers)."""
    return (
        "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">"
        "<meta http-equiv=\"X-UA-Compatible\" content=\"IE=Edge\">"
        "<meta name=\"robots\" content=\"noindex,nofollow\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<style>*{box-sizing:border-box;margin:0;padding:0}</style>"
        "<meta http-equiv=\"refresh\" content=\"390\"></head><body class=\"no-js\">"
        "<div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\">"
        f"<h1 class=\"zone-name-title h1\">{host}</h1>"
        "<h2 id=\"challenge-running\" class=\"h2\">Checking if the site connection is secure"
        "</h2><noscript><div id=\"challenge-error-title\"><div class=\"h2\">"
        "<span class=\"icon-wrapper\"></span>Enable JavaScript and cookies to continue"
        "</div></div></noscript></div></div>"
        "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: '" + host + "',"
        "cType: 'managed',cNounce: '41294',cRay: '8a1b2c3d4e5f6a7b',cHash: '0f1e2d3c4b5a6978',"
        "cUPMDTk: \"\\/?__cf_chl_tk=abcdef\",cFPWv: 'b',cTTimeMs: '1000',cMTimeMs: '390000'};"
        "var cpo = document.createElement('script');"
        "cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6a7b';"
        "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
        "</body></html>"
    ).encode()


@dataclass
class Failure:
    mode: str
    pattern: str
    remaining: int | None  # None = until cleared
    retry_after: str = "30"
    status: int | None = None  # CLOUDFLARE: 403 (default) or 503; SERVER_ERROR: any 5xx
    skip: int = 0  # let this many matching requests through first


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, str]
    at: float  # time.monotonic() when it arrived
    user_agent: str
    status: int = 0


class FakeSite:
    """An aiohttp site on loopback with failure switching and request recording.

    Subclasses add their routes in `routes()` (wrapping handlers with `self.handler`) and
    say what their `MALFORMED` answer looks like.
    """

    malformed_body: bytes = b"{"
    malformed_type: str = "application/json"

    def __init__(self, *, hang_seconds: float = 5.0) -> None:
        self.hang_seconds = hang_seconds
        self.failures: list[Failure] = []
        self.requests: list[RecordedRequest] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- control --------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fail(self, mode: str, path: str = "*", *, times: int | None = None,
             retry_after: float | str = 30, status: int | None = None, skip: int = 0) -> None:
        """Make requests whose path matches the glob `path` fail (later rules win).

        `times`: how many matching requests fail (None: until `clear_failures()`);
        `skip`: how many matching requests are answered normally before the failures start.
        """
        if mode not in MODES:
            raise ValueError(f"unknown failure mode {mode!r}; one of {MODES}")
        ra = str(int(retry_after)) if isinstance(retry_after, (int, float)) else retry_after
        self.failures.insert(0, Failure(mode, path, times, ra, status, skip))

    def clear_failures(self) -> None:
        self.failures.clear()

    def reset(self) -> None:
        self.clear_failures()
        self.requests.clear()

    def count(self, pattern: str = "*") -> int:
        return sum(1 for r in self.requests if fnmatch.fnmatchcase(r.path, pattern))

    # -- lifecycle ------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> None:
        app = web.Application()
        self.routes(app)
        # handler_cancellation: a client that gives up on a hanging answer frees the
        # handler; a short shutdown_timeout keeps fixture teardown quick.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.2,
                                     access_log=None)
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

    def handler(self, answer: Any) -> Any:
        """Wrap a route handler: record the request, apply a matching failure first."""

        async def handle(request: web.Request) -> web.StreamResponse:
            record = RecordedRequest(request.path, dict(request.query), time.monotonic(),
                                     request.headers.get("User-Agent", ""))
            self.requests.append(record)
            failure = self._failure_for(request.path)
            response = await (self._fail(failure) if failure else answer(request))
            record.status = response.status
            return response

        return handle

    def _failure_for(self, path: str) -> Failure | None:
        for f in self.failures:
            if fnmatch.fnmatchcase(path, f.pattern):
                if f.skip > 0:
                    f.skip -= 1
                    return None
                if f.remaining is not None:
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self.failures.remove(f)
                return f
        return None

    async def _fail(self, f: Failure) -> web.StreamResponse:
        if f.mode == RATE_LIMITED:
            return web.Response(text="Too Many Requests", status=429,
                                headers={"Retry-After": f.retry_after})
        if f.mode == SERVER_ERROR:
            return web.Response(text="Internal Server Error", status=f.status or 500)
        if f.mode == HTML_ERROR:
            return web.Response(body=NGINX_503, status=503, content_type="text/html")
        if f.mode == HTML_PAGE:
            return web.Response(body=PARKED_HTML, status=200, content_type="text/html")
        if f.mode == CLOUDFLARE:
            return web.Response(body=cloudflare_page(self.host), status=f.status or 403,
                                content_type="text/html",
                                headers={"Server": "cloudflare", "cf-mitigated": "challenge",
                                         "CF-RAY": "8a1b2c3d4e5f6a7b-FRA"})
        if f.mode == EMPTY:
            return web.Response(body=b"", status=200, content_type=self.malformed_type)
        if f.mode == MALFORMED:
            return web.Response(body=self.malformed_body, content_type=self.malformed_type)
        if f.mode == GARBAGE:
            return web.Response(body=os.urandom(512).replace(b"<", b"(") + b"\xff\xfe\x00",
                                content_type=self.malformed_type)
        # HANG: answer nothing until the client gives up (or hang_seconds passes).
        await asyncio.sleep(self.hang_seconds)
        return web.Response(body=b"", content_type=self.malformed_type)


# ---------------------------------------------------------------------------------------
# YTS


def _no_match() -> dict[str, Any]:
    return {"status": "ok", "status_message": "Query was successful",
            "data": {"movie_count": 0, "limit": 20, "page_number": 1},
            "@meta": {"server_time": 1718000000, "server_timezone": "CET", "api_version": 2,
                      "execution_time": "0 ms"}}


def load_yts(root: Path = DATA / "yts") -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.json"))}


class FakeYts(FakeSite):
    """The fake YTS. `origin` is a mirror for `YtsOptions(mirrors=...)`."""

    malformed_body = (b'{"status":"ok","status_message":"Query was successful","data":'
                      b'{"movie_count":1,"limit":20,"page_number":1,"movies":[{"id":3175,'
                      b'"imdb_code":"tt0133093","title":"The Matrix","torr')
    malformed_type = "application/json"

    def __init__(self, *, hang_seconds: float = 5.0) -> None:
        super().__init__(hang_seconds=hang_seconds)
        self.answers = load_yts()

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v2/list_movies.json", self.handler(self._list_movies))

    async def _list_movies(self, request: web.Request) -> web.StreamResponse:
        term = request.query.get("query_term", "").strip()
        if term in self.answers:
            return web.json_response(self.answers[term])
        words = term.casefold()
        movies = [m for answer in self.answers.values() for m in answer["data"]["movies"]
                  if words and words in m["title"].casefold()]
        if not movies:
            return web.json_response(_no_match())
        body = _no_match()
        body["data"].update(movie_count=len(movies), movies=movies)
        return web.json_response(body)


@contextlib.asynccontextmanager
async def running_fake_yts(**kwargs: Any) -> AsyncIterator[FakeYts]:
    fake = FakeYts(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def yts_server() -> AsyncIterator[FakeYts]:
    """A fresh fake YTS per test (it starts in milliseconds)."""
    async with running_fake_yts() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake YTS API on loopback, for manual runs.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--fail", choices=MODES, help="fail every request this way")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> None:
        fake = FakeYts()
        if args.fail:
            fake.fail(args.fail)
        await fake.start(args.port)
        log.info("fake YTS at %s (try %s/api/v2/list_movies.json?query_term=tt0133093)",
                 fake.origin, fake.origin)
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
