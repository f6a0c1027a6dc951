"""Open the SQLite database (WAL), run Alembic migrations to head, hand out sessions."""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from miauflix_desktop.core.errors import StorageError
from miauflix_desktop.services.security.keys import KeyStore, default_key_store
from miauflix_desktop.services.storage.encrypted import (
    SCRUB_REQUESTED,
    finish_open,
    open_field_encryption,
    scrub_free_pages,
)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the UI read while a sync job writes; NORMAL sync is safe with WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Background jobs and the UI share the file; wait instead of failing on a brief lock.
    cur.execute("PRAGMA busy_timeout=5000")
    # The catalog (100k titles, their FTS index) is read on every keystroke: keep its hot
    # pages in memory (32 MiB page cache; reads through mmap skip a copy per page).
    cur.execute("PRAGMA cache_size=-32768")
    cur.execute("PRAGMA mmap_size=268435456")
    try:
        cur.execute("SELECT ln(1)")
    except sqlite3.OperationalError:
        # Search ranking uses ln(); SQLite builds without math functions get Python's.
        dbapi_conn.create_function("ln", 1, math.log, deterministic=True)
    cur.close()


def create_db_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema; a file that is not a database is reported, never overwritten."""
    cfg = alembic_config(engine)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except (DatabaseError, OperationalError) as exc:
        raise StorageError(
            f"The database at {engine.url.database} cannot be opened ({exc.orig}). "
            "It was left untouched; move it aside to start with an empty library."
        ) from exc
    if cfg.attributes.get(SCRUB_REQUESTED):
        # A migration replaced plaintext: VACUUM outside its transaction (ADR 0005).
        scrub_free_pages(engine)


class Database:
    """The app's database: engine + session factory, migrated on open."""

    def __init__(self, path_or_url: Path | str, keys: KeyStore | None = None) -> None:
        url = path_or_url if isinstance(path_or_url, str) else f"sqlite:///{path_or_url}"
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # The field keyset (ADR 0005); by default the app's: <db dir>/secrets or keyring.
        name = self.engine.url.database
        self.keys = keys or default_key_store(
            Path(name) if name and name != ":memory:" else None)

    def open(self) -> None:
        # Bound before migrating: migration 0005 encrypts with this engine's cipher.
        open_field_encryption(self.engine, self.keys)
        migrate(self.engine)
        finish_open(self.engine, self.keys)
        log.info("database ready: %s (tables: %s)", self.engine.url.database,
                 ", ".join(sorted(inspect(self.engine).get_table_names())))

    async def start(self) -> None:
        await asyncio.to_thread(self.open)

    async def stop(self) -> None:
        self.close()

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()
