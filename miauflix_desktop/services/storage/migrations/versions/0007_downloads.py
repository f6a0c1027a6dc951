"""downloads: titles marked "download for later" (kept whole on disk, never evicted)

A new table only; nothing existing changes. One row per marked film: which source is
being downloaded, the last state the DownloadsService saw, and why it failed if it did.
Storage rows stay the torrent cache's view of the bytes on disk; this table is the user's
intent, which Storage cannot say (a Storage row exists only once a torrent ran, and is
marked "evicted" when the cache removes it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "download",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("movie_id", sa.Integer(),
                  sa.ForeignKey("movie.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        # SET NULL, not CASCADE: a source dropped by a resync leaves the mark, shown as
        # failed ("source no longer available") instead of silently vanishing.
        sa.Column("movie_source_id", sa.Integer(),
                  sa.ForeignKey("movie_source.id", ondelete="SET NULL"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("size", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("idx_download_created_at", "download", ["created_at"])


def downgrade() -> None:
    op.drop_index("idx_download_created_at", "download")
    op.drop_table("download")
