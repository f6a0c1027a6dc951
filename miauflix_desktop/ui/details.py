"""DetailsViewModel: one title's details for the Details screen, and the Play request."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import CatalogPort, MediaItem, PlayPort
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.image_provider import image_hub
from miauflix_desktop.ui.list_models import image_url
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)


def runtime_text(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def rating_text(rating: float | None) -> str:
    """TMDB's vote average as "★ 7.8"; nothing for unrated titles (0 means no votes)."""
    return f"★ {rating:.1f}" if rating else ""


def genres_text(genres: tuple[str, ...] | list[str]) -> str:
    return " · ".join(genres)


class DetailsViewModel(QObject):
    changed = Signal()
    loadingChanged = Signal()
    errorChanged = Signal()
    # The navigator listens and opens the player; the view model does not navigate.
    playRequested = Signal(int)

    def __init__(self, catalog: CatalogPort, play: PlayPort | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._play = play
        self._item: MediaItem | None = None
        self._loading = False
        self._error = ""
        self._tasks = OwnedTasks("details")
        image_hub().resolved.connect(self._image_resolved)

    def _image_resolved(self, ref: str) -> None:
        if self._item is not None and ref in (self._item.poster, self._item.backdrop):
            self.changed.emit()

    def _media_id(self) -> int:
        return self._item.id if self._item else 0

    def _title(self) -> str:
        return self._item.title if self._item else ""

    def _overview(self) -> str:
        return self._item.overview if self._item else ""

    def _year(self) -> str:
        return str(self._item.year) if self._item and self._item.year else ""

    def _runtime(self) -> str:
        return runtime_text(self._item.runtime_minutes) if self._item else ""

    def _poster(self) -> str:
        return image_url(self._item.poster) if self._item else ""

    def _backdrop(self) -> str:
        return image_url(self._item.backdrop) if self._item else ""

    def _is_demo(self) -> bool:
        return bool(self._item and self._item.is_demo)

    def _rating(self) -> str:
        return rating_text(self._item.rating) if self._item else ""

    def _genres(self) -> str:
        return genres_text(self._item.genres) if self._item else ""

    def _tagline(self) -> str:
        return self._item.tagline if self._item else ""

    def _get_loading(self) -> bool:
        return self._loading

    def _get_error(self) -> str:
        return self._error

    mediaId = Property(int, _media_id, notify=changed)
    title = Property(str, _title, notify=changed)
    overview = Property(str, _overview, notify=changed)
    year = Property(str, _year, notify=changed)
    runtime = Property(str, _runtime, notify=changed)
    posterUrl = Property(str, _poster, notify=changed)
    backdropUrl = Property(str, _backdrop, notify=changed)
    isDemo = Property(bool, _is_demo, notify=changed)
    rating = Property(str, _rating, notify=changed)
    genres = Property(str, _genres, notify=changed)
    tagline = Property(str, _tagline, notify=changed)
    loading = Property(bool, _get_loading, notify=loadingChanged)
    error = Property(str, _get_error, notify=errorChanged)

    @Slot(int)
    def load(self, media_id: int) -> None:
        if self._item is None or self._item.id != media_id:
            self._item = None
            self.changed.emit()
        self._tasks.spawn("load", self._load(media_id))
        if self._play is not None:
            # Warm the stream while the viewer reads; Play then starts in milliseconds.
            self._tasks.spawn("prepare", self._play.prepare(media_id))

    async def _load(self, media_id: int) -> None:
        self._set_loading(True)
        self._set_error("")
        try:
            self._item = await self._catalog.get(media_id)
            self.changed.emit()
        except Exception as exc:
            log.warning("details of %s failed: %s", media_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "This title could not be loaded."))
        finally:
            self._set_loading(False)

    @Slot()
    def play(self) -> None:
        if self._item is not None and not self._loading:
            self.playRequested.emit(self._item.id)

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
