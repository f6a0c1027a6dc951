"""Qt list models for QML: poster cards (shelves, grids), Home shelves, and plain rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Property as QtProperty
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from miauflix_desktop.core.media import MediaItem, Shelf
from miauflix_desktop.ui.image_provider import card_image_url, image_hub
from miauflix_desktop.ui.image_provider import image_url as _image_url

AnyIndex = QModelIndex | QPersistentModelIndex


def image_url(ref: str | None) -> str:
    """An image ref as a URL for QML's Image ("" -> QML's titled placeholder)."""
    return _image_url(ref)


class CardListModel(QAbstractListModel):
    """Poster cards of one shelf."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    TitleRole = IdRole + 1
    YearRole = IdRole + 2
    PosterRole = IdRole + 3
    DemoRole = IdRole + 4
    KindRole = IdRole + 5
    ProgressRole = IdRole + 6

    countChanged = Signal()

    def __init__(self, items: Sequence[MediaItem] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items = list(items)
        # A poster that was still downloading when the row was shown: refresh that row.
        image_hub().resolved.connect(self._image_resolved)

    def _image_resolved(self, ref: str) -> None:
        for row, item in enumerate(self._items):
            if item.poster == ref:
                index = self.index(row, 0)
                self.dataChanged.emit(index, index, [self.PosterRole])

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            self.IdRole: QByteArray(b"mediaId"),
            self.TitleRole: QByteArray(b"title"),
            self.YearRole: QByteArray(b"year"),
            self.PosterRole: QByteArray(b"posterUrl"),
            self.DemoRole: QByteArray(b"isDemo"),
            self.KindRole: QByteArray(b"kind"),
            self.ProgressRole: QByteArray(b"progress"),
        }

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role in (self.TitleRole, Qt.ItemDataRole.DisplayRole):
            return item.title
        if role == self.IdRole:
            return item.id
        if role == self.YearRole:
            return item.year or 0
        if role == self.PosterRole:
            # Cards get the card-sized thumbnail (Details shows the full poster).
            return card_image_url(item.poster)
        if role == self.DemoRole:
            return item.is_demo
        if role == self.KindRole:
            return item.kind
        if role == self.ProgressRole:
            return item.progress if item.progress is not None else -1.0
        return None

    def _count(self) -> int:
        return len(self._items)

    count = QtProperty(int, _count, notify=countChanged)

    def item(self, row: int) -> MediaItem:
        return self._items[row]

    def items(self) -> list[MediaItem]:
        return list(self._items)

    def set_items(self, items: Sequence[MediaItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()
        self.countChanged.emit()

    def append(self, items: Sequence[MediaItem]) -> None:
        """Paging: add rows at the end without resetting (the grid keeps its position)."""
        if not items:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._items.extend(items)
        self.endInsertRows()
        self.countChanged.emit()


class RowListModel(QAbstractListModel):
    """Plain rows of named values (seasons, episodes, filter options) for QML delegates."""

    countChanged = Signal()

    def __init__(self, roles: Sequence[str], parent: QObject | None = None,
                 image_roles: Sequence[str] = ()) -> None:
        super().__init__(parent)
        self._names = list(roles)
        self._rows: list[dict[str, Any]] = []
        # These roles hold image refs; QML gets URLs (resolved when read).
        self._image_roles = set(image_roles)
        if self._image_roles:
            image_hub().resolved.connect(self._image_resolved)

    def _image_resolved(self, ref: str) -> None:
        for row, values in enumerate(self._rows):
            if any(values.get(name) == ref for name in self._image_roles):
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    def roleNames(self) -> dict[int, QByteArray]:
        base = Qt.ItemDataRole.UserRole + 1
        return {base + i: QByteArray(name.encode()) for i, name in enumerate(self._names)}

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        i = role - (Qt.ItemDataRole.UserRole + 1)
        if 0 <= i < len(self._names):
            name = self._names[i]
            value = self._rows[index.row()].get(name)
            return image_url(value) if name in self._image_roles else value
        return None

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = [dict(r) for r in rows]
        self.endResetModel()
        self.countChanged.emit()

    def update_row(self, row: int, **values: Any) -> None:
        """Change values in place (no reset, so the view keeps its current item)."""
        self._rows[row].update(values)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def row(self, row: int) -> dict[str, Any]:
        return self._rows[row]

    def _count(self) -> int:
        return len(self._rows)

    count = QtProperty(int, _count, notify=countChanged)


class ShelfListModel(QAbstractListModel):
    """The rows of Home; each row exposes its cards as a nested list model."""

    KeyRole = Qt.ItemDataRole.UserRole + 1
    TitleRole = KeyRole + 1
    DemoRole = KeyRole + 2
    CardsRole = KeyRole + 3

    countChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._shelves: list[Shelf] = []
        self._cards: list[CardListModel] = []

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            self.KeyRole: QByteArray(b"shelfKey"),
            self.TitleRole: QByteArray(b"title"),
            self.DemoRole: QByteArray(b"isDemo"),
            self.CardsRole: QByteArray(b"cards"),
        }

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shelves)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shelves):
            return None
        shelf = self._shelves[index.row()]
        if role in (self.TitleRole, Qt.ItemDataRole.DisplayRole):
            return shelf.title
        if role == self.KeyRole:
            return shelf.key
        if role == self.DemoRole:
            return is_demo_shelf(shelf)
        if role == self.CardsRole:
            return self._cards[index.row()]
        return None

    def set_shelves(self, shelves: list[Shelf]) -> None:
        self.beginResetModel()
        old = self._cards
        # Empty shelves would be focus dead-ends on a remote; leave them out.
        self._shelves = [s for s in shelves if s.items]
        self._cards = [CardListModel(s.items, self) for s in self._shelves]
        self.endResetModel()
        for model in old:
            model.deleteLater()
        self.countChanged.emit()

    def _count(self) -> int:
        return len(self._shelves)

    count = QtProperty(int, _count, notify=countChanged)

    def shelf(self, row: int) -> Shelf:
        return self._shelves[row]


def is_demo_shelf(shelf: Shelf) -> bool:
    return shelf.key == "demo" or (bool(shelf.items) and all(i.is_demo for i in shelf.items))
