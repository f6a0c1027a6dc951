"""A local fake of TheRARBG's HTML pages on 127.0.0.1, with switchable failures.

`GET /get-posts/keywords:<imdb id>[:more:filters]/` replays the recorded search page
`providers_data/therarbg/list_<imdb id>.html` (a results table of `tr.list-entry` rows:
category, name linking to `/post-detail/<id>/<slug>/`, added, size, seeders,
leechers); other keywords get the site's empty result page.
`GET /post-detail/<id>/<slug>/` replays `detail_<id>.html` (the `table.detailTable` with
the magnet), 404 otherwise. The recordings cover films (The Matrix, Interstellar) and
series with single episodes, multi-episode files and season packs (Breaking Bad, Game of
Thrones), plus rows a parser must survive (no detail link, non-numeric seeders, a
detail page without a magnet, a base32 magnet).

Failure modes and request recording are `tests.fakes.yts_server.FakeSite`'s; MALFORMED
here is an HTML page cut off before its table.

    async with running_fake_therarbg() as fake:
        fake.fail(CLOUDFLARE, "/get-posts/*", status=503)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.yts_server import DATA, MODES, FakeSite

log = logging.getLogger(__name__)

ROOT = DATA / "therarbg"
_SAFE = re.compile(r"[A-Za-z0-9_-]+")


class FakeTheRarbg(FakeSite):
    """The fake TheRARBG. `origin` is a mirror for `TheRarbgOptions(mirrors=...)`."""

    malformed_body = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      b"<title>Search for tt0133093 - TheRarBg</title></head><body>"
                      b"<nav class=\"navbar\"><a href=\"/\">TheRarBg</a></nav>"
                      b"<div class=\"container-fluid\"><div class=\"row p-1\"><div class=\"co")
    malformed_type = "text/html"

    def __init__(self, *, hang_seconds: float = 5.0, root: Path = ROOT) -> None:
        super().__init__(hang_seconds=hang_seconds)
        self.root = root

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/get-posts/{spec}/", self.handler(self._list))
        app.router.add_get("/post-detail/{id}/{slug}/", self.handler(self._detail))

    def _page(self, name: str) -> str | None:
        path = self.root / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    async def _list(self, request: web.Request) -> web.StreamResponse:
        # "keywords:tt0133093:category:Movies" -> {"keywords": "tt0133093", ...}
        parts = request.match_info["spec"].split(":")
        spec = dict(zip(parts[::2], parts[1::2], strict=False))
        keywords = spec.get("keywords", "")
        page = self._page(f"list_{keywords}.html") if _SAFE.fullmatch(keywords) else None
        if page is None:
            page = (self._page("list_empty.html") or "").replace("{keywords}", keywords)
        return web.Response(text=page, content_type="text/html")

    async def _detail(self, request: web.Request) -> web.StreamResponse:
        post_id = request.match_info["id"]
        page = self._page(f"detail_{post_id}.html") if _SAFE.fullmatch(post_id) else None
        if page is None:
            return web.Response(text="<html><body><h1>Not Found</h1></body></html>",
                                status=404, content_type="text/html")
        return web.Response(text=page, content_type="text/html")


@contextlib.asynccontextmanager
async def running_fake_therarbg(**kwargs: Any) -> AsyncIterator[FakeTheRarbg]:
    fake = FakeTheRarbg(**kwargs)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def therarbg_server() -> AsyncIterator[FakeTheRarbg]:
    """A fresh fake TheRARBG per test."""
    async with running_fake_therarbg() as fake:
        yield fake


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake TheRARBG on loopback, for manual runs.")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--fail", choices=MODES, help="fail every request this way")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> None:
        fake = FakeTheRarbg()
        if args.fail:
            fake.fail(args.fail)
        await fake.start(args.port)
        log.info("fake TheRARBG at %s (try %s/get-posts/keywords:tt0133093/)", fake.origin,
                 fake.origin)
        try:
            await asyncio.Event().wait()
        finally:
            await fake.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
