"""Encrypted columns: SQLAlchemy types over the field cipher, and whole-table re-encryption.

Each engine gets its cipher from ``bind_cipher`` (``Database.open`` binds its own before
migrating, so migration 0005 and the ORM use the same keys); ``install_cipher`` sets a
process-wide fallback for engines nobody bound (scripts, Alembic run by hand). Binding
per engine rather than only per process keeps two open databases with different keys
(tests, a second --data-dir) from encrypting lookups with each other's key.

Reading a value that does not decrypt (key lost, data damaged) logs one clear error per
column and cause and reads as empty ("" / None) instead of raising: a Sources list
still shows, the source just has nothing to play. Values not in the encrypted format are
legacy plaintext (rows written before migration 0005) and read as they are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, LargeBinary, String, Text, inspect, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from miauflix_desktop.core.errors import StorageError
from miauflix_desktop.services.security.crypto import (
    DecryptionError,
    FieldCipher,
    Keyset,
    is_token,
    key_id_of,
)
from miauflix_desktop.services.security.keys import KeyStore, default_key_store

log = logging.getLogger(__name__)

# Set in Alembic's config attributes by a migration that rewrote sensitive values; the
# migrate() caller then VACUUMs so the old bytes leave the file's free pages.
SCRUB_REQUESTED = "miauflix.scrub_free_pages"

_by_dialect: WeakKeyDictionary[Dialect, FieldCipher] = WeakKeyDictionary()
_process_cipher: FieldCipher | None = None
_lock = threading.Lock()


def bind_cipher(engine: Engine, cipher: FieldCipher) -> None:
    """Use ``cipher`` for every encrypted column read or written through ``engine``."""
    with _lock:
        _by_dialect[engine.dialect] = cipher


def install_cipher(cipher: FieldCipher | None) -> None:
    """The process-wide fallback for engines without their own cipher (None removes it)."""
    global _process_cipher
    with _lock:
        _process_cipher = cipher


def cipher_for(dialect: Dialect) -> FieldCipher:
    with _lock:
        cipher = _by_dialect.get(dialect, _process_cipher)
    if cipher is None:
        raise StorageError("No database field key is loaded: open the database through "
                           "Database.open() (or call install_cipher) before using it.")
    return cipher


def cipher_for_connection(conn: Connection) -> FieldCipher:
    """The cipher a migration uses: the engine's, else the key the app would load.

    ``Database.open`` binds its cipher before running Alembic, so the app and tests land
    in the first branch. Alembic run by hand on a database file finds the same key the
    app uses for that file (keyring entry, else <dir>/secrets/db-field-key).
    """
    with _lock:
        cipher = _by_dialect.get(conn.dialect, _process_cipher)
    if cipher is not None:
        return cipher
    name = conn.engine.url.database
    store = default_key_store(Path(name) if name and name != ":memory:" else None)
    log.info("migration: using the field key from %s", store.description)
    cipher = FieldCipher(store.load())
    bind_cipher(conn.engine, cipher)
    return cipher


# -------------------------------------------------------------------- decrypt failures

_reported: set[tuple[str, str]] = set()


def _unreadable(context: str, exc: DecryptionError) -> None:
    # Once per column and cause: a list of 500 sources must not log 500 errors.
    key = (context, str(exc))
    with _lock:
        if key in _reported:
            return
        _reported.add(key)
    log.error("StorageError: %s. The value reads as empty; restore the database field key "
              "(keyring entry or secrets/db-field-key) or let source discovery find the "
              "release again.", exc)


def _legacy(context: str) -> None:
    key = (context, "plaintext")
    with _lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("%s holds a plaintext value (written before encryption at rest); it is "
                "encrypted when the row is next written or migrated", context)


# -------------------------------------------------------------------- column types

# Comparisons that would silently never match random-nonce ciphertext.
_REFUSED = frozenset({
    operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
    operators.like_op, operators.not_like_op, operators.ilike_op, operators.not_ilike_op,
    operators.in_op, operators.not_in_op, operators.contains_op, operators.startswith_op,
    operators.endswith_op, operators.between_op, operators.match_op,
    operators.regexp_match_op,
})


def _refuse(op: Any, other: Sequence[Any], context: str) -> None:
    if op in _REFUSED and not (op in (operators.eq, operators.ne) and other[:1] == (None,)):
        raise StorageError(f"{context} is encrypted with a random nonce and cannot be "
                           f"compared in SQL ({getattr(op, '__name__', op)}); only IS NULL "
                           "works. Use a deterministic column for lookups.")


class _Sealed(TypeDecorator.Comparator):  # type: ignore[type-arg]
    """Comparator that refuses value comparisons on random-nonce columns."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        _refuse(op, other, self.type.context)
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
        _refuse(op, (other,), self.type.context)
        return super().reverse_operate(op, other, **kwargs)


class EncryptedText(TypeDecorator[str]):
    """A str stored as an AES-256-GCM text token; unreadable values read as ``unreadable``."""

    impl = Text
    cache_ok = True
    comparator_factory = _Sealed

    def __init__(self, context: str, unreadable: str | None = "") -> None:
        super().__init__()
        self.context = context
        self.unreadable = unreadable

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_for(dialect).encrypt_text(value, self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not is_token(value):
            if value:
                _legacy(self.context)
            return str(value)
        try:
            return cipher_for(dialect).decrypt_text(value, self.context)
        except DecryptionError as exc:
            _unreadable(self.context, exc)
            return self.unreadable


class DeterministicText(TypeDecorator[str]):
    """A str stored as an AES-256-SIV text token: ``column == value`` still matches."""

    impl = String
    cache_ok = True

    def __init__(self, context: str, length: int | None = None) -> None:
        # The declared length is the column's (SQLite does not enforce it); see ADR 0005.
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_for(dialect).encrypt_text(value, self.context, deterministic=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not is_token(value):
            if value:
                _legacy(self.context)
            return str(value)
        try:
            return cipher_for(dialect).decrypt_text(value, self.context)
        except DecryptionError as exc:
            _unreadable(self.context, exc)
            return ""


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes stored as a binary AES-256-GCM token; unreadable values read as None."""

    impl = LargeBinary
    cache_ok = True
    comparator_factory = _Sealed

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return cipher_for(dialect).encrypt(bytes(value), self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        data = bytes(value)
        if not is_token(data):
            if data:
                _legacy(self.context)
            return data
        try:
            return cipher_for(dialect).decrypt(data, self.context)
        except DecryptionError as exc:
            _unreadable(self.context, exc)
            return None


# -------------------------------------------------------------------- whole-table rewrites


@dataclass(frozen=True)
class EncryptedColumn:
    """One encrypted column as the raw-SQL rewrites see it (contexts match models.py)."""

    name: str
    context: str
    deterministic: bool = False
    binary: bool = False


SOURCE_TABLE = "movie_source"
SOURCE_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn("hash", "movie_source.hash", deterministic=True),
    EncryptedColumn("magnet_link", "movie_source.magnet_link"),
    EncryptedColumn("url", "movie_source.url"),
    EncryptedColumn("file", "movie_source.file", binary=True),
    EncryptedColumn("release_name", "movie_source.release_name"),
)
# Series releases (models.EpisodeSource, migration 0008): the same fields under their own
# contexts, written encrypted from the start; a key rotation rewrites them too.
EPISODE_SOURCE_TABLE = "episode_source"
EPISODE_SOURCE_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn("hash", "episode_source.hash", deterministic=True),
    EncryptedColumn("magnet_link", "episode_source.magnet_link"),
    EncryptedColumn("url", "episode_source.url"),
    EncryptedColumn("file", "episode_source.file", binary=True),
    EncryptedColumn("release_name", "episode_source.release_name"),
)

Transform = Callable[[EncryptedColumn, str | bytes], str | bytes]


@dataclass
class RewriteCounts:
    """What a rewrite did: rows touched, values changed per column, values it could not."""

    rows: int = 0
    values: dict[str, int] = field(default_factory=dict)
    unreadable: int = 0


def seal(cipher: FieldCipher, col: EncryptedColumn, value: str | bytes) -> str | bytes:
    """Encrypt a plaintext value the way the column's type would."""
    if col.binary:
        data = value.encode() if isinstance(value, str) else value
        return cipher.encrypt(data, col.context)
    plain = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return cipher.encrypt_text(plain, col.context, deterministic=col.deterministic)


def unseal(cipher: FieldCipher, col: EncryptedColumn, value: str | bytes) -> str | bytes:
    """Decrypt a token the way the column's type would (DecryptionError if it cannot)."""
    data = cipher.decrypt(value, col.context)
    return data if col.binary else data.decode("utf-8")


def rewrite_columns(conn: Connection, table: str, columns: Sequence[EncryptedColumn],
                    transform: Transform, page: int = 200) -> RewriteCounts:
    """Apply ``transform`` to every non-NULL value, in id order, a page at a time.

    Raw SQL on purpose: the ORM types would decrypt/encrypt on their own, and a migration
    must not depend on the current models. Pages keep .torrent blobs from all sitting in
    memory at once. ``secure_delete`` makes SQLite zero the old cell bytes it frees, so
    a replaced plaintext is not left behind inside live pages.
    """
    counts = RewriteCounts(values={c.name: 0 for c in columns})
    names = ", ".join(f'"{c.name}"' for c in columns)
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        previous = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        after: int | None = None
        while True:
            where = "" if after is None else "WHERE id > :after "
            rows = conn.execute(text(f'SELECT id, {names} FROM "{table}" {where}'
                                     "ORDER BY id LIMIT :n"), {"after": after, "n": page}).all()
            for row in rows:
                changes: dict[str, str | bytes] = {}
                for col, value in zip(columns, row[1:], strict=True):
                    if value is None:
                        continue
                    try:
                        new = transform(col, value)
                    except DecryptionError as exc:
                        _unreadable(col.context, exc)
                        counts.unreadable += 1
                        continue
                    if new != value:
                        changes[col.name] = new
                        counts.values[col.name] += 1
                if changes:
                    sets = ", ".join(f'"{k}" = :{k}' for k in changes)
                    conn.execute(text(f'UPDATE "{table}" SET {sets} WHERE id = :id'),
                                 {**changes, "id": row[0]})
                    counts.rows += 1
            if len(rows) < page:
                return counts
            after = rows[-1][0]
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA secure_delete={int(previous)}")


def encrypt_plaintext(cipher: FieldCipher) -> Transform:
    """Plaintext -> token; tokens stay (so a re-run or a half-migrated row is fine)."""
    return lambda col, v: v if is_token(v) else seal(cipher, col, v)


def decrypt_tokens(cipher: FieldCipher) -> Transform:
    """Token -> plaintext (migration downgrade); plaintext stays."""
    return lambda col, v: unseal(cipher, col, v) if is_token(v) else v


def reencrypt_to_active(cipher: FieldCipher) -> Transform:
    """Anything not under the cipher's active key -> under it (rotation, resumable)."""
    def transform(col: EncryptedColumn, value: str | bytes) -> str | bytes:
        if is_token(value):
            if key_id_of(value) == cipher.active_key_id:
                return value
            value = unseal(cipher, col, value)
        return seal(cipher, col, value)
    return transform


def scrub_free_pages(engine: Engine) -> None:
    """VACUUM and truncate the WAL: replaced bytes leave free pages and old WAL frames.

    Outside any transaction (VACUUM cannot run in one). Failing (e.g. no room for the
    copy VACUUM makes) only leaves old bytes in free pages: logged, not fatal.
    """
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM")
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
        if busy and busy[0]:
            log.warning("WAL checkpoint was blocked by a reader; old pages stay in the "
                        "-wal file until the next checkpoint")
    except DBAPIError:
        log.warning("could not VACUUM the database after rewriting encrypted columns",
                    exc_info=True)


# -------------------------------------------------------------------- keys and rotation


@dataclass(frozen=True)
class RotationReport:
    """What rotate_key (or finishing an interrupted rotation) did."""

    old_key: str
    new_key: str
    rows: int
    values: dict[str, int]
    unreadable: int


def open_field_encryption(engine: Engine, store: KeyStore) -> FieldCipher:
    """Load (or create) the keyset and bind its cipher to ``engine`` (before migrating)."""
    cipher = FieldCipher(store.load())
    bind_cipher(engine, cipher)
    return cipher


def finish_open(engine: Engine, store: KeyStore) -> RotationReport | None:
    """After migrating: finish an interrupted rotation, report keys this machine lacks."""
    keyset = store.load()
    report = None
    if keyset.pending is not None:
        log.warning("finishing an interrupted database key rotation")
        report = _rotate_to_pending(engine, store, keyset, keyset.active)
        keyset = store.load()
    _report_foreign_keys(engine, keyset)
    return report


def rotate_key(engine: Engine, store: KeyStore) -> RotationReport:
    """Re-encrypt every sensitive value under a new key, in one transaction.

    The old key stays stored until the transaction has committed; an interruption at any
    point leaves every value readable, and the next run (or Database.open) completes it.
    """
    keyset = store.load()
    rotating = keyset.begin_rotation()
    if rotating is not keyset:
        store.save(rotating)
    return _rotate_to_pending(engine, store, rotating, keyset.active)


def _rotate_to_pending(engine: Engine, store: KeyStore, rotating: Keyset,
                       old: bytes) -> RotationReport:
    assert rotating.pending is not None
    target = FieldCipher(rotating.rotation_target())
    with engine.begin() as conn:
        counts = rewrite_columns(conn, SOURCE_TABLE, SOURCE_COLUMNS,
                                 reencrypt_to_active(target))
        if inspect(conn).has_table(EPISODE_SOURCE_TABLE):  # absent before migration 0008
            more = rewrite_columns(conn, EPISODE_SOURCE_TABLE, EPISODE_SOURCE_COLUMNS,
                                   reencrypt_to_active(target))
            counts.rows += more.rows
            counts.unreadable += more.unreadable
            for name, changed in more.values.items():
                counts.values[name] = counts.values.get(name, 0) + changed
    finished = rotating.finish_rotation()
    store.save(finished)
    bind_cipher(engine, FieldCipher(finished))
    # Old-key ciphertexts left in free pages are what a leaked old key could still open.
    scrub_free_pages(engine)
    return RotationReport(old.hex(), finished.active.hex(), counts.rows, counts.values,
                          counts.unreadable)


def _report_foreign_keys(engine: Engine, keyset: Keyset) -> None:
    # The text token carries the key id in clear at a fixed place: "mx1:D<8 hex>:...".
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT substr(hash, 6, 8) AS kid, COUNT(*) FROM {SOURCE_TABLE} "
            "WHERE hash LIKE 'mx1:%' GROUP BY kid")).all()
    known = {k.hex() for k in keyset.keys}
    missing = {kid: n for kid, n in rows if kid not in known}
    if missing:
        log.error("StorageError: %d sources were encrypted with a database field key this "
                  "machine does not have (key ids %s); they read as empty. Restore the "
                  "key or let source discovery find them again.",
                  sum(missing.values()), ", ".join(sorted(missing)))
