"""SearchViewModel: the query (typed on the on-screen keyboard or a real one), debounced
into CatalogPort.search, and the results grid."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import CatalogPort
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.list_models import CardListModel
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

# Results must follow typing within 300 ms of the last key; 150 ms of quiet is long enough
# to skip the intermediate queries of a fast typist and leaves the search half the budget.
DEBOUNCE_S = 0.150
MAX_QUERY = 80


class SearchViewModel(QObject):
    queryChanged = Signal()
    loadingChanged = Signal()
    messageChanged = Signal()

    def __init__(self, catalog: CatalogPort, debounce_s: float = DEBOUNCE_S,
                 limit: int = 40, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._debounce = debounce_s
        self._limit = limit
        self._query = ""
        self._results = CardListModel(parent=self)
        self._loading = False
        self._message = ""
        self._searched = ""  # the query the shown results belong to
        self._tasks = OwnedTasks("search")

    def _get_query(self) -> str:
        return self._query

    def _set_query(self, value: str) -> None:
        value = value[:MAX_QUERY]
        if value == self._query:
            return
        self._query = value
        self.queryChanged.emit()
        # Every keystroke restarts the timer (spawn cancels the older task): debounce.
        self._tasks.spawn("search", self._search_later(value))

    def _get_results(self) -> CardListModel:
        return self._results

    def _get_loading(self) -> bool:
        return self._loading

    def _get_message(self) -> str:
        return self._message

    def _get_searched(self) -> str:
        return self._searched

    query = Property(str, _get_query, _set_query, notify=queryChanged)
    results = Property(QObject, _get_results, constant=True)
    loading = Property(bool, _get_loading, notify=loadingChanged)
    message = Property(str, _get_message, notify=messageChanged)
    searchedQuery = Property(str, _get_searched, notify=messageChanged)

    @Slot(str)
    def typeText(self, text: str) -> None:
        # Only printable text: control characters from odd key events must not get in.
        clean = "".join(c for c in text if c.isprintable())
        if clean:
            self._set_query(self._query + clean)

    @Slot()
    def backspace(self) -> None:
        self._set_query(self._query[:-1])

    @Slot()
    def clear(self) -> None:
        self._set_query("")

    async def _search_later(self, query: str) -> None:
        await asyncio.sleep(self._debounce)
        if not query.strip():
            self._results.set_items([])
            self._searched = ""
            self._set_message("")
            return
        self._set_loading(True)
        try:
            found = await self._catalog.search(query.strip(), self._limit)
            self._results.set_items(found)
            self._searched = query
            self._set_message("" if found else f"Nothing found for “{query.strip()}”.")
        except Exception as exc:
            log.warning("search %r failed: %s", query, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_message(user_message(exc, "Search is unavailable right now."))
        finally:
            self._set_loading(False)

    def _set_loading(self, value: bool) -> None:
        if value != self._loading:
            self._loading = value
            self.loadingChanged.emit()

    def _set_message(self, value: str) -> None:
        self._message = value
        self.messageChanged.emit()

    async def aclose(self) -> None:
        await self._tasks.aclose()
