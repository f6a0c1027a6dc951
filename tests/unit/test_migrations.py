"""Alembic on real SQLite files: empty -> head, a 0001 database with data -> head and back."""

from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from miauflix_desktop.services.security.crypto import is_token
from miauflix_desktop.services.storage.db import MIGRATIONS, Database, alembic_config, migrate
from miauflix_desktop.services.storage.encrypted import cipher_for
from miauflix_desktop.services.storage.models import Base
from miauflix_desktop.services.storage.repositories import MovieRepository

NEW_TABLES = {"tvshow", "tvshow_translation", "season", "episode", "movie_translation",
              "genre", "genre_translation", "movie_genre", "tvshow_genre", "media_list",
              "media_list_movie", "media_list_tvshow", "sync_state", "users",
              "refresh_tokens", "audit_logs", "trakt_users"}
OLD_TABLES = {"movie", "movie_source", "storage", "watch_progress"}
# The newest revision, whichever migration that is (0003 rebuilt the FTS index).
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _version(db):
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _downgrade(db, revision):
    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _seed_0001(db):
    """A database as the skeleton left it: one film with a source, storage and progress."""
    now = datetime(2026, 1, 2, tzinfo=UTC).isoformat()
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO movie (id, tmdb_id, imdb_id, title, overview, runtime, tagline, "
            "rating, popularity, release_date, poster, backdrop, logo, "
            "content_directories_searched, is_demo, created_at, updated_at) VALUES "
            "(7, -1000, NULL, 'Amélie demo', 'o', 90, 't', 7.5, 3.0, '2001-04-25', "
            "'/p.png', '/b.png', '', '[]', 1, :now, :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO movie_source (id, movie_id, hash, magnet_link, size, source, "
            "streaming_score, next_stats_check_at, file, created_at, updated_at) VALUES "
            "(3, 7, :hash, 'magnet:?', 123, 'demo', 5, :now, :file, :now, :now)"),
            {"now": now, "hash": "ab" * 20, "file": b"d8:announce0:e"})
        conn.execute(text(
            "INSERT INTO storage (id, movie_source_id, downloaded_pieces, size, total_pieces, "
            "piece_length, downloaded, location, created_at, updated_at) VALUES "
            "(1, 3, :bits, 123, 1, 16384, 123, '/tmp/x', :now, :now)"),
            {"now": now, "bits": b"\x01"})
        conn.execute(text("INSERT INTO watch_progress VALUES (7, 42.5, 5400.0, :now)"),
                     {"now": now})


def _assert_seed_intact(db, encrypted=True):
    """encrypted: at 0005+ the source's hash and .torrent are stored encrypted (ADR 0005)."""
    with db.engine.connect() as conn:
        movie = conn.execute(text("SELECT id, tmdb_id, title, runtime, rating, is_demo "
                                  "FROM movie")).all()
        assert movie == [(7, -1000, "Amélie demo", 90, 7.5, 1)]
        sid, movie_id, info_hash, size, file = conn.execute(text(
            "SELECT id, movie_id, hash, size, file FROM movie_source")).one()
        assert is_token(info_hash) is encrypted and is_token(file) is encrypted
        if encrypted:
            cipher = cipher_for(db.engine.dialect)
            info_hash = cipher.decrypt_text(info_hash, "movie_source.hash")
            file = cipher.decrypt(file, "movie_source.file")
        assert (sid, movie_id, info_hash, size, file) == (3, 7, "ab" * 20, 123,
                                                          b"d8:announce0:e")
        assert conn.execute(text("SELECT movie_source_id, downloaded_pieces, location "
                                 "FROM storage")).all() == [(3, b"\x01", "/tmp/x")]
        assert conn.execute(text("SELECT movie_id, position, duration FROM watch_progress")
                            ).all() == [(7, 42.5, 5400.0)]


def test_empty_to_head_creates_every_mapped_table(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    db.open()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert tables >= NEW_TABLES | OLD_TABLES
    assert "title_search" in tables
    assert _version(db) == HEAD
    db.close()


def test_schema_matches_the_models(tmp_path):
    # Autogenerate finds nothing to do: the hand-cleaned migration equals the models.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(tmp_path / "m.sqlite3")
    db.open()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # the FTS5 table and its shadow tables are not mapped on purpose
    diff = [d for d in diff if not (d[0] == "remove_table" and
                                    d[1].name.startswith("title_search"))]
    assert diff == []
    db.close()


def test_0001_database_with_data_upgrades_keeping_it(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    migrate(db.engine, "0001")
    assert _version(db) == "0001"
    _seed_0001(db)

    db.open()  # what the app does on start: upgrade to head
    assert _version(db) == HEAD
    _assert_seed_intact(db)
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT original_title, original_language, last_synced_at "
                                "FROM movie")).one()
        assert row == ("", "", None)
        # existing films are indexed for search by the migration
        hits = conn.execute(text("SELECT kind, media_id FROM title_search "
                                 "WHERE title_search MATCH 'amel*'")).all()
        assert hits == [("movie", 7)]
    # the old repository still works on the upgraded file
    repo = MovieRepository(db)
    assert repo.best_source(7).id == 3
    assert repo.progress(7).position == 42.5
    db.close()


def test_downgrade_to_0001_keeps_data_and_upgrades_again(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    migrate(db.engine, "0001")
    _seed_0001(db)
    db.open()
    _downgrade(db, "0001")
    assert _version(db) == "0001"
    tables = set(inspect(db.engine).get_table_names())
    assert not (NEW_TABLES & tables)
    assert "title_search" not in tables
    cols = {c["name"] for c in inspect(db.engine).get_columns("movie")}
    assert not {"original_title", "original_language", "last_synced_at"} & cols
    # batch mode would have re-created movie and cascaded the delete to its sources
    _assert_seed_intact(db, encrypted=False)

    db.open()
    assert _version(db) == HEAD
    _assert_seed_intact(db)
    db.close()
