"""Home's "Continue watching" with series, on a real SQLite file: the unfinished episode
of a series, "Next up" after a watched one, series left out when caught up, and films and
series mixed by when they were last watched."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from miauflix_desktop.core.media import TV, EpisodeRef
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import EpisodeSourceRepository

T0 = datetime(2026, 11, 20, 12, 0, 0)


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "c.sqlite3")
    database.open()
    yield database
    database.close()


@pytest.fixture
def repo(db):
    return CatalogRepository(db)


def show(repo, tmdb_id: int, name: str, seasons: dict[int, int],
         future: tuple[int, int] | None = None) -> tuple[int, dict[tuple[int, int], int]]:
    """A series with {season: episode count}; returns its id and (s, e) -> episode id."""
    show_id = repo.upsert_show(tmdb_id, name=name)
    ids = {}
    for season, count in seasons.items():
        repo.upsert_season(tmdb_id, season)
        for number in range(1, count + 1):
            aired = (date.today() + timedelta(days=30) if (season, number) == future
                     else date(2020, 1, number)).isoformat()
            ids[(season, number)] = repo.upsert_episode(
                tmdb_id, season, number, name=f"{name} {season}x{number:02d}", air_date=aired)
    return show_id, ids


def watched(db, episode_id: int, position: float, duration: float, minutes_ago: int) -> None:
    EpisodeSourceRepository(db).save_progress(episode_id, position, duration)
    at = T0 - timedelta(minutes=minutes_ago)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE episode_progress SET updated_at = :at WHERE episode_id = :e"),
                     {"at": at, "e": episode_id})


def film_watched(db, movie_id: int, position: float, duration: float,
                 minutes_ago: int) -> None:
    MovieRepository(db).save_progress(movie_id, position, duration)
    at = T0 - timedelta(minutes=minutes_ago)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE watch_progress SET updated_at = :at WHERE movie_id = :m"),
                     {"at": at, "m": movie_id})


def test_unfinished_episode_then_next_up_mixed_with_films_by_time(db, repo):
    harbor, h = show(repo, 10, "Harbor Lights", {1: 3, 2: 2})
    orbit, o = show(repo, 11, "Orbit Station", {1: 2})
    film = repo.upsert_movie(1, title="Alpha", runtime=100)
    older_film = repo.upsert_movie(2, title="Beta", runtime=100)

    watched(db, h[(1, 1)], 2500, 2600, minutes_ago=50)   # watched S01E01 ...
    watched(db, h[(1, 2)], 754, 2600, minutes_ago=5)     # ... then stopped in S01E02
    watched(db, o[(1, 1)], 2500, 2600, minutes_ago=20)   # watched: next up S01E02
    film_watched(db, film, 600, 6000, minutes_ago=10)
    film_watched(db, older_film, 600, 6000, minutes_ago=90)

    items = repo.continue_watching(10)
    assert [(i.kind, i.id) for i in items] == [
        (TV, harbor), ("movie", film), (TV, orbit), ("movie", older_film)]
    first = items[0]
    assert first.title == "Harbor Lights · S01E02"
    assert first.episode == EpisodeRef(h[(1, 2)], 1, 2, "Harbor Lights 1x02")
    assert first.progress == pytest.approx(754 / 2600)
    nxt = items[2]
    assert nxt.title == "Orbit Station · S01E02"
    assert nxt.episode == EpisodeRef(o[(1, 2)], 1, 2, "Orbit Station 1x02")
    assert nxt.progress is None  # not started: no progress bar on the card
    # Films keep what they had.
    assert items[1].episode is None and items[1].progress == pytest.approx(0.1)
    # The limit applies to the mix.
    assert [(i.kind, i.id) for i in repo.continue_watching(2)] == [(TV, harbor),
                                                                   ("movie", film)]


def test_next_up_crosses_seasons_and_caught_up_series_are_left_out(db, repo):
    harbor, h = show(repo, 10, "Harbor Lights", {1: 2, 2: 2})
    _orbit, o = show(repo, 11, "Orbit Station", {1: 2})
    _comet, c = show(repo, 12, "Comet Tail", {1: 2}, future=(1, 2))
    watched(db, h[(1, 2)], 2590, 2600, minutes_ago=1)   # season finale -> S02E01
    watched(db, o[(1, 2)], 2400, 2600, minutes_ago=2)   # the last episode: caught up
    watched(db, c[(1, 1)], 2400, 2600, minutes_ago=3)   # the next one has not aired
    items = repo.continue_watching(10)
    assert [(i.id, i.title) for i in items] == [(harbor, "Harbor Lights · S02E01")]
    assert items[0].episode == EpisodeRef(h[(2, 1)], 2, 1, "Harbor Lights 2x01")


def test_only_the_latest_episode_of_a_series_counts(db, repo):
    _harbor, h = show(repo, 10, "Harbor Lights", {1: 3})
    watched(db, h[(1, 3)], 300, 2600, minutes_ago=30)   # sampled S01E03 long ago
    watched(db, h[(1, 1)], 2590, 2600, minutes_ago=2)   # then watched S01E01
    items = repo.continue_watching(10)
    # Next up after the latest is S01E02; E03's old partial progress does not win.
    assert [i.episode.code for i in items if i.episode] == ["S01E02"]
    # Opened but never played (position 0) is not "watching": E01 still counts.
    watched(db, h[(1, 3)], 0, 2600, minutes_ago=1)
    assert [i.episode.code for i in repo.continue_watching(10) if i.episode] == ["S01E02"]


def test_next_up_shows_the_next_episodes_own_progress(db, repo):
    _harbor, h = show(repo, 10, "Harbor Lights", {1: 3})
    watched(db, h[(1, 2)], 1300, 2600, minutes_ago=30)  # half of E02, earlier
    watched(db, h[(1, 1)], 2600, 2600, minutes_ago=2)   # then E01 to the end
    [item] = repo.continue_watching(10)
    assert item.episode.code == "S01E02" and item.progress == pytest.approx(0.5)
