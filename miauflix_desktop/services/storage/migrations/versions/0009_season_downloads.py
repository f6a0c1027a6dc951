"""season downloads: seasons of series marked "download for later"

A new table only; nothing existing changes. ``download`` stays one row per film (its
``movie_id`` is NOT NULL and unique; making it express episodes would mean rebuilding the
table under SQLite for every user). A marked season is one row per torrent chosen for it:
a season pack holding several episodes is one row (downloaded once), single-episode
releases a row each; ``episodes`` lists the episode numbers the row was chosen for.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "season_download",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tvshow_id", sa.Integer(), sa.ForeignKey("tvshow.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("season_number", sa.Integer(), nullable=False),
        # SET NULL like download.movie_source_id: a source dropped by a resync leaves the
        # row, shown as failed, instead of the season silently losing episodes.
        sa.Column("episode_source_id", sa.Integer(),
                  sa.ForeignKey("episode_source.id", ondelete="SET NULL"), nullable=True),
        sa.Column("episodes", sa.String(512), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("size", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tvshow_id", "season_number", "episode_source_id",
                            name="uq_season_download_source"),
    )
    op.create_index("idx_season_download_created_at", "season_download", ["created_at"])


def downgrade() -> None:
    op.drop_index("idx_season_download_created_at", "season_download")
    op.drop_table("season_download")
