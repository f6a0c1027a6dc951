"""Turn what a person types into a safe SQLite FTS5 prefix query (pure, no I/O).

FTS5 has its own query language (quotes, AND/OR/NOT/NEAR, parentheses, column filters,
``*``, ``^``); passing user text straight to MATCH lets a stray quote or ``NEAR(`` raise a
syntax error, or turn "Romeo AND Juliet" into an operator. Instead the text is split into
the same tokens the ``unicode61`` tokenizer would produce, each token is emitted as a
quoted string followed by ``*`` (a prefix match), and tokens are joined by spaces
(implicit AND). A quoted string is always a plain phrase to FTS5, so no input can reach
the operator syntax.
"""

from __future__ import annotations

import re
import unicodedata

# unicode61 splits on everything that is not a letter, a number or a mark ("Co" private
# use too); underscore is punctuation to it, hence [^\W_].
_TOKEN = re.compile(r"[^\W_]+")

# A search box never needs more; it bounds the work a pasted paragraph could cause.
MAX_TOKENS = 8
MAX_TOKEN_CHARS = 40

# bm25 column weights, in the table's column order: kind and media_id are UNINDEXED
# (weight 0), then title > original title > translated titles.
BM25_WEIGHTS = (0.0, 0.0, 10.0, 4.0, 1.0)


def tokens(text: str) -> list[str]:
    """The query's tokens, NFC-normalised so a decomposed "é" stays one token."""
    norm = unicodedata.normalize("NFC", text)
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(norm)][:MAX_TOKENS]


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression that prefix-matches every token, or None if nothing to search.

    >>> match_expression('the matr')
    '"the"* "matr"*'
    >>> match_expression('") OR NEAR(')
    '"OR"* "NEAR"*'
    """
    parts = tokens(text)
    if not parts:
        return None
    # Tokens hold no '"' (it is punctuation), but double them anyway: that is FTS5's
    # escape, and it keeps this function safe if the token pattern ever changes.
    return " ".join('"' + t.replace('"', '""') + '"*' for t in parts)
