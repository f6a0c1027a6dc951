"""episode sources: releases of series mapped to episodes, and per-episode progress

New tables only; nothing existing changes.

- episode_source: one torrent of a series (hash, magnet, url, release name and .torrent
  bytes encrypted at rest like movie_source's, ADR 0005; new rows are written encrypted
  by the column types, so there is nothing to rewrite here);
- episode_source_file: which (season, episode) a source holds and at which file index
  (episode 0 = a whole season whose file list is not known yet);
- episode_progress: where the viewer stopped an episode.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "episode_source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tvshow_id", sa.Integer(), sa.ForeignKey("tvshow.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("hash", sa.String(92), nullable=False),
        sa.Column("magnet_link", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("release_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("quality", sa.String(8), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("video_codec", sa.String(16), nullable=True),
        sa.Column("source_type", sa.String(16), nullable=True),
        sa.Column("broadcasters", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("source_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audio", sa.String(64), nullable=False, server_default=""),
        sa.Column("languages", sa.String(64), nullable=False, server_default=""),
        sa.Column("hdr", sa.String(32), nullable=False, server_default=""),
        sa.Column("bit_depth", sa.Integer(), nullable=True),
        sa.Column("streaming_score", sa.Integer(), nullable=False),
        sa.Column("score_explanation", sa.Text(), nullable=False, server_default=""),
        sa.Column("playable", sa.Boolean(), nullable=False, server_default=sa.text("1")),
        sa.Column("season_pack", sa.Boolean(), nullable=False, server_default=sa.text("0")),
        sa.Column("files_mapped", sa.Boolean(), nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tvshow_id", "hash", name="uq_episode_source_show_hash"),
    )
    op.create_index("ix_episode_source_tvshow_id", "episode_source", ["tvshow_id"])
    op.create_index("idx_episode_source_score", "episode_source",
                    ["tvshow_id", "streaming_score"])
    op.create_table(
        "episode_source_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("episode_source_id", sa.Integer(),
                  sa.ForeignKey("episode_source.id", ondelete="CASCADE"), nullable=False),
        sa.Column("season_number", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("file_index", sa.Integer(), nullable=True),
        sa.UniqueConstraint("episode_source_id", "season_number", "episode_number",
                            name="uq_episode_source_file"),
    )
    op.create_index("idx_episode_source_file_episode", "episode_source_file",
                    ["season_number", "episode_number"])
    op.create_table(
        "episode_progress",
        sa.Column("episode_id", sa.Integer(), sa.ForeignKey("episode.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("idx_episode_progress_updated_at", "episode_progress", ["updated_at"])


def downgrade() -> None:
    op.drop_index("idx_episode_progress_updated_at", "episode_progress")
    op.drop_table("episode_progress")
    op.drop_index("idx_episode_source_file_episode", "episode_source_file")
    op.drop_table("episode_source_file")
    op.drop_index("idx_episode_source_score", "episode_source")
    op.drop_index("ix_episode_source_tvshow_id", "episode_source")
    op.drop_table("episode_source")
