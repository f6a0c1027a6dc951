"""The fake TMDB itself: the importable fixture, auth, failure switching, images, counting."""

import httpx
import pytest

from tests.fakes.tmdb_server import (
    HTML_503,
    RATE_LIMITED,
    FakeTmdb,
    tiny_png,
    tmdb_server,  # noqa: F401  (the fixture other suites import or list in pytest_plugins)
)


async def test_fixture_serves_tmdb_shapes_and_checks_auth(tmdb_server: FakeTmdb):  # noqa: F811
    async with httpx.AsyncClient(base_url=tmdb_server.base_url) as http:
        denied = await http.get("/configuration")
        assert denied.status_code == 401 and denied.json()["status_code"] == 7
        ok = await http.get("/movie/603", params={"api_key": tmdb_server.api_key})
        assert ok.status_code == 200 and ok.json()["title"] == "The Matrix"
        bearer = {"Authorization": f"Bearer {tmdb_server.read_token}"}
        missing = await http.get("/movie/1", headers=bearer)
        assert missing.status_code == 404 and missing.json()["status_code"] == 34
    assert tmdb_server.count("/movie/*") == 2 and tmdb_server.count() == 3


async def test_failures_are_per_path_counted_and_clearable(tmdb_server):  # noqa: F811
    tmdb_server.fail(RATE_LIMITED, "/tv/*", times=2, retry_after=7)
    tmdb_server.fail(HTML_503, "/configuration")
    params = {"api_key": tmdb_server.api_key}
    async with httpx.AsyncClient(base_url=tmdb_server.base_url, params=params) as http:
        statuses = [(await http.get("/tv/1920")).status_code for _ in range(3)]
        assert statuses == [429, 429, 200]
        limited = [r for r in tmdb_server.requests if r.status == 429]
        assert len(limited) == 2
        page = await http.get("/configuration")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        tmdb_server.clear_failures()
        assert (await http.get("/configuration")).status_code == 200
    with pytest.raises(ValueError):
        tmdb_server.fail("teapot")


async def test_images_are_valid_pngs_at_the_asked_size(tmdb_server):  # noqa: F811
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{tmdb_server.image_base_url}w185/abc.jpg")
    assert r.status_code == 200 and r.content == tiny_png(185, 277, "abc.jpg")
    width, height = int.from_bytes(r.content[16:20]), int.from_bytes(r.content[20:24])
    assert (width, height) == (185, 277)
