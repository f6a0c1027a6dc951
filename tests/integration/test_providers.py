"""YTS and TheRARBG providers with real httpx against the local fakes (127.0.0.1 only):
parsing, every failure -> degraded with its reason, backoff without requests, recovery,
isolation between providers, mirror fallback and the per-provider rate limit."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from miauflix_desktop.services.sources.providers import (
    ProviderBackingOff,
    ProviderBadResponse,
    ProviderBlocked,
    ProviderError,
    ProviderHealth,
    ProviderQuery,
    ProviderRateLimited,
    ProviderState,
    ProviderTimeout,
    ProviderUnavailable,
    SourceProvider,
    TheRarbgOptions,
    TheRarbgProvider,
    YtsOptions,
    YtsProvider,
)
from miauflix_desktop.services.sources.providers.base import (
    Answer,
    Failure,
    FailureKind,
    classify,
    human_duration,
)
from miauflix_desktop.services.sources.providers.therarbg import btih, parse_added, parse_size
from miauflix_desktop.services.sources.providers.yts import parse_list_movies
from tests.fakes.therarbg_server import FakeTheRarbg, running_fake_therarbg
from tests.fakes.yts_server import (
    CLOUDFLARE,
    EMPTY,
    GARBAGE,
    HANG,
    HTML_ERROR,
    HTML_PAGE,
    MALFORMED,
    RATE_LIMITED,
    SERVER_ERROR,
    FakeYts,
    running_fake_yts,
)

MATRIX = ProviderQuery(imdb_id="tt0133093", title="The Matrix", year=1999)
BREAKING_BAD = "tt0903747"
TIMEOUT_S = 0.3
BACKOFF_S = 0.05
HASH = "0123456789abcdef0123456789abcdef01234567"


def fast(**kw) -> dict:
    # Tiny timeouts and backoffs, and no rate limit unless a test sets one.
    return {"timeout_s": TIMEOUT_S, "backoff_base_s": BACKOFF_S, "backoff_max_s": 0.4,
            "rate_max": 1000.0, "rate_period_s": 1.0, **kw}


def yts(*fakes: FakeYts, **kw) -> YtsProvider:
    return YtsProvider(YtsOptions(mirrors=tuple(f.origin for f in fakes), **fast(**kw)))


def rarbg(*fakes: FakeTheRarbg, **kw) -> TheRarbgProvider:
    # 10 detail pages (the shipped default is 6) so every recorded row shape is read.
    kw = {"detail_fetch_limit": 10, **kw}
    return TheRarbgProvider(TheRarbgOptions(mirrors=tuple(f.origin for f in fakes), **fast(**kw)))


@pytest.fixture
async def fake_yts():
    async with running_fake_yts() as fake:
        yield fake


@pytest.fixture
async def fake_rarbg():
    async with running_fake_therarbg() as fake:
        yield fake


async def wait_backoff(provider) -> None:
    await asyncio.sleep(provider.health.retry_in() + 0.01)


# -- YTS parsing -------------------------------------------------------------------------

async def test_yts_turns_the_api_answer_into_releases(fake_yts):
    async with yts(fake_yts) as provider:
        releases = await provider.search(MATRIX)
    assert [r.name for r in releases] == [
        "The Matrix (1999) 720p BluRay x264 2.0 YTS",
        "The Matrix (1999) 1080p BluRay x264 2.0 YTS",
        "The Matrix (1999) 2160p BluRay x265 10bit 5.1 YTS",
        "The Matrix (1999) 1080p WEBRip x265 10bit 5.1 REPACK YTS",
    ]
    best = releases[1]
    assert best.provider == "yts" and best.imdb_id == "tt0133093"
    assert len(best.info_hash) == 40 and best.info_hash == best.info_hash.lower()
    assert best.torrent_url == f"https://yts.mx/torrent/download/{best.info_hash.upper()}"
    assert (best.size_bytes, best.seeds, best.peers) == (1932735283, 1402, 97)
    assert (best.quality, best.release_type, best.magnet) == ("1080p", "bluray", None)
    assert best.uploaded_at == datetime.fromtimestamp(1446320855, UTC)
    request = fake_yts.requests[-1]
    assert request.path == "/api/v2/list_movies.json"
    assert request.query["query_term"] == "tt0133093"
    assert "miauflix-desktop" in request.user_agent
    snap = provider.snapshot()
    assert (snap.state, snap.reason, snap.requests_ok, snap.requests_failed) == (
        ProviderState.HEALTHY, "", 1, 0)
    assert snap.next_retry_at is None and snap.last_ok_at is not None


async def test_yts_title_fallback_unknown_ids_and_series(fake_yts):
    async with yts(fake_yts) as provider:
        by_title = await provider.search(ProviderQuery(title="Inception", year=2010))
        assert {r.quality for r in by_title} == {"720p", "1080p"}
        assert fake_yts.requests[-1].query["query_term"] == "Inception"
        assert await provider.search(ProviderQuery(title="Inception", year=1980)) == []
        assert await provider.search(ProviderQuery(imdb_id="tt9999999")) == []
        asked = fake_yts.count()
        show = ProviderQuery(imdb_id=BREAKING_BAD, kind="tv", season=1, episode=1)
        assert await provider.search(show) == []  # YTS has no series: nothing is sent
        assert fake_yts.count() == asked
    assert provider.health.state is ProviderState.HEALTHY


# -- TheRARBG parsing --------------------------------------------------------------------

async def test_therarbg_fetches_detail_pages_for_the_best_rows_only(fake_rarbg):
    async with rarbg(fake_rarbg, detail_fetch_limit=5) as provider:
        releases = await provider.search(MATRIX)
    assert fake_rarbg.count("/get-posts/*") == 1
    assert fake_rarbg.requests[0].path == "/get-posts/keywords:tt0133093/"
    # the five rows with most seeders; "mxgone" (900 seeders) has no magnet and is skipped
    assert sorted(r.path.split("/")[2] for r in fake_rarbg.requests[1:]) == sorted(
        ["mx1080a", "mxgone", "mx2160", "mxweb", "mxhevc"])
    assert [r.name for r in releases] == [
        "The.Matrix.1999.1080p.BluRay.x264-AMIABLE",
        "The.Matrix.1999.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.5.1-SWTYBLZ",
        "The.Matrix.1999.1080p.HMAX.WEB-DL.DDP5.1.Atmos.H.264-FLUX",
        "The Matrix (1999) 1080p BrRip x265 HEVC 10bit AAC 5.1 Tigole",
    ]
    first, uhd = releases[0], releases[1]
    assert (first.provider, first.imdb_id, first.seeds, first.peers) == (
        "therarbg", "tt0133093", 1024, 88)
    assert first.size_bytes == 11811160064
    assert first.magnet.startswith(f"magnet:?xt=urn:btih:{first.info_hash.upper()}")
    assert first.uploaded_at == datetime.fromtimestamp(1718000000 - 2 * 365 * 86400, UTC)
    # that one's magnet carries a base32 btih; the hash is still 40 lowercase hex
    assert "urn:btih:UUA63DYJ" in uhd.magnet
    assert uhd.info_hash == btih(uhd.magnet) and len(uhd.info_hash) == 40
    assert all(r.info_hash == r.info_hash.lower() for r in releases)
    assert provider.health.state is ProviderState.HEALTHY


async def test_therarbg_skips_broken_rows_and_reads_pages_without_closing_tags(fake_rarbg):
    async with rarbg(fake_rarbg) as provider:
        matrix = await provider.search(MATRIX)
        interstellar = await provider.search(ProviderQuery(imdb_id="tt0816692"))
    # 12 result rows (+ a row without a link and an advert): 10 fetched, 1 has no magnet
    assert len(matrix) == 9 and fake_rarbg.count("/post-detail/*") == 10 + 3
    assert all("NO.LINK" not in r.name for r in matrix)
    odd = [r for r in matrix if "Open.Matte" in r.name]
    assert not odd  # 11th by seeders ("n/a"): beyond the limit of 10 set above
    assert [r.seeds for r in interstellar] == [2100, 870, 380]  # list without </td>s
    assert interstellar[0].size_bytes == int(15.8 * 1024**3)


async def test_therarbg_non_numeric_seeders_are_unknown_not_fatal(fake_rarbg):
    async with rarbg(fake_rarbg, detail_fetch_limit=20) as provider:
        releases = await provider.search(MATRIX)
    odd = next(r for r in releases if "Open.Matte" in r.name)
    assert (odd.seeds, odd.peers) == (None, None)


async def test_therarbg_episode_search_keeps_the_episode_and_season_packs(fake_rarbg):
    async with rarbg(fake_rarbg) as provider:
        episode = await provider.search(
            ProviderQuery(imdb_id=BREAKING_BAD, kind="tv", season=1, episode=1))
        season2 = await provider.search(ProviderQuery(imdb_id=BREAKING_BAD, kind="tv", season=2))
        got = await provider.search(
            ProviderQuery(imdb_id="tt0944947", kind="tv", season=8, episode=6))
    assert {r.name for r in episode} == {
        "Breaking.Bad.S01E01.720p.BluRay.x264-DEMAND",
        "Breaking.Bad.S01E01.Pilot.1080p.BluRay.x265.10bit-NTb",
        "Breaking.Bad.S01E01E02.1080p.WEB.h264-DUAL",
        "Breaking.Bad.S01.1080p.BluRay.x264-ROVERS",
        "Breaking Bad Season 1 Complete 720p WEB-DL x264 [i_c]",
        "Breaking.Bad.Complete.Series.S01-S05.1080p.BluRay.x265.10bit.AAC.5.1-Vyndros",
    }
    assert {r.name for r in season2} == {
        "Breaking.Bad.S02E03.1080p.BluRay.x264-ROVERS",
        "Breaking.Bad.S02.720p.BluRay.x264-DEMAND",
        "Breaking.Bad.Complete.Series.S01-S05.1080p.BluRay.x265.10bit.AAC.5.1-Vyndros",
    }
    assert len(got) == 3 and not any("S01E01" in r.name for r in got)
    assert all(r.imdb_id for r in episode + season2 + got)


async def test_therarbg_empty_result_page_is_a_healthy_empty_answer(fake_rarbg):
    async with rarbg(fake_rarbg) as provider:
        assert await provider.search(ProviderQuery(imdb_id="tt9999999")) == []
        assert await provider.search(ProviderQuery(title="Nothing Like It", year=2001)) == []
    assert fake_rarbg.requests[-1].path == "/get-posts/keywords:Nothing Like It 2001/"
    assert provider.health.state is ProviderState.HEALTHY


# -- failures ----------------------------------------------------------------------------

FAILURES = [
    # mode, status, error class, reason (YTS), reason (TheRARBG)
    (RATE_LIMITED, None, ProviderRateLimited, "rate limited (retry in 30 s)", None),
    (CLOUDFLARE, 403, ProviderBlocked, "Cloudflare challenge", None),
    (CLOUDFLARE, 503, ProviderBlocked, "Cloudflare challenge", None),
    (SERVER_ERROR, None, ProviderUnavailable, "server error (HTTP 500)", None),
    (HTML_ERROR, None, ProviderUnavailable, "server error (HTTP 503)", None),
    (HTML_PAGE, None, ProviderBadResponse, "answered an HTML page instead of data",
     "answered garbage"),
    (EMPTY, None, ProviderBadResponse, "answered an empty page", None),
    (MALFORMED, None, ProviderBadResponse, "answered garbage", None),
    (GARBAGE, None, ProviderBadResponse, "answered garbage", None),
    (HANG, None, ProviderTimeout, "timed out", None),
]


@pytest.mark.parametrize("site", ["yts", "therarbg"])
@pytest.mark.parametrize(("mode", "status", "error", "reason", "rarbg_reason"), FAILURES,
                         ids=[f"{f[0]}-{f[1]}" if f[1] else f[0] for f in FAILURES])
async def test_each_failure_degrades_with_its_reason(site, mode, status, error, reason,
                                                     rarbg_reason):
    running = running_fake_yts if site == "yts" else running_fake_therarbg
    make = yts if site == "yts" else rarbg
    async with running() as fake, make(fake) as provider:
        fake.fail(mode, status=status, retry_after=30)
        started = time.monotonic()
        with pytest.raises(error) as caught:
            await provider.search(MATRIX)
        assert time.monotonic() - started < TIMEOUT_S + 1.0
    expected = (rarbg_reason if site == "therarbg" and rarbg_reason else reason)
    snap = provider.snapshot()
    assert (snap.state, snap.reason) == (ProviderState.DEGRADED, expected)
    assert (snap.requests_ok, snap.requests_failed, snap.consecutive_failures) == (0, 1, 1)
    assert snap.since is not None and snap.next_retry_at is not None
    assert isinstance(caught.value, ProviderError) and caught.value.reason == expected
    assert str(caught.value).startswith(f"{provider.name} unavailable: {expected}")
    assert type(caught.value) is error
    if mode == RATE_LIMITED:  # Retry-After (30 s) beats the tiny test backoff
        assert 29 < provider.health.retry_in() <= 30
        assert snap.next_retry_at - datetime.now(UTC) > timedelta(seconds=29)


async def test_backoff_sends_nothing_doubles_and_recovers(fake_yts):
    fake_yts.fail(SERVER_ERROR, times=2)
    async with yts(fake_yts) as provider:
        with pytest.raises(ProviderUnavailable):
            await provider.search(MATRIX)
        first_pause = provider.health.retry_in()
        assert 0 < first_pause <= BACKOFF_S
        for _ in range(5):  # while backing off: refused at once, nothing sent
            started = time.monotonic()
            with pytest.raises(ProviderBackingOff, match="YTS unavailable: server error"):
                await provider.search(MATRIX)
            assert time.monotonic() - started < 0.01
        assert fake_yts.count() == 1

        await wait_backoff(provider)
        with pytest.raises(ProviderUnavailable):
            await provider.search(MATRIX)  # asked again after the pause: fails again
        assert fake_yts.count() == 2
        assert BACKOFF_S < provider.health.retry_in() <= 2 * BACKOFF_S  # doubled
        assert provider.health.consecutive_failures == 2

        await wait_backoff(provider)
        releases = await provider.search(MATRIX)  # the site is fine again
    assert len(releases) == 4 and fake_yts.count() == 3
    snap = provider.snapshot()
    assert (snap.state, snap.reason, snap.consecutive_failures) == (ProviderState.HEALTHY, "", 0)
    assert (snap.requests_ok, snap.requests_failed, snap.next_retry_at) == (1, 2, None)


async def test_a_failing_provider_never_stops_another(fake_yts, fake_rarbg):
    fake_rarbg.fail(HANG)
    async with yts(fake_yts) as good, rarbg(fake_rarbg) as bad:
        results = await asyncio.gather(good.search(MATRIX), bad.search(MATRIX),
                                       return_exceptions=True)
        assert len(results[0]) == 4 and isinstance(results[1], ProviderTimeout)
        fake_rarbg.clear_failures()
        fake_yts.fail(CLOUDFLARE)
        await wait_backoff(bad)
        results = await asyncio.gather(good.search(MATRIX), bad.search(MATRIX),
                                       return_exceptions=True)
        assert isinstance(results[0], ProviderBlocked) and len(results[1]) == 9
    assert good.health.state is ProviderState.DEGRADED
    assert bad.health.state is ProviderState.HEALTHY


# -- mirrors -----------------------------------------------------------------------------

async def test_yts_falls_back_to_the_next_mirror_and_stays_there():
    async with running_fake_yts() as dead, running_fake_yts() as alive:
        dead.fail(SERVER_ERROR)
        async with yts(dead, alive) as provider:
            assert len(await provider.search(MATRIX)) == 4
            assert (dead.count(), alive.count()) == (1, 1)
            assert provider.active_mirror == alive.origin
            assert len(await provider.search(MATRIX)) == 4
            assert (dead.count(), alive.count()) == (1, 2)  # the working one is asked first
    snap = provider.snapshot()
    assert (snap.state, snap.requests_ok, snap.requests_failed) == (ProviderState.HEALTHY, 2, 1)


async def test_mirrors_given_with_the_api_path_are_not_doubled(fake_yts):
    options = YtsOptions(mirrors=(f"{fake_yts.origin}/api/v2/",), **fast())
    async with YtsProvider(options) as provider:
        assert len(await provider.search(MATRIX)) == 4
    assert fake_yts.requests[-1].path == "/api/v2/list_movies.json"


async def test_all_mirrors_failing_reports_the_most_telling_reason():
    async with running_fake_yts() as blocked, running_fake_yts() as broken:
        blocked.fail(CLOUDFLARE)
        broken.fail(SERVER_ERROR)
        async with yts(blocked, broken) as provider:
            with pytest.raises(ProviderBlocked):
                await provider.search(MATRIX)
        assert (blocked.count(), broken.count()) == (1, 1)
    assert provider.health.reason == "Cloudflare challenge"
    assert provider.snapshot().requests_failed == 2


async def test_rate_limited_mirror_does_not_send_us_to_the_others():
    async with running_fake_yts() as busy, running_fake_yts() as other:
        busy.fail(RATE_LIMITED, retry_after=12)
        async with yts(busy, other) as provider:
            with pytest.raises(ProviderRateLimited, match=r"rate limited \(retry in 12 s\)"):
                await provider.search(MATRIX)
        assert (busy.count(), other.count()) == (1, 0)


async def test_therarbg_mirror_fallback_fetches_details_from_the_answering_mirror():
    async with running_fake_therarbg() as blocked, running_fake_therarbg() as alive:
        blocked.fail(CLOUDFLARE, status=503)
        async with rarbg(blocked, alive, detail_fetch_limit=3) as provider:
            releases = await provider.search(MATRIX)
        assert len(releases) == 2  # one of the three best has no magnet
        assert blocked.count() == 1 and blocked.count("/post-detail/*") == 0
        assert alive.count("/get-posts/*") == 1 and alive.count("/post-detail/*") == 3


# -- detail-page failures ----------------------------------------------------------------

async def test_rate_limit_on_detail_pages_keeps_what_was_found_and_backs_off(fake_rarbg):
    fake_rarbg.fail(RATE_LIMITED, "/post-detail/*", skip=2, retry_after=60)
    async with rarbg(fake_rarbg, detail_concurrency=1) as provider:
        releases = await provider.search(MATRIX)
        assert fake_rarbg.count("/post-detail/*") == 3  # stopped at the first 429
        assert len(releases) == 1  # mx1080a; mxgone (2nd) has no magnet
        assert provider.health.reason == "rate limited (retry in 60 s)"
        with pytest.raises(ProviderBackingOff):
            await provider.search(MATRIX)
    assert fake_rarbg.count() == 4


async def test_detail_pages_all_failing_degrades(fake_rarbg):
    fake_rarbg.fail(SERVER_ERROR, "/post-detail/*", status=502)
    async with rarbg(fake_rarbg, detail_fetch_limit=3) as provider:
        with pytest.raises(ProviderUnavailable, match=r"server error \(HTTP 502\)"):
            await provider.search(MATRIX)
    snap = provider.snapshot()
    assert (snap.requests_ok, snap.requests_failed) == (1, 3)


async def test_a_missing_detail_page_costs_only_its_row(fake_rarbg):
    fake_rarbg.fail(SERVER_ERROR, "/post-detail/mx2160/*", status=404)
    async with rarbg(fake_rarbg, detail_fetch_limit=3) as provider:
        releases = await provider.search(MATRIX)
    assert [r.name for r in releases] == ["The.Matrix.1999.1080p.BluRay.x264-AMIABLE"]
    assert provider.health.state is ProviderState.HEALTHY


# -- rate limit ----------------------------------------------------------------------------

async def test_yts_rate_limit_spaces_requests(fake_yts):
    n, burst, period = 9, 3, 0.3  # 3 per 0.3 s = 10/s
    async with yts(fake_yts, rate_max=burst, rate_period_s=period) as provider:
        results = await asyncio.gather(*(provider.search(MATRIX) for _ in range(n)))
    assert all(len(r) == 4 for r in results)
    times = [r.at for r in fake_yts.requests]
    assert len(times) == n
    # leaky bucket: a burst of `burst`, then one every period/burst seconds. (Only lower
    # bounds: a busy CI loop can record paced requests late and bunched, never early.)
    assert times[-1] - times[0] >= (n - burst) * period / burst * 0.85
    assert sum(1 for t in times if t < times[0] + period / burst * 0.5) <= burst + 1


async def test_therarbg_rate_limit_covers_detail_pages(fake_rarbg):
    burst, period = 2, 0.2  # 10/s
    async with rarbg(fake_rarbg, rate_max=burst, rate_period_s=period,
                     detail_fetch_limit=5, detail_concurrency=5) as provider:
        assert len(await provider.search(MATRIX)) == 4
    times = [r.at for r in fake_rarbg.requests]
    assert len(times) == 6
    assert times[-1] - times[0] >= (6 - burst) * period / burst * 0.85


# -- pure parts ----------------------------------------------------------------------------

def response(status: int = 200, body: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers,
                          request=httpx.Request("GET", "http://127.0.0.1/"))


def test_classify_recognises_challenges_without_the_header():
    page = b"<html><head><title>Just a moment...</title></head><body></body></html>"
    with pytest.raises(Failure) as caught:
        classify(response(503, page, server="cloudflare"), "html")
    assert caught.value.kind is FailureKind.CHALLENGE
    with pytest.raises(Failure) as caught:
        classify(response(403, b"<html><script src='/cdn-cgi/challenge-platform/x'>"), "json")
    assert caught.value.kind is FailureKind.CHALLENGE
    # an ordinary page that merely says "Just a moment..." is not a challenge
    assert "Just a moment" in classify(response(200, b"<p>Just a moment...</p>"), "html")


def test_classify_retry_after_and_shapes():
    with pytest.raises(Failure) as caught:
        classify(response(429, b"", **{"Retry-After": "120"}), "json")
    assert (caught.value.kind, caught.value.retry_after) == (FailureKind.RATE_LIMITED, 120.0)
    with pytest.raises(Failure, match="answered an HTML page"):
        classify(response(200, b"<!doctype html><p>hi", **{"content-type": "text/html"}), "json")
    with pytest.raises(Failure, match="answered garbage"):
        classify(response(200, b"\x00\x01binary"), "html")
    with pytest.raises(Failure, match="answered an empty page"):
        classify(response(200, b"  \n"), "json")
    with pytest.raises(Failure, match=r"refused the request \(HTTP 404\)"):
        classify(response(404, b"{}"), "json")
    assert classify(response(200, b'{"status": "ok"}'), "json") == {"status": "ok"}


def test_yts_parser_skips_bad_torrents_and_rejects_bad_roots():
    def parse(body):
        return parse_list_movies(Answer("http://127.0.0.1/", body), MATRIX)

    good = {"hash": HASH.upper(), "quality": "720p", "type": "web", "video_codec": "x264",
            "seeds": "many", "size": "1.5 GB"}
    movies = [{"imdb_code": "tt0133093", "title": "The Matrix", "year": 1999,
               "torrents": [good, {"hash": "nope"}, "text", {**good}]},
              {"imdb_code": "tt0234215", "title": "The Matrix Reloaded", "year": 2003,
               "torrents": [{**good, "hash": "f" * 40}]},
              {"imdb_code": "tt0133093", "title": "The Matrix", "torrents": {"bad": 1}}]
    [release] = parse({"status": "ok", "data": {"movie_count": 3, "movies": movies}})
    assert (release.name, release.seeds) == ("The Matrix (1999) 720p WEBRip x264 YTS", None)
    assert release.size_bytes == int(1.5 * 1024**3) and release.info_hash == HASH
    for body, reason in [([], "answered garbage"), ({"status": "ok", "data": []},
                                                    "answered garbage"),
                         ({"status": "error", "status_message": "Bad term"},
                          "answered an error"),
                         ({"status": "ok", "data": {"movies": "none"}}, "answered garbage")]:
        with pytest.raises(Failure) as caught:
            parse(body)
        assert caught.value.reason == reason


def test_health_backoff_is_exponential_capped_and_honours_retry_after():
    now = [100.0]
    wall = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    health = ProviderHealth("x", "X", backoff_base_s=10, backoff_max_s=60,
                            max_retry_after_s=300, clock=lambda: now[0], wall=lambda: wall)
    assert health.snapshot().state is ProviderState.UNKNOWN and health.retry_in() == 0
    assert [health.record_failure("answered garbage") for _ in range(5)] == [10, 20, 40, 60, 60]
    assert health.record_failure("rate limited", 80, show_delay=True) == 80
    assert health.reason == "rate limited (retry in 80 s)"
    assert health.record_failure("rate limited", 9999) == 300  # a silly Retry-After is capped
    snap = health.snapshot()
    assert snap.next_retry_at == wall + timedelta(seconds=300) and snap.since == wall
    now[0] += 299.5
    assert health.retry_in() == pytest.approx(0.5)
    now[0] += 1
    assert health.retry_in() == 0
    health.record_success()
    assert (health.state, health.reason, health.consecutive_failures) == (
        ProviderState.HEALTHY, "", 0)
    assert health.record_failure("timed out") == 10  # the doubling starts over


def test_small_helpers():
    assert [human_duration(s) for s in (0.2, 30, 89, 150, 7200)] == [
        "1 s", "30 s", "89 s", "3 min", "2 h"]
    assert parse_size("1,5 GB") == int(1.5 * 1024**3) and parse_size("700 MiB") == 700 * 1024**2
    assert parse_size("?") == 0
    now = datetime(2024, 6, 1, tzinfo=UTC)
    assert parse_added("3 days ago", now) == now - timedelta(days=3)
    assert parse_added("an hour ago", now) == now - timedelta(hours=1)
    assert parse_added("2023-05-01", now) == datetime(2023, 5, 1, tzinfo=UTC)
    assert parse_added("whenever", now) is None
    assert btih(f"magnet:?xt=urn:btih:{HASH.upper()}&dn=x") == HASH
    assert btih("magnet:?xt=urn:sha1:abc") is None and btih("http://x") is None


def test_queries_options_and_the_protocol():
    with pytest.raises(ValueError):
        ProviderQuery(imdb_id="0133093")
    with pytest.raises(ValueError):
        ProviderQuery(title="  ")
    with pytest.raises(ValueError):
        ProviderQuery(imdb_id="tt0133093", season=1)  # a film has no season
    with pytest.raises(ValueError):
        ProviderQuery(imdb_id=BREAKING_BAD, kind="tv", episode=3)
    options = TheRarbgOptions.from_settings({
        "mirrors": ["https://a.example", "https://b.example"], "rate_max": 4,
        "detail_fetch_limit": 6, "timeout_s": "fast", "unknown": 1})
    assert options.mirrors == ("https://a.example", "https://b.example")
    assert (options.rate_max, options.detail_fetch_limit, options.timeout_s) == (4.0, 6, 10.0)
    assert YtsOptions.from_settings(None).mirrors[0] == "https://yts.mx"
    assert isinstance(YtsProvider(), SourceProvider)
    assert isinstance(TheRarbgProvider(), SourceProvider)
    with pytest.raises(ValueError):
        YtsProvider(YtsOptions(mirrors=()))


async def test_searching_before_start_is_a_programming_error():
    with pytest.raises(RuntimeError):
        await YtsProvider(YtsOptions(mirrors=("http://127.0.0.1:9",))).search(MATRIX)
