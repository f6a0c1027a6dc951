"""Qt list models for Home: shelves (rows) each holding a list model of poster cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Property as QtProperty
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from miauflix_desktop.core.media import MediaItem, Shelf

AnyIndex = QModelIndex | QPersistentModelIndex


def image_url(path_or_url: str | None) -> str:
    """A local path becomes a file:// URL for QML's Image; None or "" means "placeholder"."""
    if not path_or_url:
        return ""
    if "://" in path_or_url:
        return path_or_url
    return QUrl.fromLocalFile(str(Path(path_or_url).absolute())).toString()


class CardListModel(QAbstractListModel):
    """Poster cards of one shelf."""

    IdRole = Qt.ItemDataRole.UserRole + 1
    TitleRole = IdRole + 1
    YearRole = IdRole + 2
    PosterRole = IdRole + 3
    DemoRole = IdRole + 4

    countChanged = Signal()

    def __init__(self, items: tuple[MediaItem, ...] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items = list(items)

    def roleNames(self) -> dict[int, QByteArray]:
        return {
            self.IdRole: QByteArray(b"mediaId"),
            self.TitleRole: QByteArray(b"title"),
            self.YearRole: QByteArray(b"year"),
            self.PosterRole: QByteArray(b"posterUrl"),
            self.DemoRole: QByteArray(b"isDemo"),
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
            return image_url(item.poster)
        if role == self.DemoRole:
            return item.is_demo
        return None

    def _count(self) -> int:
        return len(self._items)

    count = QtProperty(int, _count, notify=countChanged)

    def item(self, row: int) -> MediaItem:
        return self._items[row]


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
