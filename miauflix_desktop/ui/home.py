"""HomeViewModel: loads the Home shelves from the CatalogPort into a list model for QML."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import CONTINUE_SHELF, CatalogPort
from miauflix_desktop.core.preload import PreloadPort
from miauflix_desktop.ui.list_models import CardListModel, ShelfListModel
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)


def user_message(exc: BaseException, fallback: str) -> str:
    """Our own errors carry a message fit for the screen; anything else gets the fallback."""
    if isinstance(exc, MiauflixError):
        return str(exc)
    return fallback


def forward_viewport(preload: PreloadPort | None, focused_id: int, adjacent_ids: list,
                     visible_ids: list) -> None:
    """Hand QML's viewport report (ids of films; 0 = none) to the warm-start service.
    Only the ids are copied: the preload does its work on the event loop later."""
    if preload is None:
        return
    try:
        adjacent = [int(i) for i in adjacent_ids if int(i) > 0]
        visible = [int(i) for i in visible_ids if int(i) > 0]
    except (TypeError, ValueError):
        log.debug("ignoring a malformed viewport report")
        return
    preload.report(focused_id if focused_id > 0 else None, adjacent, visible)


class HomeViewModel(QObject):
    loadingChanged = Signal()
    errorChanged = Signal()
    # A series' "Continue watching" card: (show id, season, episode id); the navigator
    # opens the Episodes screen there.
    episodeRequested = Signal(int, int, int)

    def __init__(self, catalog: CatalogPort, parent: QObject | None = None, *,
                 preload: PreloadPort | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._preload = preload
        self._shelves = ShelfListModel(self)
        self._loading = False
        self._error = ""
        self._tasks = OwnedTasks("home")

    def _get_shelves(self) -> ShelfListModel:
        return self._shelves

    def _get_loading(self) -> bool:
        return self._loading

    def _get_error(self) -> str:
        return self._error

    shelves = Property(QObject, _get_shelves, constant=True)
    loading = Property(bool, _get_loading, notify=loadingChanged)
    error = Property(str, _get_error, notify=errorChanged)

    @Slot()
    def reload(self) -> None:
        self._tasks.spawn("load", self._load())

    @Slot(int, "QVariantList", "QVariantList")
    def viewport(self, focused_id: int, adjacent_ids: list, visible_ids: list) -> None:
        """The films the viewer is looking at on a shelf (warm start)."""
        forward_viewport(self._preload, focused_id, adjacent_ids, visible_ids)

    @Slot(str, str, int, result=bool)
    def openEpisodeCard(self, shelf_key: str, kind: str, media_id: int) -> bool:
        """OK on a card: True when it is a series' "Continue watching" card, whose episode
        then opens (episodeRequested); False lets Home open the title as usual.

        The card opens the Episodes screen on that episode (its Resume button ready)
        rather than playing at once: Jellyfin's Next Up does the same, the films on the
        same row open Details with "Resume from" the same way, and the viewer sees which
        episode it is (and can pick another) before a stream starts. One more OK plays.
        """
        for row in range(self._shelves.rowCount()):
            if self._shelves.shelf(row).key != shelf_key:
                continue
            for item in self._cards(row).items():  # current after refreshContinue()
                if item.kind == kind and item.id == media_id and item.episode is not None:
                    self.episodeRequested.emit(item.id, item.episode.season_number,
                                               item.episode.id)
                    return True
        return False

    def _cards(self, row: int) -> CardListModel:
        cards = self._shelves.data(self._shelves.index(row, 0), ShelfListModel.CardsRole)
        assert isinstance(cards, CardListModel)
        return cards

    @Slot()
    def refreshContinue(self) -> None:
        """After playback: bring "Continue watching" up to date (the episode watched last,
        the next one up, a finished film gone) without rebuilding the other shelves, so
        their cards keep the focus and scroll position the viewer left them at."""
        self._tasks.spawn("continue", self._refresh_continue())

    async def _refresh_continue(self) -> None:
        try:
            shelves = await self._catalog.home_shelves()
        except Exception as exc:  # the shelf stays as it was; Home still works
            log.info("continue watching not refreshed: %s", exc)
            return
        fresh = next((s for s in shelves if s.key == CONTINUE_SHELF and s.items), None)
        row = next((r for r in range(self._shelves.rowCount())
                    if self._shelves.shelf(r).key == CONTINUE_SHELF), -1)
        if fresh is None and row < 0:
            return
        if fresh is not None and row >= 0:
            if self._cards(row).items() != list(fresh.items):
                self._cards(row).set_items(fresh.items)
            return
        # The shelf appears (first title started) or goes (all finished): rebuild Home.
        self._shelves.set_shelves(shelves)
        self._set_error("" if self._shelves.rowCount() else "Nothing to show yet.")

    async def _load(self) -> None:
        self._set_loading(True)
        self._set_error("")
        try:
            shelves = await self._catalog.home_shelves()
            self._shelves.set_shelves(shelves)
            if not self._shelves.rowCount():
                self._set_error("Nothing to show yet.")
        except Exception as exc:
            log.warning("home shelves failed: %s", exc, exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "The library could not be loaded."))
        finally:
            self._set_loading(False)

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
