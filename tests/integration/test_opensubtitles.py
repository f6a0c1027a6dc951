"""OpenSubtitlesClient and SubtitleFinder against the local fake API (real aiohttp server,
real httpx client), failures included, and a downloaded file loaded into a real mpv."""

from __future__ import annotations

import email.utils
import struct
from pathlib import Path

import pytest
from aiohttp import web

from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.subtitles.finder import MediaIds, SubtitleFinder
from miauflix_desktop.services.subtitles.opensubtitles import (
    OpenSubtitlesAuthError,
    OpenSubtitlesBadResponse,
    OpenSubtitlesClient,
    OpenSubtitlesQuotaExceeded,
    OpenSubtitlesRateLimited,
    OpenSubtitlesUnavailable,
    movie_hash,
    movie_hash_from_url,
    retry_after_seconds,
)
from tests.fakes.opensubtitles_server import (
    API_KEY,
    QUOTA,
    SRT_DE,
    FakeOpenSubtitles,
    running_fake_opensubtitles,
)
from tests.fakes.yts_server import (
    GARBAGE,
    HANG,
    HTML_ERROR,
    HTML_PAGE,
    MALFORMED,
    RATE_LIMITED,
    SERVER_ERROR,
)
from tests.ui.fakes import build_ports


@pytest.fixture
async def fake():
    async with running_fake_opensubtitles(hang_seconds=3.0) as server:
        yield server


def client_for(fake: FakeOpenSubtitles, key: str = API_KEY, **kwargs) -> OpenSubtitlesClient:
    opts = {"rate_per_second": 50.0, "backoff_s": 0.01, "timeout_s": 1.0, **kwargs}
    return OpenSubtitlesClient(key, base_url=fake.base_url, **opts)


async def test_search_by_imdb_in_preferred_languages(fake: FakeOpenSubtitles) -> None:
    client = client_for(fake)
    try:
        results = await client.search(imdb_id="tt1727587", languages=["de", "en"])
    finally:
        await client.aclose()
    assert [r.language for r in results] == ["de", "en", "en"]  # preferred order first
    assert results[1].release == "Sintel.2010.1080p.BluRay.x264"
    assert results[1].downloads == 15234 and results[1].file_id == 7001
    assert results[2].hearing_impaired
    # One request, parameters sorted and lowercase (no redirect), the API's headers.
    assert fake.count("/api/v1/subtitles") == 1
    assert fake.requests[0].query == {"imdb_id": "1727587", "languages": "de,en"}
    assert fake.headers[0]["Api-Key"] == API_KEY
    assert fake.headers[0]["User-Agent"].startswith("Miauflix")


async def test_search_by_tmdb_id_and_unknown_film(fake: FakeOpenSubtitles) -> None:
    client = client_for(fake)
    try:
        assert len(await client.search(tmdb_id=45745)) == 4
        assert await client.search(tmdb_id=1, languages=["en"]) == []
        with pytest.raises(ValueError):
            await client.search(languages=["en"])
    finally:
        await client.aclose()


async def test_download_saves_into_the_cache(fake: FakeOpenSubtitles, tmp_path: Path) -> None:
    client = client_for(fake)
    try:
        path = await client.download(7003, tmp_path / "subs")
    finally:
        await client.aclose()
    assert path.parent == tmp_path / "subs" and path.suffix == ".srt"
    assert path.read_text() == SRT_DE
    assert fake.download_bodies == [{"file_id": 7003}]
    assert not list((tmp_path / "subs").glob("*.part"))


async def test_the_file_host_never_sees_the_api_key(fake: FakeOpenSubtitles,
                                                     tmp_path: Path) -> None:
    client = client_for(fake)
    try:
        await client.download(7003, tmp_path / "subs")
        assert fake.file_headers and "api-key" not in {
            k.lower() for k in fake.file_headers[-1]}
        # A plain-http link to another host is refused before any request is made.
        fake.link_origin = fake.origin.replace("127.0.0.1", "localhost")
        fetched = len(fake.file_headers)
        with pytest.raises(OpenSubtitlesBadResponse):
            await client.download(7003, tmp_path / "subs")
        assert len(fake.file_headers) == fetched
    finally:
        await client.aclose()


@pytest.mark.parametrize(("mode", "error", "text"), [
    (SERVER_ERROR, OpenSubtitlesUnavailable, "not answering"),
    (HTML_ERROR, OpenSubtitlesUnavailable, "not answering"),
    (HTML_PAGE, OpenSubtitlesBadResponse, "unreadable"),
    (MALFORMED, OpenSubtitlesBadResponse, "unreadable"),
    (GARBAGE, OpenSubtitlesBadResponse, "unreadable"),
])
async def test_failures_are_clear(fake: FakeOpenSubtitles, mode: str, error: type,
                                  text: str) -> None:
    fake.fail(mode, "/api/v1/subtitles")
    client = client_for(fake, max_retries=2)
    try:
        with pytest.raises(error, match=text):
            await client.search(imdb_id="tt1727587")
    finally:
        await client.aclose()
    # 5xx is retried; a 200 with the wrong body is a real answer and is not
    expected = 3 if error is OpenSubtitlesUnavailable else 1
    assert fake.count("/api/v1/subtitles") == expected


async def test_bad_key_is_not_retried(fake: FakeOpenSubtitles) -> None:
    client = client_for(fake, key="wrong")
    try:
        with pytest.raises(OpenSubtitlesAuthError, match="key rejected"):
            await client.search(imdb_id="tt1727587")
    finally:
        await client.aclose()
    assert fake.count("/api/v1/subtitles") == 1


async def test_rate_limit_short_retry_after_is_honoured(fake: FakeOpenSubtitles) -> None:
    fake.fail(RATE_LIMITED, "/api/v1/subtitles", times=1, retry_after=1)
    client = client_for(fake)
    try:
        results = await client.search(imdb_id="tt1727587")
    finally:
        await client.aclose()
    assert results
    first, second = fake.requests
    assert second.at - first.at >= 0.95  # waited for Retry-After


async def test_rate_limit_long_retry_after_is_reported(fake: FakeOpenSubtitles) -> None:
    fake.fail(RATE_LIMITED, "/api/v1/subtitles", retry_after=30)
    client = client_for(fake)
    try:
        with pytest.raises(OpenSubtitlesRateLimited, match="try again in 30 s"):
            await client.search(imdb_id="tt1727587")
    finally:
        await client.aclose()
    assert fake.count("/api/v1/subtitles") == 1


async def test_timeout(fake: FakeOpenSubtitles) -> None:
    fake.fail(HANG, "/api/v1/subtitles")
    client = client_for(fake, timeout_s=0.3, max_retries=1)
    try:
        with pytest.raises(OpenSubtitlesUnavailable, match="did not answer in time"):
            await client.search(imdb_id="tt1727587")
    finally:
        await client.aclose()


async def test_download_quota(fake: FakeOpenSubtitles, tmp_path: Path) -> None:
    fake.fail(QUOTA)
    client = client_for(fake)
    try:
        with pytest.raises(OpenSubtitlesQuotaExceeded, match="limit reached"):
            await client.download(7001, tmp_path)
    finally:
        await client.aclose()
    assert list(tmp_path.iterdir()) == []


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("12") == 12.0
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds(date, now=now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def reference_hash(data: bytes) -> str:
    """The published algorithm, written out plainly (not the code under test)."""
    h = len(data)
    for chunk in (data[:65536], data[-65536:]):
        for i in range(0, 65536, 8):
            h += struct.unpack("<q", chunk[i:i + 8])[0]
            h &= 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


async def test_movie_hash_of_file_and_of_a_ranged_url(tmp_path: Path) -> None:
    data = bytes((i * 7919) % 251 for i in range(300_000))
    path = tmp_path / "film.mkv"
    path.write_bytes(data)
    assert movie_hash(path) == reference_hash(data)

    async def film(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/film", film)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await movie_hash_from_url(f"http://127.0.0.1:{port}/film") == reference_hash(data)
    finally:
        await runner.cleanup()


async def test_finder_downloads_and_mpv_shows_it(fake: FakeOpenSubtitles,
                                                 tmp_path: Path) -> None:
    """Search for the playing film, download the first result, load it in mpv."""
    client = client_for(fake)
    finder = SubtitleFinder(lambda: client, _ids, tmp_path / "cache",
                            languages=lambda: ["de"])
    ports = await build_ports(tmp_path / "media")
    player = PlayerService(vo="null", ao="null", hwdec="no")
    await player.start()
    try:
        url = ports.server.url(1)
        await player.load(url, title="Sintel")
        await player.wait_for(lambda s: s.started, timeout=15)
        results = await finder.search(42, url, "Sintel")
        assert results[0].language == "de"
        path = await finder.download(results[0])
        assert path.is_relative_to(tmp_path / "cache")
        await player.add_subtitle(path)
        state = await player.wait_for(
            lambda s: any(t.type == "sub" and t.selected and t.external for t in s.tracks),
            timeout=10)
        sub = next(t for t in state.sub_tracks if t.selected)
        assert sub.external
    finally:
        await player.stop()
        await ports.aclose()
        await client.aclose()


async def _ids(media_id: int) -> MediaIds:
    assert media_id == 42
    return MediaIds(imdb_id="tt1727587", tmdb_id=45745)


async def test_finder_without_a_key(tmp_path: Path) -> None:
    finder = SubtitleFinder(lambda: None, _ids, tmp_path, languages=lambda: ["en"])
    assert not finder.available()


async def test_episode_by_series_id_season_and_number(fake: FakeOpenSubtitles) -> None:
    client = client_for(fake)
    try:
        await client.search(parent_tmdb_id=1399, season=1, episode=2, languages=["en"])
        await client.search(query="Sintel", languages=["en"])
    finally:
        await client.aclose()
    assert fake.requests[0].query == {"episode_number": "2", "languages": "en",
                                      "parent_tmdb_id": "1399", "season_number": "1"}
    assert fake.requests[1].query == {"languages": "en", "query": "sintel"}
