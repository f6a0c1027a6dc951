"""BrowseViewModel: films or series by genre and sort, paged into one virtualised grid."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import (
    MOVIE,
    SORT_NEWEST,
    SORT_POPULAR,
    SORT_RATING,
    SORT_TITLE,
    TV,
    CatalogPort,
    Genre,
)
from miauflix_desktop.core.preload import PreloadPort
from miauflix_desktop.ui.home import forward_viewport, user_message
from miauflix_desktop.ui.list_models import CardListModel, RowListModel
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

SORTS = [(SORT_POPULAR, "Popular"), (SORT_RATING, "Top rated"), (SORT_NEWEST, "Newest"),
         (SORT_TITLE, "A–Z")]
KIND_LABELS = {MOVIE: "Films", TV: "Series"}
# Rows of the filter list before the genres: the kind toggle and the sort cycle.
KIND_ROW, SORT_ROW, ALL_GENRES_ROW = 0, 1, 2


class BrowseViewModel(QObject):
    """One filter list (kind toggle, sort, genres) for the remote, and a results grid."""

    changed = Signal()
    loadingChanged = Signal()
    errorChanged = Signal()

    def __init__(self, catalog: CatalogPort, page_size: int = 40,
                 parent: QObject | None = None, *,
                 preload: PreloadPort | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._preload = preload
        self._page = page_size
        self._kind = MOVIE
        self._sort = SORT_POPULAR
        self._genre_id: int | None = None
        self._genres: dict[str, list[Genre]] = {}
        self._filters = RowListModel(["key", "label", "isSelected"], self)
        self._items = CardListModel(parent=self)
        self._exhausted = False
        self._loading = False
        self._error = ""
        self._started = False
        self._tasks = OwnedTasks("browse")

    def _get_kind(self) -> str:
        return self._kind

    def _get_sort(self) -> str:
        return self._sort

    def _genre(self) -> int:
        return self._genre_id or 0

    def _get_filters(self) -> RowListModel:
        return self._filters

    def _get_items(self) -> CardListModel:
        return self._items

    def _get_loading(self) -> bool:
        return self._loading

    def _get_error(self) -> str:
        return self._error

    def _heading(self) -> str:
        genre = next((g.name for g in self._genres.get(self._kind, [])
                      if g.id == self._genre_id), "")
        sort = dict(SORTS)[self._sort]
        return f"{sort} {KIND_LABELS[self._kind].lower()}" + (f" · {genre}" if genre else "")

    kind = Property(str, _get_kind, notify=changed)
    sort = Property(str, _get_sort, notify=changed)
    genreId = Property(int, _genre, notify=changed)
    heading = Property(str, _heading, notify=changed)
    filters = Property(QObject, _get_filters, constant=True)
    items = Property(QObject, _get_items, constant=True)
    loading = Property(bool, _get_loading, notify=loadingChanged)
    error = Property(str, _get_error, notify=errorChanged)

    @Slot(int, "QVariantList", "QVariantList")
    def viewport(self, focused_id: int, adjacent_ids: list, visible_ids: list) -> None:
        """The films the viewer is looking at in the grid (warm start)."""
        forward_viewport(self._preload, focused_id, adjacent_ids, visible_ids)

    @Slot()
    def open(self) -> None:
        """Called when the screen shows: the first visit loads; later ones keep state."""
        if not self._started:
            self._started = True
            self._tasks.spawn("load", self._reload(genres=True))

    @Slot(int)
    def activateFilter(self, row: int) -> None:
        if row == KIND_ROW:
            self.setKind(TV if self._kind == MOVIE else MOVIE)
        elif row == SORT_ROW:
            keys = [k for k, _ in SORTS]
            self.setSort(keys[(keys.index(self._sort) + 1) % len(keys)])
        elif row >= ALL_GENRES_ROW:
            genres = self._genres.get(self._kind, [])
            index = row - ALL_GENRES_ROW - 1
            self.setGenre(genres[index].id if 0 <= index < len(genres) else 0)

    @Slot(str)
    def setKind(self, kind: str) -> None:
        if kind in KIND_LABELS and kind != self._kind:
            self._kind = kind
            self._genre_id = None  # genre ids differ between films and series on TMDB
            self._tasks.spawn("load", self._reload(genres=True))

    @Slot(str)
    def setSort(self, sort: str) -> None:
        if sort in dict(SORTS) and sort != self._sort:
            self._sort = sort
            self._tasks.spawn("load", self._reload(genres=False))

    @Slot(int)
    def setGenre(self, genre_id: int) -> None:
        value = genre_id or None
        if value != self._genre_id:
            self._genre_id = value
            self._tasks.spawn("load", self._reload(genres=False))

    @Slot()
    def loadMore(self) -> None:
        """The grid nears its end: fetch the next page (once at a time, until exhausted)."""
        if self._exhausted or self._tasks.running("load") or self._tasks.running("more"):
            return
        self._tasks.spawn("more", self._more())

    def _rebuild_filters(self) -> None:
        rows = [
            {"key": "kind", "label": f"{KIND_LABELS[self._kind]}  ⇄", "isSelected": False},
            {"key": "sort", "label": f"Sort: {dict(SORTS)[self._sort]}", "isSelected": False},
            {"key": "genre:0", "label": "All genres", "isSelected": self._genre_id is None},
        ]
        rows += [{"key": f"genre:{g.id}", "label": g.name, "isSelected": g.id == self._genre_id}
                 for g in self._genres.get(self._kind, [])]
        if self._filters.rowCount() == len(rows):
            # Same shape: update in place so the focused filter keeps its focus.
            for i, row in enumerate(rows):
                self._filters.update_row(i, **row)
        else:
            self._filters.set_rows(rows)
        self.changed.emit()

    async def _reload(self, genres: bool) -> None:
        self._set_loading(True)
        self._set_error("")
        self._exhausted = False
        try:
            if genres and self._kind not in self._genres:
                self._genres[self._kind] = await self._catalog.genres(self._kind)
            self._rebuild_filters()
            page = await self._catalog.browse(self._kind, self._genre_id, self._sort, 0,
                                              self._page)
            self._items.set_items(page)
            self._exhausted = len(page) < self._page
            if not page:
                self._set_error("Nothing here yet.")
        except Exception as exc:
            log.warning("browse failed: %s", exc, exc_info=not isinstance(exc, MiauflixError))
            self._rebuild_filters()
            self._set_error(user_message(exc, "The catalog could not be loaded."))
        finally:
            self._set_loading(False)

    async def _more(self) -> None:
        try:
            page = await self._catalog.browse(self._kind, self._genre_id, self._sort,
                                              self._items.rowCount(), self._page)
            self._items.append(page)
            self._exhausted = len(page) < self._page
        except Exception as exc:
            # The first page is on screen; a failed next page is retried on the next scroll.
            log.warning("browse paging failed: %s", exc,
                        exc_info=not isinstance(exc, MiauflixError))

    def _set_loading(self, value: bool) -> None:
        if value != self._loading:
            self._loading = value
            self.loadingChanged.emit()

    def _set_error(self, value: str) -> None:
        if value != self._error:
            self._error = value
            self.errorChanged.emit()

    async def aclose(self) -> None:
        await self._tasks.aclose()
