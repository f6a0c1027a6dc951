"""Broad search on popularity tiers (migration 0003), on real SQLite files.

The tier tokens must follow popularity through every writer (triggers), the tiered
candidate query must give exactly what ranking every match would, and typed text must
never match the tier tokens themselves.
"""

import importlib
import random

import pytest
from sqlalchemy import text

from miauflix_desktop.services.storage import catalog_repository as cr
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository, Translation
from miauflix_desktop.services.storage.db import Database, migrate
from miauflix_desktop.services.storage.fts import (
    POPULARITY_TIERS,
    TIER_STEM,
    match_expression,
    tier_tokens,
    with_tier,
)

TV = 1 << 40


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "t.sqlite3")
    database.open()
    yield database
    database.close()


def tier_of(db, rowid):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT popularity_tier FROM title_search WHERE rowid = :r"),
                            {"r": rowid}).scalar_one()


def test_migration_tiers_are_the_app_tiers():
    mig = importlib.import_module(
        "miauflix_desktop.services.storage.migrations.versions.0003_search_tiers")
    assert mig.TIERS == POPULARITY_TIERS
    assert mig.STEM == TIER_STEM


@pytest.mark.parametrize("popularity", [0.0, 0.99, 1.0, 1.5, 7.9, 8.0, 31.0, 1023.9, 5000.0])
def test_triggers_write_the_tokens_fts_expects(db, popularity):
    repo = CatalogRepository(db)
    mid = repo.upsert_movie(1, title="Alpha", popularity=popularity)
    sid = repo.upsert_show(2, name="Beta", popularity=popularity)
    assert tier_of(db, mid) == tier_tokens(popularity)
    assert tier_of(db, sid + TV) == tier_tokens(popularity)


def test_tier_follows_popularity_and_title_changes(db):
    repo = CatalogRepository(db)
    mid = repo.upsert_movie(1, title="Alpha", popularity=1.5,
                            translations=[Translation("it-IT", "Alfa")])
    with db.engine.begin() as conn:
        # within a tier: the FTS row is not rewritten (its docsize row keeps its id)
        conn.execute(text("UPDATE movie SET popularity = 1.9 WHERE id = :i"), {"i": mid})
        assert tier_of(db, mid) == tier_tokens(1.5)
        conn.execute(text("UPDATE movie SET popularity = 40 WHERE id = :i"), {"i": mid})
    assert tier_of(db, mid) == tier_tokens(40)
    # a title change and a popularity change in one statement: both triggers agree
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE movie SET title = 'Alpha Two', popularity = 0.2 "
                          "WHERE id = :i"), {"i": mid})
        row = conn.execute(text("SELECT title, translations, popularity_tier FROM title_search"
                                " WHERE rowid = :i"), {"i": mid}).one()
    assert row == ("Alpha Two", "Alfa", "")
    # translations refresh keeps the tier
    repo.upsert_movie(1, title="Alpha Two", popularity=300,
                      translations=[Translation("de-DE", "Alpha Zwei")])
    assert tier_of(db, mid) == tier_tokens(300)


def test_typed_text_never_matches_tier_tokens(db):
    repo = CatalogRepository(db)
    repo.upsert_movie(1, title="Alpha", popularity=2000)
    repo.upsert_movie(2, title="0pop Records", popularity=1)
    for q in ("0", "0p", "0pop", "0POP1", "0pöp1024", "0pop1024"):
        assert match_expression(q).startswith("{title original_title translations}")
        assert [i.title for i in repo.search(q)] == (["0pop Records"] if "1" not in q else [])


def _seed(db, n_films, seed=5):
    rng = random.Random(seed)
    words = ["star", "storm", "story", "love", "lost", "night", "dark", "amélie"]
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO movie (id, tmdb_id, title, original_title, original_language, "
            "overview, runtime, tagline, rating, popularity, release_date, poster, backdrop,"
            " logo, content_directories_searched, is_demo, created_at, updated_at) VALUES "
            "(:i, :i, :t, :t, 'en', '', 90, '', 5, :p, '2000-01-01', '', '', '', '[]', 0, "
            "'2026-01-01', '2026-01-01')"),
            [{"i": i, "t": " ".join(rng.choice(words) for _ in range(rng.randint(1, 3))),
              "p": rng.paretovariate(1.2) - 0.5} for i in range(1, n_films + 1)])
        conn.execute(text(
            "INSERT INTO tvshow (id, tmdb_id, name, original_name, original_language, "
            "overview, first_air_date, poster, backdrop, status, tagline, type, in_production,"
            " episode_run_time, popularity, rating, created_at, updated_at) VALUES "
            "(:i, :i, :t, :t, 'en', '', '', '', '', '', '', '', 0, '[]', :p, 5, "
            "'2026-01-01', '2026-01-01')"),
            [{"i": i, "t": rng.choice(words), "p": rng.uniform(0, 50)} for i in range(1, 900)])


@pytest.mark.parametrize("query", ["s", "st", "sto", "story", "lo", "amel", "night st"])
def test_tiered_candidates_are_exactly_the_most_popular(db, query):
    _seed(db, 6000)
    expr = match_expression(query)
    sql = cr._BROAD[cr.MOVIE]
    with db.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM title_search WHERE title_search MATCH :e"
                                  " AND rowid < :tv"), {"e": expr, "tv": TV}).scalar_one()
        expected = conn.execute(sql.walk, {"expr": expr, "limit": 80}).all()
        got = cr._popular_matches(conn, sql, expr, total, 80)
        # and the tier filter does pick a subset when the query is broad
        if total > cr.BROAD_JOIN_MAX:
            tiered = conn.execute(sql.join, {"expr": with_tier(expr, 1), "limit": 10**6}).all()
            assert len(tiered) < total
    assert [r[1] for r in got] == [r[1] for r in expected]
    assert {r[0] for r in got} == {r[0] for r in expected}


def test_broad_search_prefers_titles_starting_with_the_words(db, monkeypatch):
    repo = CatalogRepository(db)
    repo.upsert_movie(1, title="Return of the Alien", popularity=10)
    repo.upsert_movie(2, title="Alien", popularity=5)
    repo.upsert_movie(3, title="Aliens in the Attic", popularity=1)
    repo.upsert_movie(4, title="Totally Alien", popularity=200)
    monkeypatch.setattr(cr, "FULL_RANK_MAX", 0)
    # a title starting with the words counts 4x as popular: 20 > 10, yet 200 stays first
    assert [i.title for i in repo.search("alien")] == [
        "Totally Alien", "Alien", "Return of the Alien", "Aliens in the Attic"]
    assert [i.title for i in repo.search("the ali")] == ["Return of the Alien",
                                                        "Aliens in the Attic"]


def test_0002_database_upgrades_keeping_titles_searchable(tmp_path):
    db = Database(tmp_path / "u.sqlite3")
    migrate(db.engine, "0002")
    # Plain SQL: the ORM models follow the newest schema, not 0002's.
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO movie (id, tmdb_id, title, original_title, original_language, "
            "overview, runtime, tagline, rating, popularity, release_date, poster, backdrop,"
            " logo, content_directories_searched, is_demo, created_at, updated_at) VALUES "
            "(7, 7, 'Amélie', 'Amélie', 'fr', '', 90, '', 5, 30, '2001-01-01', '', '', '', "
            "'[]', 0, '2026-01-01', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO movie_translation (movie_id, language, title, overview, tagline, "
            "created_at, updated_at) VALUES (7, 'it-IT', 'Il favoloso mondo', '', '', "
            "'2026-01-01', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO tvshow (id, tmdb_id, name, original_name, original_language, "
            "overview, first_air_date, poster, backdrop, status, tagline, type, in_production,"
            " episode_run_time, popularity, rating, created_at, updated_at) VALUES "
            "(9, 9, 'Dark', 'Dark', 'de', '', '', '', '', '', '', '', 0, '[]', 3, 5, "
            "'2026-01-01', '2026-01-01')"))
    db.open()  # to head
    repo = CatalogRepository(db)
    assert tier_of(db, 7) == tier_tokens(30)
    assert tier_of(db, 9 + TV) == tier_tokens(3)
    assert [i.title for i in repo.search("favol")] == ["Amélie"]
    assert [(i.kind, i.id) for i in repo.search("da")] == [("tv", 9)]
    # and the triggers of the rebuilt index are live
    repo.upsert_movie(8, title="Amour", popularity=2)
    assert {i.title for i in repo.search("am")} == {"Amélie", "Amour"}
    db.close()
