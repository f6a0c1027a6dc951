"""DetailsViewModel: one title's details and sources for the Details screen, and Play."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.downloads import DownloadsPort
from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.history import HistoryPort, clock_text
from miauflix_desktop.core.media import (
    MOVIE,
    CatalogPort,
    MediaItem,
    PlayPort,
    SourceItem,
    size_text,
    source_detail,
    source_facts,
    source_label,
)
from miauflix_desktop.ui.downloads import DownloadAction
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.image_provider import image_hub
from miauflix_desktop.ui.list_models import RowListModel, image_url
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
    sourcesChanged = Signal()
    # The navigator listens and opens the player (media id, source id or 0 for the best);
    # the view model does not navigate.
    playRequested = Signal(int, int)

    def __init__(self, catalog: CatalogPort, play: PlayPort | None = None,
                 parent: QObject | None = None, history: HistoryPort | None = None,
                 downloads: DownloadsPort | None = None) -> None:
        super().__init__(parent)
        # "Download" / "Remove download" (None: no downloads service, no button).
        self._download = DownloadAction(downloads, self) if downloads is not None else None
        self._catalog = catalog
        self._play = play
        self._history = history
        self._resume_at: float | None = None
        self._pending_id: int | None = None
        self._item: MediaItem | None = None
        self._loading = False
        self._error = ""
        self._sources: list[SourceItem] = []
        self._sources_model = RowListModel(["sourceId", "label", "detail", "why", "best"], self)
        self._sources_state = ""  # "", "loading", "searching", "loaded", "failed"
        self._progress = ""
        self._search_error = ""
        self._notice = ""
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

    def _get_sources(self) -> RowListModel:
        return self._sources_model

    def _source_count(self) -> int:
        return len(self._sources)

    def _sources_text(self) -> str:
        """The line under the overview: what Play will stream, or why it cannot."""
        if self._notice:
            return self._notice
        if self._sources_state == "loading":
            return "Looking for sources…"
        if self._sources_state == "searching":
            return self._progress
        if self._sources_state == "failed":
            return self._search_error or "Sources could not be read."
        if self._sources_state == "loaded" and not self._sources:
            return "No sources found yet."
        if self._sources:
            best = self._sources[0]
            return f"Best source: {source_label(best)} · {source_detail(best)}"
        return ""

    def _can_play(self) -> bool:
        return self._item is not None and bool(self._sources)

    def _searching(self) -> bool:
        return self._sources_state in ("loading", "searching")

    def _resume_text(self) -> str:
        return f"Resume from {clock_text(self._resume_at)}" if self._resume_at else ""

    resumeText = Property(str, _resume_text, notify=changed)
    sources = Property(QObject, _get_sources, constant=True)
    searching = Property(bool, _searching, notify=sourcesChanged)
    sourceCount = Property(int, _source_count, notify=sourcesChanged)
    sourcesText = Property(str, _sources_text, notify=sourcesChanged)
    canPlay = Property(bool, _can_play, notify=sourcesChanged)
    download = Property(QObject, lambda self: self._download, constant=True)

    @Slot(int)
    def load(self, media_id: int) -> None:
        self._pending_id = media_id
        if self._item is None or self._item.id != media_id:
            self._resume_at = None
            self._item = None
            self.changed.emit()
            self._set_sources([], "")
        self._notice = ""
        if self._download is not None:
            self._download.load(media_id, available=True)  # Details shows films
        self._tasks.spawn("load", self._load(media_id))
        self.refreshResume()
        if self._play is not None:
            self._tasks.spawn("sources", self._load_sources(media_id))
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

    async def _load_sources(self, media_id: int) -> None:
        """Known sources at once; none yet means a search starts now, with progress."""
        assert self._play is not None
        if not self._sources:
            self._set_sources([], "loading")
        try:
            found = await self._play.sources(media_id)
            if not found and self._item_is_searchable(media_id):
                self._progress = "Looking for sources…"
                self._set_sources([], "searching")
                found = await self._play.search_sources(media_id, self._on_progress)
        except Exception as exc:
            log.warning("sources of %s failed: %s", media_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._search_error = user_message(exc, "Sources could not be found.")
            self._set_sources([], "failed")
            return
        self._set_sources(found, "loaded")

    def _item_is_searchable(self, media_id: int) -> bool:
        # Demo titles come with their own source; everything else may be searched.
        item = self._item
        return item is None or item.id != media_id or not item.is_demo

    def _on_progress(self, text: str) -> None:
        if self._sources_state == "searching" and text != self._progress:
            self._progress = text
            self.sourcesChanged.emit()

    def _set_sources(self, found: list[SourceItem], state: str) -> None:
        self._sources = list(found)
        self._sources_state = state
        self._sources_model.set_rows([
            # Two columns on the panel: what the release is | how big and how well seeded.
            {"sourceId": src.id,
             "label": source_facts(src),
             "detail": " · ".join(p for p in (size_text(src.size_bytes), source_detail(src),
                                               f"score {src.score:,}") if p),
             "why": (src.explanation or "") + ("" if src.playable else " (cannot play here)"),
             "best": i == 0 and src.playable}
            for i, src in enumerate(self._sources)
        ])
        self.sourcesChanged.emit()

    @Slot()
    def play(self) -> None:
        """Play the best source; without one, say so here instead of opening the player."""
        if self._item is None or self._loading:
            return
        if self._play is not None and self._sources_state == "loaded" and not self._sources:
            what = "film" if self._item.kind == MOVIE else "title"
            self._notice = f"No sources found yet for this {what}; try again later."
            self.sourcesChanged.emit()
            return
        self.playRequested.emit(self._item.id, 0)

    @Slot()
    def refreshResume(self) -> None:
        """Read the saved position again (Details opened, or back from the player)."""
        if self._history is not None and self._item_id_or_pending() is not None:
            self._tasks.spawn("resume", self._load_resume(self._item_id_or_pending()))

    def _item_id_or_pending(self) -> int | None:
        return self._pending_id if self._item is None else self._item.id

    async def _load_resume(self, media_id: int | None) -> None:
        assert self._history is not None
        if media_id is None:
            return
        try:
            at = await self._history.resume_point(media_id)
        except Exception as exc:  # only the button's label depends on it
            log.warning("resume point of %s unavailable: %s", media_id, exc)
            at = None
        if at != self._resume_at:
            self._resume_at = at
            self.changed.emit()

    @Slot()
    def startOver(self) -> None:
        """Forget the saved position, then play from the beginning."""
        if self._item is None or self._history is None:
            return
        self._tasks.spawn("start-over", self._start_over(self._item.id))

    async def _start_over(self, media_id: int) -> None:
        assert self._history is not None
        await self._history.start_over(media_id)
        self._resume_at = None
        self.changed.emit()
        self.playRequested.emit(media_id, 0)

    @Slot(int)
    def playSource(self, row: int) -> None:
        """Play the source in row `row` of the Sources list."""
        if self._item is None or not 0 <= row < len(self._sources):
            return
        self.playRequested.emit(self._item.id, self._sources[row].id)

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
        if self._download is not None:
            await self._download.aclose()
