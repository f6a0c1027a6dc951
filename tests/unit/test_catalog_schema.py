"""The catalog schema and CatalogRepository on real SQLite files: upserts, shelves, browse,
lists, stale ordering, seasons/episodes, accounts tables, and the FTS index kept in sync."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from miauflix_desktop.core.media import Genre
from miauflix_desktop.services.storage.catalog_repository import (
    CatalogRepository,
    IncompleteShow,
    Translation,
)
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import (
    AuditLog,
    Movie,
    MovieTranslation,
    RefreshToken,
    TraktUser,
    User,
)
from miauflix_desktop.services.storage.repositories import MovieRepository


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "c.sqlite3")
    database.open()
    yield database
    database.close()


@pytest.fixture
def repo(db):
    return CatalogRepository(db)


TV = 1 << 40  # a series' rowid offset in title_search


def fts(db, kind=None):
    """rowid -> (kind, media_id, title, original_title, translations) of the FTS table."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT rowid, kind, media_id, title, original_title, "
                                 "translations FROM title_search")).all()
    return {r[0]: tuple(r[1:]) for r in rows if kind is None or r[1] == kind}


def movie(repo, tmdb_id, title, **kw):
    return repo.upsert_movie(tmdb_id, title=title, **kw)


# ------------------------------------------------------------------ FTS in sync


def test_fts_follows_movie_insert_update_delete(db, repo):
    mid = movie(repo, 1, "Alpha", original_title="Alfa")
    assert fts(db) == {mid: ("movie", mid, "Alpha", "Alfa", None)}
    movie(repo, 1, "Alpha Two", original_title="Alfa", popularity=3.0)
    assert fts(db)[mid][2] == "Alpha Two"
    with db.session() as s, s.begin():
        s.delete(s.get(Movie, mid))
    assert fts(db) == {}


def test_fts_follows_translations(db, repo):
    mid = movie(repo, 1, "Spirited Away", translations=[Translation("it-IT", "La città incantata")])
    assert fts(db)[mid][4] == "La città incantata"
    movie(repo, 1, "Spirited Away", translations=[Translation("fr-FR", "Le Voyage de Chihiro")])
    assert "Chihiro" in fts(db)[mid][4] and "incantata" in fts(db)[mid][4]
    with db.session() as s, s.begin():
        tr = s.scalar(select(MovieTranslation).where(MovieTranslation.language == "it-IT"))
        tr.title = "Sen"
    assert "incantata" not in fts(db)[mid][4] and "Sen" in fts(db)[mid][4]
    with db.session() as s, s.begin():
        s.delete(s.scalar(select(MovieTranslation).where(MovieTranslation.language == "fr-FR")))
    assert fts(db)[mid][4] == "Sen"


def test_fts_follows_shows_and_cascades(db, repo):
    sid = repo.upsert_show(10, name="Dark", original_name="Dark",
                           translations=[Translation("es-ES", "Oscuro")])
    assert fts(db)[sid + TV] == ("tv", sid, "Dark", "Dark", "Oscuro")
    mid = movie(repo, 10, "Dark")  # same tmdb id, other kind: a distinct row
    assert {k: v[0] for k, v in fts(db).items()} == {sid + TV: "tv", mid: "movie"}
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM tvshow"))
    assert list(fts(db)) == [mid]


def test_fts_untouched_by_non_title_updates(db, repo):
    mid = movie(repo, 1, "Alpha")
    with db.engine.begin() as conn:
        before = conn.execute(text("SELECT count(*) FROM title_search_docsize")).scalar()
        conn.execute(text("UPDATE movie SET popularity = 99 WHERE id = :i"), {"i": mid})
        after = conn.execute(text("SELECT count(*) FROM title_search_docsize")).scalar()
    assert before == after == 1


def test_demo_films_from_the_old_repository_are_indexed(db):
    mid = MovieRepository(db).upsert_demo(-1000, "Big Buck Bunny", "o", 2008, 10, "", "")
    assert fts(db)[mid][:3] == ("movie", mid, "Big Buck Bunny")


# ------------------------------------------------------------------ upserts


def test_upsert_movie_is_idempotent_by_tmdb_id(db, repo):
    kw = dict(title="Alpha", genre_ids=[28, 28, 18], popularity=5.0,
              translations=[Translation("it-IT", "Alfa", "trama", "slogan")])
    a = repo.upsert_movie(1, **kw)
    b = repo.upsert_movie(1, **kw)
    assert a == b
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM movie")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM movie_translation")).scalar() == 1
        assert sorted(conn.execute(text("SELECT genre_id FROM movie_genre")).scalars()) == [
            18, 28]
    # genres replaced, translations untouched when not given
    repo.upsert_movie(1, title="Alpha", genre_ids=[12])
    item = repo.movie_item(a, "it-IT")
    assert (item.title, item.overview, item.tagline) == ("Alfa", "trama", "slogan")
    with db.engine.connect() as conn:
        assert list(conn.execute(text("SELECT genre_id FROM movie_genre")).scalars()) == [12]


def test_upsert_show_seasons_episodes(repo):
    sid = repo.upsert_show(100, name="Show", first_air_date="2019-05-01", genre_ids=[18],
                           poster="/s.jpg", episode_run_time=[50])
    assert repo.upsert_show(100, name="Show", first_air_date="2019-05-01",
                            poster="/s.jpg") == sid
    season1 = dict(tmdb_id=5001, name="Season 1", episode_count=2, air_date="2019-05-01",
                   poster_path="/s1.jpg")
    s1 = repo.upsert_season(100, 1, **season1)
    repo.upsert_season(100, 0, tmdb_id=5000, name="Specials", episode_count=1)
    assert repo.upsert_season(100, 1, **season1) == s1
    pilot = dict(tmdb_id=1, name="Pilot", runtime=55, still_path="/e.jpg")
    e1 = repo.upsert_episode(100, 1, 1, **pilot)
    repo.upsert_episode(100, 1, 2, tmdb_id=2, name="")
    assert repo.upsert_episode(100, 1, 1, **pilot) == e1

    assert repo.shows_with_incomplete_seasons(10) == [IncompleteShow(sid, 100, (0, 1))]
    repo.mark_season_synced(100, 1)
    assert repo.shows_with_incomplete_seasons(10) == [IncompleteShow(sid, 100, (0,))]
    repo.mark_season_synced(100, 0)
    assert repo.shows_with_incomplete_seasons(10) == []

    seasons = repo.seasons(sid)
    assert [(x.number, x.title) for x in seasons] == [(0, "Specials"), (1, "Season 1")]
    assert seasons[1].episode_count == 2 and seasons[1].poster == "tmdb:w342:/s1.jpg"
    assert seasons[1].year == 2019
    eps = repo.episodes(sid, 1)
    assert [(e.number, e.title, e.runtime_minutes) for e in eps] == [
        (1, "Pilot", 55), (2, "Episode 2", None)]
    assert eps[0].still == "tmdb:w300:/e.jpg" and eps[0].show_id == sid
    assert repo.episodes(sid, 7) == []
    with pytest.raises(LookupError):
        repo.upsert_episode(100, 9, 1)
    with pytest.raises(LookupError):
        repo.upsert_season(999, 1)
    show = repo.show_item(sid)
    assert (show.kind, show.title, show.year, show.poster) == ("tv", "Show", 2019,
                                                               "tmdb:w342:/s.jpg")


def test_genres_per_kind_and_language(repo):
    repo.upsert_genres("movie", [(28, "Action", "en"), (18, "Drama", "en"),
                                 (18, "Dramma", "it"), (28, "Azione", "it")])
    repo.upsert_genres("tv", [(18, "Drama", "en"), (10759, "Action & Adventure", "en")])
    repo.upsert_genres("movie", [(28, "Action", "en")])  # idempotent
    assert repo.genres("movie", "en-US") == [Genre(28, "Action"), Genre(18, "Drama")]
    assert repo.genres("movie", "it-IT") == [Genre(28, "Azione"), Genre(18, "Dramma")]
    assert repo.genres("tv", "it") == [Genre(10759, "Action & Adventure"), Genre(18, "Dramma")]
    # a genre id first seen on a film (before the genre list) gets no nameless entry
    mid = repo.upsert_movie(1, title="X", genre_ids=[28, 99])
    assert [g.id for g in repo.genres("movie")] == [28, 18]
    assert repo.movie_item(mid, "it-IT").genres == ("Azione",)


def test_translation_fallbacks(repo):
    mid = repo.upsert_movie(1, title="The Title", original_title="Le Titre", overview="en",
                            tagline="tag", translations=[Translation("it", "Il Titolo", "")])
    assert repo.movie_item(mid, "it-IT").title == "Il Titolo"
    assert repo.movie_item(mid, "it-IT").overview == "en"  # empty translation -> base
    assert repo.movie_item(mid, "de-DE").title == "The Title"
    stub = repo.upsert_movie(2, title="", original_title="原題")
    assert repo.movie_item(stub).title == "原題"
    assert repo.movie_item(12345) is None and repo.show_item(12345) is None


# ------------------------------------------------------------------ lists and stale


def test_replace_list_keeps_order_and_stubs_unknown_titles(db, repo):
    a = repo.upsert_movie(1, title="A", popularity=1)
    b = repo.upsert_movie(2, title="B", popularity=2)
    repo.replace_list("popular-movies", "movie", [2, 3, 1, 2], name="Popular")
    assert [i.id for i in repo.list_items("popular-movies", "movie")] == [b, a]  # stub hidden
    assert repo.stale_movies(10)[0] == 3  # the stub is synced first
    repo.upsert_movie(3, title="C")
    assert [i.title for i in repo.list_items("popular-movies", "movie")] == ["B", "C", "A"]
    repo.replace_list("popular-movies", "movie", [1])
    assert [i.title for i in repo.list_items("popular-movies", "movie", limit=5)] == ["A"]
    assert repo.list_items("nope", "movie") == []
    assert repo.list_slugs() == [("popular-movies", "movie", "Popular")]
    repo.replace_list("popular-tv", "tv", [50, 51])
    repo.upsert_show(51, name="S51")
    assert [i.title for i in repo.list_items("popular-tv", "tv")] == ["S51"]
    assert repo.stale_shows(5) == [50, 51]


def test_stale_ordering(repo):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for tmdb in (1, 2, 3):
        repo.upsert_movie(tmdb, title=f"M{tmdb}")
    repo.upsert_movie(4, title="never", synced=False, popularity=1)
    repo.upsert_movie(5, title="never popular", synced=False, popularity=50)
    repo.mark_synced("movie", 1, at=t0 + timedelta(days=2))
    repo.mark_synced("movie", 2, at=t0)
    repo.mark_synced("movie", 3, at=t0 + timedelta(days=1))
    MovieRepository(repo._db).upsert_demo(-1000, "demo", "", 2020, 1, "", "")
    assert repo.stale_movies(10) == [5, 4, 2, 3, 1]  # demo titles are never synced
    assert repo.stale_movies(3) == [5, 4, 2]
    assert repo.stale_movies(10, synced_before=t0 + timedelta(days=1)) == [5, 4, 2]


def test_sync_state_roundtrip(repo):
    assert repo.sync_state("lists") is None
    t = datetime(2026, 3, 1, 12, tzinfo=UTC)
    repo.set_sync_state("lists", last_run_at=t, cursor="page=3", extra={"etag": "x"})
    st = repo.sync_state("lists")
    assert (st.name, st.cursor, st.extra) == ("lists", "page=3", {"etag": "x"})
    assert st.last_run_at.replace(tzinfo=UTC) == t
    repo.set_sync_state("lists")
    assert repo.sync_state("lists").cursor is None


# ------------------------------------------------------------------ UI reads


def test_continue_watching(db, repo):
    ids = [repo.upsert_movie(n, title=f"M{n}", runtime=100) for n in range(1, 5)]
    movies = MovieRepository(db)
    movies.save_progress(ids[0], 600, 6000)     # started
    movies.save_progress(ids[1], 5900, 6000)    # finished (credits)
    movies.save_progress(ids[2], 0, 6000)       # opened, never played
    movies.save_progress(ids[3], 3000, 6000)    # most recent
    items = repo.continue_watching(10)
    assert [(i.id, i.progress) for i in items] == [(ids[3], 0.5), (ids[0], 0.1)]


def test_browse_sorts_genres_and_paging(repo):
    repo.upsert_movie(1, title="Zed", popularity=10, rating=6, release_date="2020-01-01",
                      genre_ids=[28])
    repo.upsert_movie(2, title="Alpha", popularity=30, rating=8, release_date="2010-01-01",
                      genre_ids=[18])
    repo.upsert_movie(3, title="Mid", popularity=20, rating=9, release_date="2015-01-01",
                      genre_ids=[28, 18])
    repo.upsert_movie(4, title="Future", popularity=5, release_date="2999-01-01")
    repo.replace_list("l", "movie", [99])  # a stub: never browsed

    def titles(**kw):
        return [i.title for i in repo.browse("movie", **kw)]

    assert titles(sort="popular") == ["Alpha", "Mid", "Zed", "Future"]
    assert titles(sort="rating") == ["Mid", "Alpha", "Zed", "Future"]
    assert titles(sort="newest") == ["Zed", "Mid", "Alpha"]  # unreleased left out
    assert titles(sort="title") == ["Alpha", "Future", "Mid", "Zed"]
    assert titles(sort="popular", genre_id=28) == ["Mid", "Zed"]
    assert titles(sort="title", genre_id=18) == ["Alpha", "Mid"]
    assert titles(sort="popular", offset=1, limit=2) == ["Mid", "Zed"]
    assert titles(sort="popular", genre_id=12345) == []
    assert repo.browse("tv") == []
    with pytest.raises(ValueError):
        repo.browse("movie", sort="nope")
    with pytest.raises(ValueError):
        repo.browse("music")


def test_item_fields_and_images(db, repo):
    mid = repo.upsert_movie(1, title="T", overview="O", tagline="G", runtime=120, rating=7.25,
                            release_date="1999-03-31", poster="/p.jpg", backdrop="/b.jpg")
    item = repo.movie_item(mid)
    assert (item.kind, item.year, item.runtime_minutes, item.rating, item.tagline) == (
        "movie", 1999, 120, 7.25, "G")
    assert (item.poster, item.backdrop) == ("tmdb:w342:/p.jpg", "tmdb:w1280:/b.jpg")
    demo = MovieRepository(db).upsert_demo(-1000, "D", "o", 2024, 1, "/local/p.png", "")
    d = repo.movie_item(demo)
    assert (d.poster, d.backdrop, d.is_demo, d.rating) == ("/local/p.png", None, True, None)


# ------------------------------------------------------------------ other seed entities


def test_accounts_tables_roundtrip(db):
    with db.session() as s, s.begin():
        user = User(email="a@b.c", password_hash="x")
        s.add(user)
        s.flush()
        s.add(RefreshToken(token_hash="h" * 64, user_id=user.id, session="s1",
                           expires_at=datetime.now(UTC) + timedelta(days=1)))
        s.add(TraktUser(user_id=user.id, trakt_slug="me"))
        s.add(AuditLog(event_type="LOGIN", details={"ip": "127.0.0.1"}, user_email="a@b.c"))
        uid = user.id
    with db.session() as s:
        user = s.get(User, uid)
        assert isinstance(uid, uuid.UUID) and user.role == "user"
        assert [t.session for t in user.refresh_tokens] == ["s1"]
        assert s.scalar(select(AuditLog)).details == {"ip": "127.0.0.1"}
    with db.session() as s, s.begin():
        s.delete(s.get(User, uid))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM refresh_tokens")).scalar() == 0
        assert conn.execute(text("SELECT user_id FROM trakt_users")).scalar() is None
