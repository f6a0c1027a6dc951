"""storage tracking: uploaded bytes, pieces done, progress, peers and status per source

Only ADD COLUMN, and only for columns that are missing (a database that already has one
keeps it). Never batch mode: a batch copy DROPs storage's table, and movie/movie_source
copies would cascade deletes through the foreign keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "storage"


def _columns() -> list[sa.Column[object]]:
    # A function, not a module constant: a Column can belong to one table only, and
    # upgrade/downgrade may both run in one process (tests).
    return [
        sa.Column("uploaded", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("pieces_done", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("progress", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("peers", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("status", sa.String(16), nullable=False, server_default=""),
    ]


def _existing() -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}


def upgrade() -> None:
    existing = _existing()
    for column in _columns():
        if column.name not in existing:
            op.add_column(TABLE, column)


def downgrade() -> None:
    existing = _existing()
    for column in reversed(_columns()):
        if column.name not in existing:
            continue
        if op.get_bind().dialect.name == "sqlite":
            # In place (SQLite >= 3.35); see above for why not batch mode.
            op.execute(f"ALTER TABLE {TABLE} DROP COLUMN {column.name}")
        else:
            op.drop_column(TABLE, column.name)
