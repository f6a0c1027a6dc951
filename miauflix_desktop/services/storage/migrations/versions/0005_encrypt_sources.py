"""encrypt sensitive source fields at rest (ADR 0005)

Rewrites movie_source.hash (AES-256-SIV, deterministic: looked up and unique),
magnet_link, url, release_name (AES-256-GCM text tokens) and file (.torrent bytes,
AES-256-GCM binary token) in place, a page of rows at a time. Values already encrypted
are left alone, so a re-run is harmless.

No column type changes, so no table copy: SQLite does not enforce VARCHAR lengths and
keeps a token in the TEXT/BLOB columns as they are. (A batch copy would DROP movie_source,
and with foreign keys on that DROP deletes every storage row pointing at it.)

The key: the cipher ``Database.open`` bound to this engine before migrating (the app's
keyring entry or <data dir>/secrets/db-field-key, or the key a test handed over); Alembic
run by hand on a file loads the same key from next to the file (cipher_for_connection).
Afterwards ``migrate()`` VACUUMs, so the replaced plaintext is not left in free pages or
the -wal file.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import op

from miauflix_desktop.services.security.crypto import FieldCipher
from miauflix_desktop.services.storage.encrypted import (
    SCRUB_REQUESTED,
    EncryptedColumn,
    Transform,
    cipher_for_connection,
    decrypt_tokens,
    encrypt_plaintext,
    rewrite_columns,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copy of encrypted.SOURCE_COLUMNS (a migration must not change when app code
# does; tests/unit/test_crypto.py checks the two and models.py agree).
TABLE = "movie_source"
COLUMNS = (
    EncryptedColumn("hash", "movie_source.hash", deterministic=True),
    EncryptedColumn("magnet_link", "movie_source.magnet_link"),
    EncryptedColumn("url", "movie_source.url"),
    EncryptedColumn("file", "movie_source.file", binary=True),
    EncryptedColumn("release_name", "movie_source.release_name"),
)


def _rewrite(transform_for: Callable[[FieldCipher], Transform]) -> None:
    conn = op.get_bind()
    cipher = cipher_for_connection(conn)
    counts = rewrite_columns(conn, TABLE, COLUMNS, transform_for(cipher))
    config = op.get_context().config
    if counts.rows and config is not None:
        config.attributes[SCRUB_REQUESTED] = True


def upgrade() -> None:
    _rewrite(encrypt_plaintext)


def downgrade() -> None:
    # Unreadable values (key lost) are left as they are and logged: decrypting is all
    # a downgrade can do, and stopping here would leave the schema at 0005 anyway.
    _rewrite(decrypt_tokens)
