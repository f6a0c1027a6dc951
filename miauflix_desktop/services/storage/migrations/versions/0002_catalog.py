"""catalog: series, seasons, episodes, translations, genres, lists, accounts, sync state; FTS5

Upgrades a 0001 database in place, keeping its films, sources, storage rows and watch
progress: new tables are created, ``movie`` only gains columns (ALTER TABLE ADD COLUMN,
no table copy, so foreign keys pointing at it are never dropped and re-created).

On SQLite it also creates ``title_search``, an FTS5 index over titles (original and
translated) of films and series, kept current by triggers so every writer (the sync
job, the demo library, a hand edit) keeps it in sync. Its rowid encodes the row it
indexes: ``movie.id`` for a film, ``tvshow.id + 2**40`` for a series, so triggers
update it by rowid (a b-tree lookup) instead of scanning the UNINDEXED columns, and a
search for one kind is a rowid range FTS5 seeks to (doclists are in rowid order).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:38.612982
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# unicode61 with remove_diacritics 2 folds "Amélie" and "amelie" to the same token.
# prefix='2 3' adds prefix indexes so the short prefixes typed first ("ma", "mat") are
# answered from an index instead of scanning every term that starts with them.
CREATE_FTS = """
CREATE VIRTUAL TABLE title_search USING fts5(
    kind UNINDEXED,
    media_id UNINDEXED,
    title,
    original_title,
    translations,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
)
"""

# (media table, kind, rowid offset, title column, original title column,
#  translation table, its foreign key, its title column)
INDEXED = (
    ("movie", "movie", 0, "title", "original_title", "movie_translation", "movie_id", "title"),
    ("tvshow", "tv", 1 << 40, "name", "original_name", "tvshow_translation", "tvshow_id", "name"),
)


def _trigger_sql(
    table: str,
    kind: str,
    off: int,
    title: str,
    original: str,
    tr_table: str,
    tr_fk: str,
    tr_title: str,
) -> list[str]:
    def translations(ref: str) -> str:
        return f"(SELECT group_concat({tr_title}, ' ') FROM {tr_table} WHERE {tr_fk} = {ref})"

    insert = (
        "INSERT INTO title_search(rowid, kind, media_id, title, original_title, translations) "
        f"VALUES (new.id + {off}, '{kind}', new.id, new.{title}, new.{original}, "
        f"{translations('new.id')});"
    )

    def refresh(ref: str) -> str:
        return (
            f"UPDATE title_search SET translations = {translations(ref)} "
            f"WHERE rowid = {ref} + {off};"
        )

    return [
        f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN {insert} END",
        # Only title changes touch the index: popularity/rating refreshes stay cheap.
        f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF {title}, {original} ON {table} "
        f"WHEN old.{title} IS NOT new.{title} OR old.{original} IS NOT new.{original} BEGIN "
        f"DELETE FROM title_search WHERE rowid = old.id + {off}; {insert} END",
        f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM title_search WHERE rowid = old.id + {off}; END",
        f"CREATE TRIGGER {tr_table}_fts_insert AFTER INSERT ON {tr_table} BEGIN "
        f"{refresh(f'new.{tr_fk}')} END",
        f"CREATE TRIGGER {tr_table}_fts_update AFTER UPDATE OF {tr_title}, {tr_fk} "
        f"ON {tr_table} BEGIN {refresh(f'old.{tr_fk}')} {refresh(f'new.{tr_fk}')} END",
        f"CREATE TRIGGER {tr_table}_fts_delete AFTER DELETE ON {tr_table} BEGIN "
        f"{refresh(f'old.{tr_fk}')} END",
    ]


def _trigger_names() -> list[str]:
    return [
        f"{t}_fts_{op_}"
        for spec in INDEXED
        for t in (spec[0], spec[5])
        for op_ in ("insert", "update", "delete")
    ]


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _create_tables() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=25), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.create_index("idx_audit_logs_created_at", ["created_at"], unique=False)
        batch_op.create_index("idx_audit_logs_event_type", ["event_type"], unique=False)

    op.create_table(
        "genre",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("for_movies", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("for_tv", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "media_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.String(length=500), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "tvshow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=False),
        sa.Column("imdb_id", sa.String(length=11), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("original_name", sa.String(length=500), nullable=False),
        sa.Column("original_language", sa.String(length=16), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("first_air_date", sa.String(length=10), nullable=False),
        sa.Column("poster", sa.String(length=500), nullable=False),
        sa.Column("backdrop", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("tagline", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("in_production", sa.Boolean(), nullable=False),
        sa.Column("episode_run_time", sa.JSON(), nullable=False),
        sa.Column("popularity", sa.Float(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tmdb_id"),
    )
    with op.batch_alter_table("tvshow", schema=None) as batch_op:
        batch_op.create_index("idx_tvshow_first_air_date", ["first_air_date"], unique=False)
        batch_op.create_index("idx_tvshow_last_synced_at", ["last_synced_at"], unique=False)
        batch_op.create_index("idx_tvshow_name", ["name"], unique=False)
        batch_op.create_index("idx_tvshow_popularity", ["popularity"], unique=False)
        batch_op.create_index("idx_tvshow_rating", ["rating", "popularity"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("is_email_verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "genre_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["genre_id"], ["genre.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("genre_id", "language", name="uq_genre_translation"),
    )
    op.create_table(
        "media_list_movie",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["media_list.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["movie_id"], ["movie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("list_id", "position"),
    )
    with op.batch_alter_table("media_list_movie", schema=None) as batch_op:
        batch_op.create_index("idx_media_list_movie_movie", ["movie_id"], unique=False)

    op.create_table(
        "media_list_tvshow",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tvshow_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["media_list.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tvshow_id"], ["tvshow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("list_id", "position"),
    )
    with op.batch_alter_table("media_list_tvshow", schema=None) as batch_op:
        batch_op.create_index("idx_media_list_tvshow_tvshow", ["tvshow_id"], unique=False)

    op.create_table(
        "movie_genre",
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["genre_id"], ["genre.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["movie_id"], ["movie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("movie_id", "genre_id"),
    )
    with op.batch_alter_table("movie_genre", schema=None) as batch_op:
        batch_op.create_index("idx_movie_genre_genre", ["genre_id", "movie_id"], unique=False)

    op.create_table(
        "movie_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("tagline", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["movie_id"], ["movie.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("movie_id", "language", name="uq_movie_translation"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("last_ip_address", sa.String(length=45), nullable=True),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("issue_ip_address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("user_id", "session", name="uq_refresh_tokens_user_session"),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index("idx_refresh_tokens_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_session"), ["session"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "season",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=False),
        sa.Column("tvshow_id", sa.Integer(), nullable=False),
        sa.Column("season_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("air_date", sa.String(length=10), nullable=True),
        sa.Column("poster_path", sa.String(length=500), nullable=True),
        sa.Column("episode_count", sa.Integer(), nullable=False),
        sa.Column("synced", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tvshow_id"], ["tvshow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tvshow_id", "season_number", name="uq_season_number"),
    )
    op.create_table(
        "trakt_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("trakt_slug", sa.String(length=100), nullable=False),
        sa.Column("trakt_username", sa.String(length=100), nullable=True),
        sa.Column("access_token", sa.String(length=255), nullable=True),
        sa.Column("refresh_token", sa.String(length=255), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trakt_slug"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "tvshow_genre",
        sa.Column("tvshow_id", sa.Integer(), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["genre_id"], ["genre.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tvshow_id"], ["tvshow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tvshow_id", "genre_id"),
    )
    with op.batch_alter_table("tvshow_genre", schema=None) as batch_op:
        batch_op.create_index("idx_tvshow_genre_genre", ["genre_id", "tvshow_id"], unique=False)

    op.create_table(
        "tvshow_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tvshow_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("tagline", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tvshow_id"], ["tvshow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tvshow_id", "language", name="uq_tvshow_translation"),
    )
    op.create_table(
        "episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("air_date", sa.String(length=10), nullable=False),
        sa.Column("still_path", sa.String(length=500), nullable=False),
        sa.Column("imdb_id", sa.String(length=11), nullable=True),
        sa.Column("runtime", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["season_id"], ["season.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("season_id", "episode_number", name="uq_episode_number"),
    )
    with op.batch_alter_table("movie", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("original_title", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("original_language", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("idx_movie_last_synced_at", ["last_synced_at"], unique=False)
        batch_op.create_index("idx_movie_popularity", ["popularity"], unique=False)
        batch_op.create_index("idx_movie_rating", ["rating", "popularity"], unique=False)
        batch_op.create_index("idx_movie_release_date", ["release_date"], unique=False)
        batch_op.create_index("idx_movie_title", ["title"], unique=False)

    with op.batch_alter_table("watch_progress", schema=None) as batch_op:
        batch_op.create_index("idx_watch_progress_updated_at", ["updated_at"], unique=False)


def _create_fts() -> None:
    op.execute(CREATE_FTS)
    for table, kind, off, title, original, tr_table, tr_fk, tr_title in INDEXED:
        for sql in _trigger_sql(table, kind, off, title, original, tr_table, tr_fk, tr_title):
            op.execute(sql)
        # Index what is already there (0001 films; translations tables are new, empty).
        op.execute(
            "INSERT INTO title_search(rowid, kind, media_id, title, original_title, "
            f"translations) SELECT id + {off}, '{kind}', id, {title}, {original}, "
            f"(SELECT group_concat({tr_title}, ' ') FROM {tr_table} WHERE {tr_fk} = {table}.id)"
            f" FROM {table}"
        )


def upgrade() -> None:
    _create_tables()
    if _is_sqlite():
        _create_fts()


def _drop_movie_columns() -> None:
    names = ("last_synced_at", "original_language", "original_title")
    if _is_sqlite():
        # Not batch mode here: batch would copy and DROP the movie table, and with
        # foreign keys on that DROP cascades to movie_source and watch_progress.
        # SQLite >= 3.35 drops a column in place.
        for name in names:
            op.execute(f"ALTER TABLE movie DROP COLUMN {name}")
    else:
        for name in names:
            op.drop_column("movie", name)


def downgrade() -> None:
    if _is_sqlite():
        for name in _trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS title_search")

    with op.batch_alter_table("watch_progress", schema=None) as batch_op:
        batch_op.drop_index("idx_watch_progress_updated_at")

    with op.batch_alter_table("movie", schema=None) as batch_op:
        batch_op.drop_index("idx_movie_title")
        batch_op.drop_index("idx_movie_release_date")
        batch_op.drop_index("idx_movie_rating")
        batch_op.drop_index("idx_movie_popularity")
        batch_op.drop_index("idx_movie_last_synced_at")
    _drop_movie_columns()

    op.drop_table("episode")
    op.drop_table("tvshow_translation")
    with op.batch_alter_table("tvshow_genre", schema=None) as batch_op:
        batch_op.drop_index("idx_tvshow_genre_genre")

    op.drop_table("tvshow_genre")
    op.drop_table("trakt_users")
    op.drop_table("season")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_session"))
        batch_op.drop_index("idx_refresh_tokens_expires_at")

    op.drop_table("refresh_tokens")
    op.drop_table("movie_translation")
    with op.batch_alter_table("movie_genre", schema=None) as batch_op:
        batch_op.drop_index("idx_movie_genre_genre")

    op.drop_table("movie_genre")
    with op.batch_alter_table("media_list_tvshow", schema=None) as batch_op:
        batch_op.drop_index("idx_media_list_tvshow_tvshow")

    op.drop_table("media_list_tvshow")
    with op.batch_alter_table("media_list_movie", schema=None) as batch_op:
        batch_op.drop_index("idx_media_list_movie_movie")

    op.drop_table("media_list_movie")
    op.drop_table("genre_translation")
    op.drop_table("users")
    with op.batch_alter_table("tvshow", schema=None) as batch_op:
        batch_op.drop_index("idx_tvshow_rating")
        batch_op.drop_index("idx_tvshow_popularity")
        batch_op.drop_index("idx_tvshow_name")
        batch_op.drop_index("idx_tvshow_last_synced_at")
        batch_op.drop_index("idx_tvshow_first_air_date")

    op.drop_table("tvshow")
    op.drop_table("sync_state")
    op.drop_table("media_list")
    op.drop_table("genre")
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index("idx_audit_logs_event_type")
        batch_op.drop_index("idx_audit_logs_created_at")

    op.drop_table("audit_logs")
