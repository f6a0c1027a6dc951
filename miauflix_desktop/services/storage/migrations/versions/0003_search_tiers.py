"""title_search: popularity tiers and a one-letter prefix index, for fast broad searches

Rebuilds the FTS5 index of migration 0002 from the tables it indexes (films, series and
their translations are kept; only the derived index is re-created):

* a ``popularity_tier`` column holding one token per threshold a title's popularity
  reaches (``0pop1 0pop2 0pop4 0pop8`` for 12.5). "Matches that are at least this popular"
  is then an FTS5 AND, so a two-letter search over 100k titles reads a few hundred
  rows instead of thousands. Triggers keep the tokens current; a popularity refresh
  rewrites the FTS row only when it crosses a threshold.
* ``prefix = '1 2 3'`` (was '2 3'): the first letter typed is answered from one
  prefix doclist instead of merging every term that starts with it (5 ms -> 0.5 ms).

Rowids are unchanged (``movie.id``; ``tvshow.id + 2**40``). SQLite only, like 0002.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:10:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copy of storage/fts.py POPULARITY_TIERS and its token stem (a migration must not
# change when app code does; tests/unit/test_search_tiers.py checks the two agree).
TIERS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
STEM = "0pop"

CREATE_FTS = """
CREATE VIRTUAL TABLE title_search USING fts5(
    kind UNINDEXED,
    media_id UNINDEXED,
    title,
    original_title,
    translations,
    popularity_tier,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
)
"""

# 0002's table, for downgrade.
CREATE_FTS_0002 = """
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
OPS = ("insert", "update", "delete")


def tier_sql(popularity: str) -> str:
    """SQL for the tier tokens of ``popularity``: '' below 1, '0pop1 0pop2 0pop4' for 5."""
    cases = " || ".join(
        f"CASE WHEN {popularity} >= {t} THEN ' {STEM}{t}' ELSE '' END" for t in TIERS
    )
    return f"ltrim({cases})"


def _trigger_sql(
    table: str,
    kind: str,
    off: int,
    title: str,
    original: str,
    tr_table: str,
    tr_fk: str,
    tr_title: str,
    *,
    tiered: bool,
) -> list[str]:
    def translations(ref: str) -> str:
        return f"(SELECT group_concat({tr_title}, ' ') FROM {tr_table} WHERE {tr_fk} = {ref})"

    tier_col = ", popularity_tier" if tiered else ""
    tier_val = f", {tier_sql('new.popularity')}" if tiered else ""
    insert = (
        "INSERT INTO title_search(rowid, kind, media_id, title, original_title, "
        f"translations{tier_col}) VALUES (new.id + {off}, '{kind}', new.id, new.{title}, "
        f"new.{original}, {translations('new.id')}{tier_val});"
    )

    def refresh(ref: str) -> str:
        return (
            f"UPDATE title_search SET translations = {translations(ref)} "
            f"WHERE rowid = {ref} + {off};"
        )

    sql = [
        f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN {insert} END",
        # Title changes rewrite the row; other columns leave the index alone.
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
    if tiered:
        # Sync refreshes popularity all the time; only a crossed threshold costs an FTS
        # write (delete + insert of one row).
        old_tier, new_tier = tier_sql("old.popularity"), tier_sql("new.popularity")
        sql.append(
            f"CREATE TRIGGER {table}_fts_popularity AFTER UPDATE OF popularity ON {table} "
            f"WHEN {old_tier} IS NOT {new_tier} BEGIN "
            f"UPDATE title_search SET popularity_tier = {new_tier} "
            f"WHERE rowid = new.id + {off}; END"
        )
    return sql


def _trigger_names(*, tiered: bool) -> list[str]:
    names = [f"{spec[0]}_fts_{o}" for spec in INDEXED for o in OPS]
    names += [f"{spec[5]}_fts_{o}" for spec in INDEXED for o in OPS]
    if tiered:
        names += [f"{spec[0]}_fts_popularity" for spec in INDEXED]
    return names


def _rebuild(*, tiered: bool) -> None:
    # Any index there is, whichever revision made it; the tables are the source of truth.
    for name in _trigger_names(tiered=True):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS title_search")
    op.execute(CREATE_FTS if tiered else CREATE_FTS_0002)
    for table, kind, off, title, original, tr_table, tr_fk, tr_title in INDEXED:
        for sql in _trigger_sql(table, kind, off, title, original, tr_table, tr_fk,
                                tr_title, tiered=tiered):
            op.execute(sql)
        tier_col = ", popularity_tier" if tiered else ""
        tier_val = f", {tier_sql('popularity')}" if tiered else ""
        op.execute(
            "INSERT INTO title_search(rowid, kind, media_id, title, original_title, "
            f"translations{tier_col}) SELECT id + {off}, '{kind}', id, {title}, {original}, "
            f"(SELECT group_concat({tr_title}, ' ') FROM {tr_table} WHERE {tr_fk} = {table}.id)"
            f"{tier_val} FROM {table}"
        )
    # One bulk insert leaves several b-tree segments; merged, queries read one.
    op.execute("INSERT INTO title_search(title_search) VALUES ('optimize')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(tiered=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(tiered=False)
