"""initial schema: movie, movie_source, storage, watch_progress

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:18:21.928093
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "movie",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=False),
        sa.Column("imdb_id", sa.String(length=11), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("runtime", sa.Integer(), nullable=False),
        sa.Column("tagline", sa.String(length=500), nullable=False),
        sa.Column("trailer", sa.String(length=500), nullable=True),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.Column("popularity", sa.Float(), nullable=False),
        sa.Column("release_date", sa.String(length=10), nullable=False),
        sa.Column("poster", sa.String(length=500), nullable=False),
        sa.Column("backdrop", sa.String(length=500), nullable=False),
        sa.Column("logo", sa.String(length=500), nullable=False),
        sa.Column("content_directories_searched", sa.JSON(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("imdb_id"),
        sa.UniqueConstraint("tmdb_id"),
    )
    op.create_table(
        "movie_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=92), nullable=False),
        sa.Column("magnet_link", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("quality", sa.String(length=8), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("video_codec", sa.String(length=16), nullable=True),
        sa.Column("broadcasters", sa.Integer(), nullable=True),
        sa.Column("watchers", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=True),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.Column("source_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("streaming_score", sa.Integer(), nullable=False),
        sa.Column("last_stats_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_stats_check_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["movie_id"], ["movie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("movie_id", "hash", name="uq_movie_source_movie_hash"),
    )
    with op.batch_alter_table("movie_source", schema=None) as batch_op:
        batch_op.create_index(
            "idx_movie_source_streaming_score", ["movie_id", "streaming_score"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_movie_source_movie_id"), ["movie_id"], unique=False)

    op.create_table(
        "watch_progress",
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["movie_id"], ["movie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("movie_id"),
    )
    op.create_table(
        "storage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_source_id", sa.Integer(), nullable=False),
        sa.Column("downloaded_pieces", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("total_pieces", sa.Integer(), nullable=False),
        sa.Column("piece_length", sa.Integer(), nullable=False),
        sa.Column("downloaded", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("last_access_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_write_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["movie_source_id"], ["movie_source.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("movie_source_id"),
    )
    with op.batch_alter_table("storage", schema=None) as batch_op:
        batch_op.create_index("idx_storage_last_access", ["last_access_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("storage", schema=None) as batch_op:
        batch_op.drop_index("idx_storage_last_access")

    op.drop_table("storage")
    op.drop_table("watch_progress")
    with op.batch_alter_table("movie_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movie_source_movie_id"))
        batch_op.drop_index("idx_movie_source_streaming_score")

    op.drop_table("movie_source")
    op.drop_table("movie")
