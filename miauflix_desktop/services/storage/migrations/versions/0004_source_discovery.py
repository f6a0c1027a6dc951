"""source discovery: search state on films, parsed release facts and file choice on sources

Only ADD COLUMN and CREATE INDEX: existing films and sources are kept as they are (the
new columns start empty; the discovery jobs fill them).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SOURCE_COLUMNS = [
    sa.Column("release_name", sa.Text(), nullable=False, server_default=""),
    sa.Column("audio", sa.String(64), nullable=False, server_default=""),
    sa.Column("languages", sa.String(64), nullable=False, server_default=""),
    sa.Column("hdr", sa.String(32), nullable=False, server_default=""),
    sa.Column("bit_depth", sa.Integer(), nullable=True),
    sa.Column("score_explanation", sa.Text(), nullable=False, server_default=""),
    sa.Column("playable", sa.Boolean(), nullable=False, server_default=sa.text("1")),
    sa.Column("file_index", sa.Integer(), nullable=True),
    sa.Column("file_count", sa.Integer(), nullable=True),
    sa.Column("dead_since", sa.DateTime(timezone=True), nullable=True),
]


def upgrade() -> None:
    op.add_column("movie", sa.Column("sources_searched_at", sa.DateTime(timezone=True),
                                     nullable=True))
    op.add_column("movie", sa.Column("source_search_misses", sa.Integer(), nullable=False,
                                     server_default=sa.text("0")))
    for column in _SOURCE_COLUMNS:
        op.add_column("movie_source", column)
    op.create_index("idx_movie_sources_searched_at", "movie",
                    ["sources_searched_at", "popularity"])
    op.create_index("idx_movie_source_next_stats", "movie_source", ["next_stats_check_at"])
    op.create_index("idx_movie_source_file_count", "movie_source", ["file_count"])


def downgrade() -> None:
    op.drop_index("idx_movie_source_file_count", "movie_source")
    op.drop_index("idx_movie_source_next_stats", "movie_source")
    op.drop_index("idx_movie_sources_searched_at", "movie")
    drops = [("movie_source", c.name) for c in reversed(_SOURCE_COLUMNS)]
    drops += [("movie", "source_search_misses"), ("movie", "sources_searched_at")]
    for table, name in drops:
        if op.get_bind().dialect.name == "sqlite":
            # Not batch mode: batch copies and DROPs the table, and with foreign keys on
            # that DROP cascades to the rows pointing at it. SQLite >= 3.35 drops a
            # column in place.
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
        else:
            op.drop_column(table, name)
