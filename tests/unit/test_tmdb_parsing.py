"""Defensive parsing of TMDB answers: defaults for missing/null, TmdbBadResponse for garbage."""

from datetime import UTC, date, datetime

import pytest

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.catalog.tmdb import (
    TmdbAuthError,
    TmdbBadResponse,
    TmdbError,
    TmdbNotFound,
    TmdbUnavailable,
    is_read_token,
    parse_config,
    parse_movie,
    parse_page,
    parse_retry_after,
    parse_season,
    parse_show,
)


def test_error_hierarchy_and_messages():
    for cls in (TmdbAuthError, TmdbNotFound, TmdbUnavailable, TmdbBadResponse):
        assert issubclass(cls, TmdbError)
    assert issubclass(TmdbError, MiauflixError)
    assert issubclass(TmdbBadResponse, TmdbUnavailable)  # garbage = "use the cache"
    assert str(TmdbAuthError()) == "TMDB key rejected — check it in Settings"
    assert "{" not in str(TmdbBadResponse("JSON root is list"))  # detail stays in the log


def test_read_token_detection():
    assert is_read_token("eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJhYmMiLCJzdWIiOiJ4In0.c2lnbmF0dXJlLXh4eA")
    assert not is_read_token("0123456789abcdef0123456789abcdef")
    assert not is_read_token("eyJshort")


def test_minimal_movie_gets_defaults():
    m = parse_movie({"id": 7, "title": None, "original_title": "Original", "runtime": 0,
                     "release_date": "", "poster_path": None, "genres": None}, "en-US")
    assert m.id == 7
    assert m.title == "Original"  # empty title falls back to the original one
    assert m.runtime is None and m.release_date is None and m.poster_path is None
    assert m.genres == () and m.translations == () and m.certification == ""


def test_movie_wrong_types_raise_bad_response():
    for bad in ({"id": "603"}, {"id": 1, "title": 42}, {"id": 1, "genres": "Action"},
                {"id": 1, "vote_average": "high"}, {"id": 1, "runtime": True},
                {"id": 1, "genres": [1, 2]}, {"title": "no id"}):
        with pytest.raises(TmdbBadResponse):
            parse_movie(bad, "en-US")


def test_unparseable_date_is_unknown_not_an_error():
    m = parse_movie({"id": 1, "release_date": "soon"}, "en-US")
    assert m.release_date is None
    m = parse_movie({"id": 1, "release_date": "1999-03-31T00:00:00.000Z"}, "en-US")
    assert m.release_date == date(1999, 3, 31)


def _rd(country, *entries):
    return {"iso_3166_1": country,
            "release_dates": [{"certification": c, "type": t} for c, t in entries]}


def test_certification_prefers_language_country_then_us_and_theatrical():
    data = {"id": 1, "release_dates": {"results": [
        _rd("US", ("", 1), ("PG-13", 4), ("R", 3)), _rd("DE", ("16", 3)), _rd("FR", ("", 3))]}}
    assert parse_movie(data, "de-DE").certification == "16"
    assert parse_movie(data, "en-US").certification == "R"
    assert parse_movie(data, "fr-FR").certification == "R"  # no French rating -> US
    assert parse_movie(data, "fr").certification == "R"


def test_english_fallback_from_translations_only_for_other_languages():
    data = {"id": 1, "title": "Matrix", "overview": "", "tagline": "",
            "translations": {"translations": [
                {"iso_639_1": "de", "iso_3166_1": "DE", "data": {"title": "Matrix"}},
                {"iso_639_1": "en", "iso_3166_1": "GB", "data": {"overview": "GB text"}},
                {"iso_639_1": "en", "iso_3166_1": "US",
                 "data": {"title": "The Matrix", "overview": "US text", "tagline": "Tag"}}]}}
    m = parse_movie(data, "de-DE")
    assert (m.title, m.overview, m.tagline) == ("Matrix", "US text", "Tag")
    assert [t.language for t in m.translations] == ["de-DE", "en-GB", "en-US"]
    assert parse_movie(data, "en-US").overview == ""  # English asked, English got


def test_show_and_season_parse():
    show = parse_show({"id": 5, "name": "", "original_name": "Dark", "episode_run_time": [52, "x"],
                       "seasons": [{"id": 9, "season_number": 1, "episode_count": 10}],
                       "external_ids": {"tvdb_id": 334824, "imdb_id": "tt5753856"},
                       "content_ratings": {"results": [{"iso_3166_1": "US", "rating": "TV-MA"}]}},
                      "de-DE")
    assert show.name == "Dark" and show.episode_run_time == (52,)
    assert show.seasons[0].episode_count == 10 and show.tvdb_id == 334824
    assert show.content_rating == "TV-MA"
    season = parse_season({"id": 9, "season_number": 1, "episodes": [
        {"id": 1, "episode_number": 1, "runtime": None, "still_path": ""}]}, 5)
    assert season.show_id == 5 and season.episodes[0].runtime is None
    assert season.episodes[0].still_path is None
    with pytest.raises(TmdbBadResponse):
        parse_season({"id": 9, "episodes": "none"}, 5)


def test_page_skips_people_and_broken_items():
    page = parse_page({"page": 1, "total_pages": 1, "total_results": 4, "results": [
        {"id": 1, "media_type": "movie", "title": "A", "release_date": "2001-01-01"},
        {"id": 2, "media_type": "person", "name": "Someone"},
        {"id": "3", "media_type": "tv", "name": "Broken"},
        "not an object",
        {"id": 4, "media_type": "tv", "name": "Show", "first_air_date": "2017-12-01",
         "genre_ids": [18, "x"]},
    ]}, None)
    assert [(i.media_type, i.id, i.title) for i in page.items] == [("movie", 1, "A"),
                                                                  ("tv", 4, "Show")]
    assert page.items[0].year == 2001 and page.items[1].genre_ids == (18,)
    with pytest.raises(TmdbBadResponse):
        parse_page({"results": {"not": "a list"}}, "movie")


def test_config_requires_an_image_base():
    cfg = parse_config({"images": {"secure_base_url": "https://img/t/p", "poster_sizes": ["w92"]}})
    assert cfg.image_base_url == "https://img/t/p/"
    assert cfg.image_url("w92", "/a.jpg") == "https://img/t/p/w92/a.jpg"
    with pytest.raises(TmdbBadResponse):
        parse_config({"images": []})
    with pytest.raises(TmdbBadResponse):
        parse_config({})


def test_retry_after_seconds_date_and_garbage():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("-5") == 0.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:10 GMT", lambda: now) == 10.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", lambda: now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
