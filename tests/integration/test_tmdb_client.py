"""TmdbClient against the local fake TMDB: every endpoint, languages, auth styles, failures."""

import asyncio
import socket
import time

import httpx
import pytest

from miauflix_desktop.services.catalog.tmdb import (
    TmdbAuthError,
    TmdbBadResponse,
    TmdbClient,
    TmdbError,
    TmdbNotFound,
    TmdbUnavailable,
)
from tests.fakes.tmdb_server import (
    GARBAGE,
    HANG,
    HTML_200,
    HTML_503,
    MALFORMED_JSON,
    NOT_FOUND,
    RATE_LIMITED,
    SERVER_ERROR,
    UNAUTHORIZED,
    WRONG_TYPES,
    FakeTmdb,
    running_fake_tmdb,
)


@pytest.fixture
async def fake():
    async with running_fake_tmdb() as server:
        yield server


def make(fake: FakeTmdb, **kw) -> TmdbClient:
    # Fast settings: tests must not sleep for real backoffs.
    kw.setdefault("backoff_base_s", 0.01)
    kw.setdefault("max_retries", 2)
    kw.setdefault("timeout_s", 2.0)
    kw.setdefault("rate_per_second", 1000)
    return TmdbClient(kw.pop("credential", fake.api_key), base_url=fake.base_url, **kw)


@pytest.fixture
async def tmdb(fake):
    async with make(fake) as client:
        yield client


@pytest.fixture
async def tmdb_de(fake):
    async with make(fake, language="de-DE") as client:
        yield client


# -- auth -----------------------------------------------------------------------------

async def test_v3_key_goes_in_the_query(fake, tmdb):
    await tmdb.configuration()
    req = fake.requests[-1]
    assert req.query["api_key"] == fake.api_key and req.authorization is None
    assert not tmdb.uses_read_token


async def test_v4_read_token_goes_in_the_bearer_header(fake):
    async with make(fake, credential=f"  {fake.read_token}\n") as client:
        assert client.uses_read_token
        await client.movie(603)
    req = fake.requests[-1]
    assert req.authorization == f"Bearer {fake.read_token}" and "api_key" not in req.query


@pytest.mark.parametrize("credential", ["ffffffffffffffffffffffffffffffff",
                                        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3cm9uZyJ9.d3Jvbmctc2ln"])
async def test_wrong_credential_is_rejected_once_not_retried(fake, credential):
    async with make(fake, credential=credential) as client:
        with pytest.raises(TmdbAuthError, match="TMDB key rejected — check it in Settings"):
            await client.check_key()
    assert fake.count() == 1


async def test_a_new_key_from_settings_takes_effect(fake):
    async with make(fake, credential="bad") as client:
        with pytest.raises(TmdbAuthError):
            await client.check_key()
        client.set_credential(fake.api_key)
        await client.check_key()


async def test_not_started_is_a_programming_error(fake):
    with pytest.raises(RuntimeError):
        await make(fake).configuration()


# -- endpoints ------------------------------------------------------------------------

async def test_configuration_and_images(fake, tmdb):
    cfg = await tmdb.configuration()
    assert cfg.image_base_url == fake.image_base_url
    assert "w342" in cfg.poster_sizes and "w1280" in cfg.backdrop_sizes and cfg.still_sizes
    movie = await tmdb.movie(603)
    async with httpx.AsyncClient() as http:
        r = await http.get(cfg.image_url("w92", movie.poster_path))
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert r.headers["content-type"] == "image/png"
    assert fake.image_requests == [f"/w92{movie.poster_path}"]


async def test_movie_details_in_english(fake, tmdb):
    m = await tmdb.movie(603)
    assert (m.id, m.title, m.imdb_id, m.runtime) == (603, "The Matrix", "tt0133093", 136)
    assert m.release_date.isoformat() == "1999-03-31" and m.certification == "R"
    assert [g.name for g in m.genres] == ["Action", "Science Fiction"]
    assert m.tagline == "Welcome to the Real World." and m.original_language == "en"
    assert m.vote_average == 8.2 and m.popularity > 0 and m.poster_path.startswith("/")
    assert {t.language for t in m.translations} == {"en-US", "de-DE"}
    assert fake.requests[-1].query["append_to_response"] == (
        "translations,external_ids,release_dates")
    assert fake.count() == 1


async def test_movie_in_german(fake, tmdb_de):
    m = await tmdb_de.movie(603)
    assert (m.title, m.tagline, m.certification) == ("Matrix", "Willkommen in der Wirklichkeit.",
                                                     "16")
    assert m.overview.startswith("Ein Hacker")
    amelie = await tmdb_de.movie(194)
    assert amelie.title == "Die fabelhafte Welt der Amélie"
    assert amelie.original_title == "Le Fabuleux Destin d'Amélie Poulain"
    assert [g.name for g in amelie.genres] == ["Komödie", "Liebesfilm"]
    assert fake.count() == 2


async def test_movie_untranslated_fields_fall_back_to_english_without_extra_requests(
        fake, tmdb_de):
    fight_club = await tmdb_de.movie(550)  # German translation with an empty overview
    assert fight_club.overview.startswith("An insomniac")
    assert fight_club.tagline == "Mischief. Mayhem. Soap."
    inception = await tmdb_de.movie(27205)  # no German translation at all
    assert inception.title == "Inception" and inception.overview.startswith("A thief")
    assert fake.count() == 2
    assert {r.query["language"] for r in fake.requests} == {"de-DE"}


async def test_unknown_movie_is_not_found_and_not_retried(fake, tmdb):
    with pytest.raises(TmdbNotFound):
        await tmdb.movie(999999)
    assert fake.count() == 1


async def test_tv_details(tmdb, tmdb_de):
    dark = await tmdb.tv(70523)
    assert (dark.name, dark.original_language, dark.number_of_seasons) == ("Dark", "de", 3)
    assert [s.season_number for s in dark.seasons] == [1, 2, 3]
    assert [s.episode_count for s in dark.seasons] == [10, 8, 8]
    assert dark.imdb_id == "tt5753856" and dark.tvdb_id == 334824
    assert dark.content_rating == "TV-MA" and dark.first_air_date.year == 2017
    assert dark.episode_run_time == (52,) and dark.status == "Ended"
    dark_de = await tmdb_de.tv(70523)
    assert dark_de.overview.startswith("Das Verschwinden") and dark_de.content_rating == "16"
    assert dark_de.seasons[0].name == "Staffel 1"
    fleabag_de = await tmdb_de.tv(67070)  # no German translation -> English overview
    assert fleabag_de.overview.startswith("A sharp")


async def test_season_with_episodes(fake, tmdb):
    season = await tmdb.season(70523, 1)
    assert season.show_id == 70523 and season.season_number == 1 and len(season.episodes) == 10
    first = season.episodes[0]
    assert (first.episode_number, first.name, first.runtime) == (1, "Secrets", 52)
    assert first.air_date.isoformat() == "2017-12-01" and first.still_path.startswith("/")
    assert first.id > 0 and first.vote_average == 8.0
    assert fake.count() == 1
    with pytest.raises(TmdbNotFound):
        await tmdb.season(70523, 9)


async def test_season_language_fallback_only_when_needed(fake, tmdb_de):
    s1 = await tmdb_de.season(70523, 1)  # fully translated
    assert s1.episodes[0].name == "Geheimnisse" and fake.count() == 1
    s3 = await tmdb_de.season(70523, 3)  # untranslated: one extra en-US request
    assert s3.episodes[0].name == "Folge 1"
    assert s3.episodes[0].overview == "Deja-vu: episode 1."
    assert fake.count() == 3
    assert [r.query["language"] for r in fake.requests[1:]] == ["de-DE", "en-US"]


@pytest.mark.parametrize(("kind", "name"), [
    ("movie", "popular"), ("movie", "top_rated"), ("movie", "now_playing"),
    ("movie", "upcoming"), ("tv", "popular"), ("tv", "top_rated"), ("tv", "on_the_air"),
    ("tv", "airing_today")])
async def test_lists(fake, tmdb, kind, name):
    page = await tmdb.list_page(kind, name)
    assert page.page == 1
    assert all(i.media_type == kind for i in page.items)
    assert len(page.items) == page.total_results or page.total_pages > 1
    assert fake.requests[-1].path == f"/{kind}/{name}"


async def test_list_contents_and_paging():
    async with running_fake_tmdb(page_size=5) as fake, make(fake) as client:
        popular = await client.list_page("movie", "popular")
        assert popular.total_results == 20 and popular.total_pages == 4
        assert popular.items[0].title == "Interstellar"
        pops = [i.popularity for i in popular.items]
        assert pops == sorted(pops, reverse=True)
        second = await client.list_page("movie", "popular", page=2)
        assert not {i.id for i in popular.items} & {i.id for i in second.items}
        upcoming = await client.list_page("movie", "upcoming")
        assert [i.title for i in upcoming.items] == ["Quiet Harbour"]
        shows = await client.list_page("tv", "top_rated")
        assert shows.items[0].title == "Dark" and shows.items[0].date.year == 2017


async def test_bad_list_names_are_refused_locally(fake, tmdb):
    for call in (tmdb.list_page("movie", "on_the_air"), tmdb.list_page("tv", "upcoming"),
                 tmdb.trending("movie", "month"), tmdb.discover("person"), tmdb.genres("x")):
        with pytest.raises(ValueError):
            await call
    assert fake.count() == 0


async def test_trending_drops_people(fake, tmdb):
    first = await tmdb.trending("all", "week")
    assert first.total_results == 25 and first.total_pages == 2  # TMDB counts people too
    second = await tmdb.trending("all", "week", page=2)
    items = first.items + second.items
    assert {i.media_type for i in items} == {"movie", "tv"}
    assert len(items) == 23  # 20 films + 3 series; the 2 people are gone
    shows = await tmdb.trending("tv", "day")
    assert [i.media_type for i in shows.items] == ["tv"] * 3
    assert fake.requests[-1].path == "/trending/tv/day"


async def test_discover_by_genre(fake, tmdb):
    scifi = await tmdb.discover("movie", genre_id=878, sort_by="vote_average.desc")
    assert scifi.items and all(878 in i.genre_ids for i in scifi.items)
    votes = [i.vote_average for i in scifi.items]
    assert votes == sorted(votes, reverse=True)
    assert fake.requests[-1].query["with_genres"] == "878"
    crime_shows = await tmdb.discover("tv", genre_id=80)
    assert {i.title for i in crime_shows.items} == {"Dark", "Twin Peaks"}


async def test_genres(tmdb, tmdb_de):
    movie = await tmdb.genres("movie")
    assert (28, "Action") in [(g.id, g.name) for g in movie] and len(movie) == 19
    tv_de = {g.id: g.name for g in await tmdb_de.genres("tv")}
    assert tv_de[35] == "Komödie" and tv_de[10765] == "Sci-Fi & Fantasy"


async def test_search_multi(fake, tmdb):
    matrix = await tmdb.search_multi("matrix")
    assert [(i.media_type, i.id) for i in matrix.items] == [("movie", 603)]
    dark = await tmdb.search_multi("Dark")
    assert {(i.media_type, i.title) for i in dark.items} == {("tv", "Dark"),
                                                              ("movie", "The Dark Knight")}
    people_only = await tmdb.search_multi("keanu")
    assert people_only.items == () and people_only.total_results == 1
    assert fake.requests[-1].query["query"] == "keanu"
    assert (await tmdb.search_multi("Amélie")).items[0].id == 194


async def test_lists_and_search_fall_back_to_english_with_one_extra_request(fake, tmdb_de):
    popular = await tmdb_de.list_page("movie", "popular")
    by_id = {i.id: i for i in popular.items}
    assert by_id[603].overview.startswith("Ein Hacker")  # translated: kept
    assert by_id[27205].overview.startswith("A thief")  # untranslated: English filled in
    assert all(i.overview for i in popular.items)
    assert [r.query["language"] for r in fake.requests] == ["de-DE", "en-US"]
    fake.reset()
    hit = await tmdb_de.search_multi("matrix")  # fully translated page: no second request
    assert hit.items[0].title == "Matrix" and fake.count() == 1


async def test_english_users_never_pay_for_fallback(fake, tmdb):
    await tmdb.list_page("movie", "popular")
    await tmdb.season(67070, 1)
    assert fake.count() == 2


# -- failures ------------------------------------------------------------------------

async def test_429_honours_retry_after_then_succeeds(fake, tmdb):
    fake.fail(RATE_LIMITED, "/movie/*", times=1, retry_after=1)
    t0 = time.monotonic()
    movie = await tmdb.movie(603)
    elapsed = time.monotonic() - t0
    assert movie.title == "The Matrix"
    assert elapsed >= 1.0, elapsed
    assert elapsed < 2.5
    assert fake.count("/movie/*") == 2


async def test_429_penalty_is_shared_by_concurrent_requests(fake, tmdb):
    fake.fail(RATE_LIMITED, "/movie/603", times=1, retry_after=1)
    first = asyncio.create_task(tmdb.movie(603))
    await asyncio.sleep(0.2)  # the 429 has arrived; the bucket is paused
    t0 = time.monotonic()
    await tmdb.movie(550)
    assert time.monotonic() - t0 >= 0.6  # waited for the rest of the pause
    await first


async def test_429_forever_gives_unavailable(fake):
    fake.fail(RATE_LIMITED, retry_after=0)
    async with make(fake, max_retries=2) as client:
        with pytest.raises(TmdbUnavailable, match="busy"):
            await client.configuration()
    assert fake.count() == 3


async def test_500_is_retried_then_succeeds(fake, tmdb):
    fake.fail(SERVER_ERROR, "/tv/*", times=2)
    show = await tmdb.tv(1920)
    assert show.name == "Twin Peaks" and fake.count() == 3


@pytest.mark.parametrize("mode", [SERVER_ERROR, HTML_503])
async def test_5xx_after_retries_is_unavailable(fake, tmdb, mode):
    fake.fail(mode)
    with pytest.raises(TmdbUnavailable) as err:
        await tmdb.movie(603)
    assert fake.count() == 3  # first try + max_retries=2
    assert "HTTP 5" in str(err.value) and "<html" not in str(err.value)


@pytest.mark.parametrize("mode", [HTML_200, MALFORMED_JSON, GARBAGE, WRONG_TYPES])
async def test_garbage_bodies_are_bad_responses_not_crashes(fake, tmdb, mode):
    fake.fail(mode)
    for call in (tmdb.movie(603), tmdb.tv(70523), tmdb.season(70523, 1), tmdb.configuration(),
                 tmdb.list_page("movie", "popular"), tmdb.search_multi("x"), tmdb.genres("tv")):
        with pytest.raises(TmdbBadResponse) as err:
            await call
        assert str(err.value) == "TMDB sent an unreadable answer; showing saved data"
    assert fake.count() == 7  # a 200 with garbage is not retried


async def test_a_hanging_answer_times_out_within_a_bound(fake):
    fake.fail(HANG, "/movie/*")
    async with make(fake, timeout_s=0.3, max_retries=1) as client:
        t0 = time.monotonic()
        with pytest.raises(TmdbUnavailable, match="in time"):
            await client.movie(603)
        elapsed = time.monotonic() - t0
    assert 0.6 <= elapsed < 2.0, elapsed
    assert fake.count() == 2


async def test_forced_401_and_404(fake, tmdb):
    fake.fail(UNAUTHORIZED, "/configuration")
    with pytest.raises(TmdbAuthError):
        await tmdb.configuration()
    fake.fail(NOT_FOUND, "/tv/1920")
    with pytest.raises(TmdbNotFound):
        await tmdb.tv(1920)
    assert fake.count() == 2


async def test_no_network_is_unavailable_quickly():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = TmdbClient("k" * 32, base_url=f"http://127.0.0.1:{port}/3", max_retries=1,
                        backoff_base_s=0.01, timeout_s=1.0)
    async with client:
        t0 = time.monotonic()
        with pytest.raises(TmdbUnavailable, match="Cannot reach TMDB"):
            await client.configuration()
        assert time.monotonic() - t0 < 1.0


async def test_recovers_by_itself_when_tmdb_comes_back(fake, tmdb):
    fake.fail(HTML_503)
    with pytest.raises(TmdbError):
        await tmdb.list_page("tv", "popular")
    fake.clear_failures()
    page = await tmdb.list_page("tv", "popular")
    assert len(page.items) == 3


async def test_rate_limit_spaces_requests(fake):
    n, rate = 10, 20.0
    async with make(fake, rate_per_second=rate, burst=1) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(client.genres("movie") for _ in range(n)))
        elapsed = time.monotonic() - t0
    assert elapsed >= (n - 1) / rate, elapsed
    assert fake.count() == n
