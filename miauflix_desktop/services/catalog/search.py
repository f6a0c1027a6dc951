"""Local title search for the search screen: FTS5 prefix matching over the stored catalog.

The query language and ranking live with the SQL (``storage/fts.py``,
``CatalogRepository.search``); this module is the async face the UI's port calls after
its debounce, keeping the database work off the event loop. Typed text goes through
``match_expression`` so quotes, parentheses, AND/OR/NEAR or emoji can never break the
query; an empty or punctuation-only query answers an empty list without touching the
database. Merging remote TMDB results (when online) belongs to the caller.
"""

from __future__ import annotations

import asyncio

from miauflix_desktop.core.media import MediaItem
from miauflix_desktop.services.storage.catalog_repository import (
    DEFAULT_LANGUAGE,
    CatalogRepository,
)
from miauflix_desktop.services.storage.fts import match_expression, tokens

__all__ = ["LocalSearch", "match_expression", "tokens"]


class LocalSearch:
    """Search the local catalog by title prefix (original and translated titles)."""

    def __init__(self, catalog: CatalogRepository, language: str = DEFAULT_LANGUAGE) -> None:
        self._catalog = catalog
        self.language = language

    async def search(self, query: str, limit: int = 40) -> list[MediaItem]:
        if match_expression(query) is None:
            return []
        return await asyncio.to_thread(self._catalog.search, query, limit, self.language)
