"""Turn what a person types into a safe SQLite FTS5 prefix query (pure, no I/O).

FTS5 has its own query language (quotes, AND/OR/NOT/NEAR, parentheses, column filters,
``*``, ``^``); passing user text straight to MATCH lets a stray quote or ``NEAR(`` raise a
syntax error, or turn "Romeo AND Juliet" into an operator. Instead the text is split into
the same tokens the ``unicode61`` tokenizer would produce, each token is emitted as a
quoted string followed by ``*`` (a prefix match), and tokens are joined by spaces
(implicit AND). A quoted string is always a plain phrase to FTS5, so no input can reach
the operator syntax.

Popularity tiers (migration 0003): besides the titles, every ``title_search`` row holds
one token per popularity threshold its title reaches (``0pop1 0pop2 0pop4``...), so a
broad search can ask FTS5 for "matches that are at least this popular" and read a few
hundred rows instead of every match (see ``CatalogRepository.search``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# unicode61 splits on everything that is not a letter, a number or a mark ("Co" private
# use too); underscore is punctuation to it, hence [^\W_].
_TOKEN = re.compile(r"[^\W_]+")

# A search box never needs more; it bounds the work a pasted paragraph could cause.
MAX_TOKENS = 8
MAX_TOKEN_CHARS = 40

# bm25 column weights, in the table's column order: kind and media_id are UNINDEXED
# (weight 0), then title > original title > translated titles; the popularity tier
# column never scores.
BM25_WEIGHTS = (0.0, 0.0, 10.0, 4.0, 1.0, 0.0)

# The columns typed text is matched against (never the tier column).
TITLE_COLUMNS = ("title", "original_title", "translations")
TIER_COLUMN = "popularity_tier"
# Doubling, so the tier a broad query settles on holds at most ~2x the rows it
# needs; TMDB popularity runs from ~0 to a few thousand. Frozen into the triggers of
# migration 0003 (a test checks they agree): change both or neither.
POPULARITY_TIERS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# Starts with a digit so hardly any typed word is a prefix of it; when one is ("0",
# "0p"), the query gets a column filter instead (see match_expression).
TIER_STEM = "0pop"


def tokens(text: str) -> list[str]:
    """The query's tokens, NFC-normalised so a decomposed "é" stays one token."""
    norm = unicodedata.normalize("NFC", text)
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(norm)][:MAX_TOKENS]


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Case and accents folded the way the unicode61 tokenizer (remove_diacritics) does.

    Cached: broad searches fold the words of hundreds of candidate titles, and titles
    share a small vocabulary.
    """
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tier_token(threshold: int) -> str:
    """The token every row with popularity >= ``threshold`` carries."""
    return f"{TIER_STEM}{threshold}"


def tier_tokens(popularity: float) -> str:
    """What the tier column holds for a title this popular (mirrors migration 0003's SQL)."""
    return " ".join(tier_token(t) for t in POPULARITY_TIERS if popularity >= t)


def _could_hit_tier(token: str) -> bool:
    low = fold(token)  # "0PÖP" is "0pop" to unicode61
    return TIER_STEM.startswith(low) or low.startswith(TIER_STEM)


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression that prefix-matches every token, or None if nothing to search.

    >>> match_expression('the matr')
    '"the"* "matr"*'
    >>> match_expression('") OR NEAR(')
    '"OR"* "NEAR"*'
    >>> match_expression('0p')
    '{title original_title translations} : ("0p"*)'
    """
    parts = tokens(text)
    if not parts:
        return None
    # Tokens hold no '"' (it is punctuation), but double them anyway: that is FTS5's
    # escape, and it keeps this function safe if the token pattern ever changes.
    expr = " ".join('"' + t.replace('"', '""') + '"*' for t in parts)
    if any(_could_hit_tier(t) for t in parts):
        # Only then: a column filter costs FTS5 a position-list check on every match
        # (up to +60 % on a one-letter prefix), and no other token can reach the tier
        # column's tokens.
        return "{" + " ".join(TITLE_COLUMNS) + "} : (" + expr + ")"
    return expr


def with_tier(expr: str, threshold: int) -> str:
    """``expr`` restricted to titles with popularity >= ``threshold`` (a POPULARITY_TIERS value).

    >>> with_tier('"ma"*', 32)
    '("ma"*) AND popularity_tier : "0pop32"'
    """
    return f'({expr}) AND {TIER_COLUMN} : "{tier_token(threshold)}"'
