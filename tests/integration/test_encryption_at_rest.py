"""Encryption at rest on real SQLite files: no plaintext in the file or its WAL, lookups,
migration 0005 from a plaintext 0004 database, and `rotate-key` on a real data dir."""

from __future__ import annotations

import logging
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.services.security.crypto import is_token, key_id_of
from miauflix_desktop.services.security.keys import FIELD_KEY_NAME, MemoryKeyStore, SecretKeyStore
from miauflix_desktop.services.storage import encrypted
from miauflix_desktop.services.storage.db import Database, alembic_config, migrate
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import FoundSource, SourceRepository
from tests.integration.test_cli import run_cli

HASH_DEMO = "5eb0c3a1d2e4f60718293a4b5c6d7e8f90a1b2c3"
HASH_FOUND = "C0FFEE00DEADBEEF0123456789ABCDEFFEEDFACE"  # providers hand out upper case too
RELEASE = "Amelie.2001.FRENCH.1080p.BluRay.x264-SECRETGRP"
TORRENT_URL = "https://yts.example/torrent/download/C0FFEE00DEADBEEF"
TORRENT = b"d8:announce17:udp://tracker:80/4:infod4:name27:Amelie.Private.Name.2001.mkvee"
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _magnet(info_hash: str) -> str:
    return f"magnet:?xt=urn:btih:{info_hash}&dn={RELEASE}"


def _needles(*hashes: str) -> list[bytes]:
    """Every form in which a stored secret would show up in the file."""
    out = [RELEASE.encode(), TORRENT_URL.encode(), b"magnet:?xt=urn:btih:",
           b"Amelie.Private.Name", b"udp://tracker"]
    for h in hashes:
        out += [h.lower().encode(), h.upper().encode(), bytes.fromhex(h)]
        out += [h.lower().encode("utf-16-le"), h.upper().encode("utf-16-le")]
    return out


def _file_bytes(db_path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in db_path.parent.glob(db_path.name + "*")}


def _assert_no_plaintext(db_path: Path, *hashes: str) -> None:
    files = _file_bytes(db_path)
    assert db_path.name in files
    for name, data in files.items():
        for needle in _needles(*hashes):
            assert needle not in data, f"{needle!r} in {name}"


def _checkpoint(db: Database) -> None:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _found(info_hash: str) -> FoundSource:
    return FoundSource(
        info_hash=info_hash, provider="yts", release_name=RELEASE,
        magnet=_magnet(info_hash), torrent_url=TORRENT_URL, size_bytes=2_000_000_000,
        seeds=40, peers=3, uploaded_at=NOW, quality="1080p", video_codec="x264",
        release_type="bluray", audio="AAC", languages="fr", hdr="", bit_depth=8, score=80,
        explanation="1080p x264", playable=True)


def _store(root: Path) -> SecretKeyStore:
    return SecretKeyStore(SecretStore(root / "secrets", use_keyring=False))


def _seed(db: Database) -> tuple[int, int, int]:
    movies, sources = MovieRepository(db), SourceRepository(db)
    film = movies.upsert_demo(-1000, "Amélie", "o", 2001, 122, "", "")
    demo_src = movies.upsert_source(film, HASH_DEMO, TORRENT, 1234, "demo")
    assert sources.save_found(film, [_found(HASH_FOUND)], NOW) == 1
    found_src = next(r.id for r in sources.sources_of(film) if r.info_hash == HASH_FOUND)
    sources.save_file(found_src, TORRENT, 0, 1, 2_000_000_000)
    return film, demo_src, found_src


def _assert_readable(db: Database, film: int, demo_src: int, found_src: int) -> None:
    movies, sources = MovieRepository(db), SourceRepository(db)
    demo = movies.get_source(demo_src)
    assert (demo.hash, demo.magnet_link, demo.torrent) == (
        HASH_DEMO, f"magnet:?xt=urn:btih:{HASH_DEMO}", TORRENT)
    ref = next(r for r in sources.sources_of(film) if r.id == found_src)
    assert (ref.info_hash, ref.magnet, ref.torrent_url, ref.release_name) == (
        HASH_FOUND, _magnet(HASH_FOUND), TORRENT_URL, RELEASE)
    assert movies.get_source(found_src).torrent == TORRENT
    # lookups by info hash still find the rows: upserts are idempotent
    assert movies.upsert_source(film, HASH_DEMO, TORRENT, 1234, "demo") == demo_src
    assert sources.save_found(film, [_found(HASH_FOUND)], NOW) == 0
    assert len(movies.sources(film)) == 2


def test_database_file_and_wal_hold_no_plaintext(tmp_path):
    path = tmp_path / "lib.sqlite3"
    db = Database(path, keys=_store(tmp_path))
    db.open()
    film, demo_src, found_src = _seed(db)
    _assert_readable(db, film, demo_src, found_src)
    # before a checkpoint the new pages live in the -wal file, after it in the main file
    assert (tmp_path / "lib.sqlite3-wal").stat().st_size > 0
    _assert_no_plaintext(path, HASH_DEMO, HASH_FOUND)
    _checkpoint(db)
    _assert_no_plaintext(path, HASH_DEMO, HASH_FOUND)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT hash, magnet_link, url, file, release_name "
                                 "FROM movie_source")).all()
    assert all(is_token(v) for row in rows for v in row if v is not None)
    db.close()
    # a fresh process (new engine, same key from the 0600 file) reads it all back
    again = Database(path, keys=_store(tmp_path))
    again.open()
    _assert_readable(again, film, demo_src, found_src)
    again.close()


def test_wrong_key_reads_as_empty_and_logs_instead_of_failing(tmp_path, caplog):
    path = tmp_path / "lib.sqlite3"
    db = Database(path, keys=_store(tmp_path))
    db.open()
    film, _, _ = _seed(db)
    db.close()
    stranger = Database(path, keys=MemoryKeyStore())
    with caplog.at_level(logging.ERROR):
        stranger.open()
        records = MovieRepository(stranger).sources(film)
        refs = SourceRepository(stranger).sources_of(film)
    assert len(records) == 2 and len(refs) == 2  # the list still loads
    assert {(r.hash, r.magnet_link, r.torrent) for r in records} == {("", "", None)}
    assert {(r.release_name, r.torrent_url) for r in refs} == {("", None)}
    assert "StorageError" in caplog.text and "does not have" in caplog.text
    stranger.close()


# ---------------------------------------------------------------- migration 0005


def _seed_0004_plaintext(db: Database) -> None:
    now = NOW.isoformat()
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO movie (id, tmdb_id, title, original_title, original_language, "
            "overview, runtime, tagline, rating, popularity, release_date, poster, backdrop, "
            "logo, content_directories_searched, is_demo, created_at, updated_at) VALUES "
            "(7, 194, 'Amélie', '', '', 'o', 122, '', 7.9, 30.0, '2001-04-25', '', '', '', "
            "'[]', 0, :now, :now)"), {"now": now})
        for sid, info_hash, url, file in ((3, HASH_DEMO, None, TORRENT),
                                          (4, HASH_FOUND, TORRENT_URL, None)):
            conn.execute(text(
                "INSERT INTO movie_source (id, movie_id, hash, magnet_link, url, size, source, "
                "file, streaming_score, next_stats_check_at, release_name, created_at, "
                "updated_at) VALUES (:id, 7, :hash, :magnet, :url, 99, 'yts', :file, 5, :now, "
                ":release, :now, :now)"),
                {"id": sid, "hash": info_hash, "magnet": _magnet(info_hash), "url": url,
                 "file": file, "release": RELEASE, "now": now})
        conn.execute(text(
            "INSERT INTO storage (id, movie_source_id, downloaded_pieces, size, total_pieces, "
            "piece_length, downloaded, location, created_at, updated_at) VALUES "
            "(1, 3, :bits, 99, 1, 16384, 99, '/downloads/x', :now, :now)"),
            {"now": now, "bits": b"\x01"})


def _storage_rows(db: Database) -> list[tuple]:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT id, movie_source_id, location FROM storage")).all()


def test_migration_encrypts_a_plaintext_0004_database_keeping_storage(tmp_path):
    path = tmp_path / "lib.sqlite3"
    db = Database(path, keys=_store(tmp_path))
    migrate(db.engine, "0004")
    _seed_0004_plaintext(db)
    _checkpoint(db)
    assert HASH_DEMO.encode() in path.read_bytes()  # the test would prove nothing otherwise

    db.open()  # what the app does on start: 0004 -> 0005 with the app's key
    _assert_no_plaintext(path, HASH_DEMO, HASH_FOUND)
    _checkpoint(db)
    _assert_no_plaintext(path, HASH_DEMO, HASH_FOUND)
    assert _storage_rows(db) == [(1, 3, "/downloads/x")]
    movies, sources = MovieRepository(db), SourceRepository(db)
    demo = movies.get_source(3)
    assert (demo.hash, demo.magnet_link, demo.torrent) == (HASH_DEMO, _magnet(HASH_DEMO),
                                                           TORRENT)
    found = next(r for r in sources.sources_of(7) if r.id == 4)
    assert (found.info_hash, found.torrent_url, found.release_name) == (
        HASH_FOUND, TORRENT_URL, RELEASE)
    # the upserts find the migrated rows by hash
    assert movies.upsert_source(7, HASH_DEMO, TORRENT, 99, "yts") == 3
    assert sources.save_found(7, [_found(HASH_FOUND)], NOW) == 0

    # downgrade decrypts in place (no table copy: storage rows survive) and upgrade again
    cfg = alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT hash, url FROM movie_source ORDER BY id")).all() == [
            (HASH_DEMO, None), (HASH_FOUND, TORRENT_URL)]
    assert _storage_rows(db) == [(1, 3, "/downloads/x")]
    db.open()
    assert _storage_rows(db) == [(1, 3, "/downloads/x")]
    assert movies.get_source(4).hash == HASH_FOUND
    _assert_no_plaintext(path, HASH_DEMO, HASH_FOUND)
    db.close()


def test_alembic_without_a_bound_cipher_uses_the_key_next_to_the_file(tmp_path):
    # Alembic run by hand: no Database.open(), so the migration loads the app's key file.
    path = tmp_path / "lib.sqlite3"
    plain = Database(path, keys=MemoryKeyStore())  # never opened: no cipher bound
    migrate(plain.engine, "0004")
    _seed_0004_plaintext(plain)
    migrate(plain.engine)
    plain.close()
    db = Database(path)  # default store: <dir>/secrets (keyring is off in this test run)
    if not db.keys.description.startswith(f"{FIELD_KEY_NAME} in file:"):
        pytest.skip("a real keyring backend is active here")
    db.open()
    assert MovieRepository(db).get_source(3).hash == HASH_DEMO
    db.close()


# ---------------------------------------------------------------- key rotation


def _active_key(root: Path) -> str:
    return _store(root).load().active.hex()


def _stored_key_ids(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT hash, magnet_link, url, file, release_name "
                                 "FROM movie_source")).all()
    return {key_id_of(v).hex() for row in rows for v in row if v is not None}


def test_rotate_key_cli_on_a_real_data_dir(tmp_path):
    paths = AppPaths(tmp_path / "data")
    paths.ensure()
    db = Database(paths.database, keys=_store(paths.root))
    db.open()
    ids = _seed(db)
    db.close()
    old = _active_key(paths.root)

    r = run_cli("rotate-key", "--data-dir", str(paths.root))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    new = _active_key(paths.root)
    assert new != old
    assert f"{old} -> {new}" in r.stdout
    assert "movie_source: 2 rows re-encrypted (hash 2, magnet_link 2, url 1, file 2, " \
           "release_name 2)" in r.stdout
    key_file = paths.secrets_dir / FIELD_KEY_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _store(paths.root).load().keys.keys() == {bytes.fromhex(new)}  # old key gone

    db = Database(paths.database, keys=_store(paths.root))
    db.open()
    assert _stored_key_ids(db) == {new}
    _assert_readable(db, *ids)
    db.close()
    _assert_no_plaintext(paths.database, HASH_DEMO, HASH_FOUND)

    # again: another new key, everything still readable
    r = run_cli("rotate-key", "--data-dir", str(paths.root))
    assert r.returncode == 0, r.stderr
    db = Database(paths.database, keys=_store(paths.root))
    db.open()
    assert _stored_key_ids(db) == {_active_key(paths.root)} != {new}
    _assert_readable(db, *ids)
    db.close()


def test_rotate_key_without_a_database_says_so(tmp_path):
    r = run_cli("rotate-key", "--data-dir", str(tmp_path))
    assert r.returncode == 2
    assert "no database" in r.stderr and "Traceback" not in r.stderr


def test_rotation_interrupted_mid_transaction_stays_readable(tmp_path, monkeypatch):
    path = tmp_path / "lib.sqlite3"
    store = _store(tmp_path)
    db = Database(path, keys=store)
    db.open()
    ids = _seed(db)
    old = store.load().active
    real_seal = encrypted.seal
    calls = []

    def failing_seal(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the power goes out half way through the rows
        return real_seal(*args)

    monkeypatch.setattr(encrypted, "seal", failing_seal)
    with pytest.raises(KeyboardInterrupt):
        encrypted.rotate_key(db.engine, store)
    monkeypatch.setattr(encrypted, "seal", real_seal)
    pending = store.load()
    assert pending.active == old and pending.pending is not None  # both keys kept
    assert _stored_key_ids(db) == {old.hex()}  # the transaction rolled back
    _assert_readable(db, *ids)
    db.close()

    # the next open finishes the rotation with the key already stored
    again = Database(path, keys=store)
    again.open()
    done = store.load()
    assert done.active == pending.pending and done.pending is None
    assert _stored_key_ids(again) == {done.active.hex()}
    _assert_readable(again, *ids)
    again.close()


def test_rotation_interrupted_after_commit_is_finished_on_open(tmp_path):
    """Rows are under the new key but the keyset still says the old one is active."""
    path = tmp_path / "lib.sqlite3"
    real = _store(tmp_path)

    class CrashBeforeFinalSave:
        description = "test"

        def load(self):
            return real.load()

        def save(self, keyset):
            if keyset.pending is None:
                raise KeyboardInterrupt
            real.save(keyset)

    db = Database(path, keys=real)
    db.open()
    ids = _seed(db)
    with pytest.raises(KeyboardInterrupt):
        encrypted.rotate_key(db.engine, CrashBeforeFinalSave())
    db.close()
    stuck = real.load()
    assert stuck.pending is not None and stuck.active != stuck.pending

    again = Database(path, keys=real)
    again.open()  # without finishing, lookups would encrypt with the old key and miss
    assert real.load().active == stuck.pending
    _assert_readable(again, *ids)
    again.close()


def test_raw_sqlite_sees_only_tokens(tmp_path):
    path = tmp_path / "lib.sqlite3"
    db = Database(path, keys=_store(tmp_path))
    db.open()
    _seed(db)
    db.close()
    con = sqlite3.connect(path)
    try:
        for info_hash, in con.execute("SELECT hash FROM movie_source"):
            assert info_hash.startswith("mx1:D") and len(info_hash) <= 92
        assert con.execute("SELECT COUNT(*) FROM movie_source WHERE hash LIKE ?",
                           (f"%{HASH_DEMO}%",)).fetchone() == (0,)
    finally:
        con.close()
