"""Real SQLite files: migrations from empty, WAL, repositories, damaged files left alone."""

import sqlite3

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from miauflix_desktop.core.errors import StorageError
from miauflix_desktop.services.storage.db import MIGRATIONS, Database
from miauflix_desktop.services.storage.repositories import MovieRepository


def test_migrates_from_empty_in_wal_mode(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    db.open()
    tables = set(inspect(db.engine).get_table_names())
    assert {"movie", "movie_source", "storage", "watch_progress", "alembic_version"} <= tables
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    db.close()


def test_reopen_is_idempotent_and_keeps_data(tmp_path):
    path = tmp_path / "m.sqlite3"
    db = Database(path)
    db.open()
    repo = MovieRepository(db)
    mid = repo.upsert_demo(-1000, "A", "o", 2024, 1, "/p.jpg", "/b.jpg")
    sid = repo.upsert_source(mid, "ab" * 20, b"d8:announce0:e", 123, "demo")
    repo.save_progress(mid, 12.5, 60.0)
    db.close()

    db2 = Database(path)
    db2.open()
    repo2 = MovieRepository(db2)
    assert repo2.get(mid).title == "A"
    assert repo2.get(mid).year == 2024
    assert repo2.best_source(mid).id == sid
    assert repo2.progress(mid).position == 12.5
    # upsert keeps the same ids
    assert repo2.upsert_demo(-1000, "A2", "o", 2024, 1, "", "") == mid
    assert repo2.upsert_source(mid, "ab" * 20, b"x", 1, "demo") == sid
    assert [m.title for m in repo2.demo_movies()] == ["A2"]
    db2.close()


def test_not_a_database_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "m.sqlite3"
    garbage = b"this is not sqlite" * 100
    path.write_bytes(garbage)
    db = Database(path)
    with pytest.raises(StorageError, match="left untouched"):
        db.open()
    assert path.read_bytes() == garbage


def test_foreign_keys_enforced(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    db.open()
    repo = MovieRepository(db)
    mid = repo.upsert_demo(-1000, "A", "o", 2024, 1, "", "")
    repo.upsert_source(mid, "cd" * 20, b"x", 1, "demo")
    db.close()
    con = sqlite3.connect(tmp_path / "m.sqlite3")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("DELETE FROM movie")
    con.commit()
    assert con.execute("SELECT COUNT(*) FROM movie_source").fetchone()[0] == 0
