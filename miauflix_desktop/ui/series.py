"""SeasonsViewModel (a series and its seasons) and EpisodesViewModel (one season's episodes)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.history import clock_text
from miauflix_desktop.core.media import (
    CatalogPort,
    EpisodePort,
    MediaItem,
    SourceItem,
    size_text,
    source_detail,
    source_facts,
)
from miauflix_desktop.core.season_downloads import SeasonDownloadsPort
from miauflix_desktop.ui.details import genres_text, rating_text, runtime_text
from miauflix_desktop.ui.home import user_message
from miauflix_desktop.ui.image_provider import image_hub
from miauflix_desktop.ui.list_models import RowListModel, image_url
from miauflix_desktop.ui.tasks import OwnedTasks

log = logging.getLogger(__name__)

# Without an EpisodePort (no source discovery wired) OK says so instead of faking playback.
NO_EPISODE_SOURCE = "No source for this episode yet."


class _Loading(QObject):
    """loading/error properties shared by both screens."""

    loadingChanged = Signal()
    errorChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._error = ""

    def _get_loading(self) -> bool:
        return self._loading

    def _get_error(self) -> str:
        return self._error

    loading = Property(bool, _get_loading, notify=loadingChanged)
    error = Property(str, _get_error, notify=errorChanged)

    def _set_loading(self, value: bool) -> None:
        if value != self._loading:
            self._loading = value
            self.loadingChanged.emit()

    def _set_error(self, value: str) -> None:
        if value != self._error:
            self._error = value
            self.errorChanged.emit()


class SeasonsViewModel(_Loading):
    """The Series screen: show details plus its seasons; OK on a season opens Episodes."""

    changed = Signal()
    # The navigator listens (show id, season number); the view model does not navigate.
    seasonRequested = Signal(int, int)

    def __init__(self, catalog: CatalogPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._show: MediaItem | None = None
        self._seasons = RowListModel(
            ["number", "title", "overview", "episodeCount", "posterUrl", "year"], self,
            image_roles=["posterUrl"])
        image_hub().resolved.connect(self._image_resolved)
        self._tasks = OwnedTasks("seasons")

    def _image_resolved(self, ref: str) -> None:
        if self._show is not None and ref in (self._show.poster, self._show.backdrop):
            self.changed.emit()

    def _show_id(self) -> int:
        return self._show.id if self._show else 0

    def _text(self, attr: str) -> str:
        return str(getattr(self._show, attr) or "") if self._show else ""

    def _title(self) -> str:
        return self._text("title")

    def _overview(self) -> str:
        return self._text("overview")

    def _year(self) -> str:
        return self._text("year")

    def _tagline(self) -> str:
        return self._text("tagline")

    def _rating(self) -> str:
        return rating_text(self._show.rating) if self._show else ""

    def _genres(self) -> str:
        return genres_text(self._show.genres) if self._show else ""

    def _poster(self) -> str:
        return image_url(self._show.poster) if self._show else ""

    def _backdrop(self) -> str:
        return image_url(self._show.backdrop) if self._show else ""

    def _get_seasons(self) -> RowListModel:
        return self._seasons

    showId = Property(int, _show_id, notify=changed)
    title = Property(str, _title, notify=changed)
    overview = Property(str, _overview, notify=changed)
    year = Property(str, _year, notify=changed)
    tagline = Property(str, _tagline, notify=changed)
    rating = Property(str, _rating, notify=changed)
    genres = Property(str, _genres, notify=changed)
    posterUrl = Property(str, _poster, notify=changed)
    backdropUrl = Property(str, _backdrop, notify=changed)
    seasons = Property(QObject, _get_seasons, constant=True)

    @Slot(int)
    def load(self, show_id: int) -> None:
        if self._show is not None and self._show.id == show_id and self._seasons.rowCount():
            return  # coming back to the same show: keep the seasons row where it was
        self._show = None
        self._seasons.set_rows([])
        self.changed.emit()
        self._tasks.spawn("load", self._load(show_id))

    async def _load(self, show_id: int) -> None:
        self._set_loading(True)
        self._set_error("")
        try:
            self._show = await self._catalog.get_show(show_id)
            self.changed.emit()
            seasons = await self._catalog.seasons(show_id)
            self._seasons.set_rows([
                {"number": s.number, "title": s.title or f"Season {s.number}",
                 "overview": s.overview, "episodeCount": s.episode_count,
                 "posterUrl": s.poster or (self._show.poster if self._show else None),
                 "year": s.year or 0}
                for s in seasons
            ])
            if not seasons:
                self._set_error("No seasons are known for this series yet.")
        except Exception as exc:
            log.warning("series %s failed: %s", show_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "This series could not be loaded."))
        finally:
            self._set_loading(False)

    @Slot(int)
    def openSeason(self, row: int) -> None:
        if self._show is not None and 0 <= row < self._seasons.rowCount():
            self.seasonRequested.emit(self._show.id, self._seasons.row(row)["number"])

    async def aclose(self) -> None:
        await self._tasks.aclose()


class EpisodesViewModel(_Loading):
    """The Episodes screen: one season's episodes; the current one's overview and its
    known sources are shown. OK plays the best source; an episode without sources is
    searched first (progress on screen), then plays if the search found one. An episode
    with a saved position offers "Resume from 12:34" (what OK does) and "Start over"."""

    changed = Signal()
    currentChanged = Signal()
    messageChanged = Signal()
    sourcesChanged = Signal()
    resumeChanged = Signal()
    # QML moves the list (and the focus) to this row: an episode chosen from Home's
    # "Continue watching", or the one that was playing when the viewer came Back.
    focusRow = Signal(int)
    seasonDownloadChanged = Signal()
    # "Season marked for download" pressed: the navigator opens the Downloads screen.
    downloadsRequested = Signal()
    # The navigator listens (episode id, source id: 0 = the best); no navigation here.
    playRequested = Signal(int, int)

    def __init__(self, catalog: CatalogPort, episodes: EpisodePort | None = None,
                 parent: QObject | None = None, *,
                 downloads: SeasonDownloadsPort | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._port = episodes
        # "Download season" (None: no downloads service, no button).
        self._downloads = downloads
        self._season_busy = False
        self._season_notice = ""
        self._key: tuple[int, int] | None = None
        self._show_title = ""
        self._episodes = RowListModel(
            ["episodeId", "number", "title", "overview", "runtime", "airDate", "stillUrl"], self,
            image_roles=["stillUrl"])
        self._sources = RowListModel(["sourceId", "label", "detail", "why", "best"], self)
        self._sources_for = 0  # the episode id the sources list belongs to
        self._searching = False
        self._progress = ""
        self._current = -1
        self._message = ""
        self._focus_episode = 0  # focus this episode once the season's rows are loaded
        self._resume_at: float | None = None
        self._resume_for = 0  # the episode id _resume_at belongs to
        self._tasks = OwnedTasks("episodes")

    def _heading(self) -> str:
        if self._key is None:
            return ""
        season = f"Season {self._key[1]}"
        return f"{self._show_title} — {season}" if self._show_title else season

    def _get_episodes(self) -> RowListModel:
        return self._episodes

    def _get_current(self) -> int:
        return self._current

    def _set_current(self, row: int) -> None:
        if row != self._current:
            self._current = row
            self._set_message("")
            self.currentChanged.emit()
            self._load_sources()
            self.resumeChanged.emit()  # the text is the current episode's (or none)
            self._load_resume()

    def _field(self, name: str) -> str:
        if 0 <= self._current < self._episodes.rowCount():
            return str(self._episodes.row(self._current)[name] or "")
        return ""

    def _cur_title(self) -> str:
        return self._field("title")

    def _cur_overview(self) -> str:
        return self._field("overview")

    def _cur_meta(self) -> str:
        if not 0 <= self._current < self._episodes.rowCount():
            return ""
        row = self._episodes.row(self._current)
        parts = [f"Episode {row['number']}", row["runtime"], row["airDate"]]
        return "   ·   ".join(p for p in parts if p)

    def _get_message(self) -> str:
        return self._message

    def _get_sources(self) -> RowListModel:
        return self._sources

    def _get_searching(self) -> bool:
        return self._searching

    def _get_progress(self) -> str:
        return self._progress

    def _sources_text(self) -> str:
        count = self._sources.rowCount()
        if self._port is None or self._current < 0:
            return ""
        if self._searching:
            return "Searching — the episode plays as soon as a source is found."
        if count == 0:
            return "No sources known yet — OK searches for them."
        return f"{count} source{'s' if count != 1 else ''} — OK plays the best"

    def _resume_text(self) -> str:
        if self._resume_at and self._resume_for == self._episode_id(self._current):
            return f"Resume from {clock_text(self._resume_at)}"
        return ""

    def _season_marked(self) -> bool:
        return (self._downloads is not None and self._key is not None
                and self._downloads.is_season_marked(*self._key))

    def _season_download_text(self) -> str:
        if self._downloads is None or self._key is None or not self._episodes.rowCount():
            return ""
        if self._season_busy:
            return "Checking…"
        return "✓ Season in Downloads" if self._season_marked() else "⬇ Download season"

    heading = Property(str, _heading, notify=changed)
    seasonDownloadText = Property(str, _season_download_text, notify=seasonDownloadChanged)
    seasonMarked = Property(bool, _season_marked, notify=seasonDownloadChanged)
    seasonNotice = Property(str, lambda self: self._season_notice,
                            notify=seasonDownloadChanged)
    resumeText = Property(str, _resume_text, notify=resumeChanged)
    episodes = Property(QObject, _get_episodes, constant=True)
    currentIndex = Property(int, _get_current, _set_current, notify=currentChanged)
    currentTitle = Property(str, _cur_title, notify=currentChanged)
    currentOverview = Property(str, _cur_overview, notify=currentChanged)
    currentMeta = Property(str, _cur_meta, notify=currentChanged)
    message = Property(str, _get_message, notify=messageChanged)
    sources = Property(QObject, _get_sources, constant=True)
    sourcesText = Property(str, _sources_text, notify=sourcesChanged)
    searching = Property(bool, _get_searching, notify=sourcesChanged)
    progress = Property(str, _get_progress, notify=sourcesChanged)

    def load(self, show_id: int, season_number: int, show_title: str = "",
             focus_episode: int = 0) -> None:
        """Show a season (``focus_episode``: that episode's row gets the focus; a missing
        title is read from the catalog)."""
        if self._key == (show_id, season_number) and self._episodes.rowCount():
            self._load_sources()  # back from the player: a search may have found some
            self._load_resume()
            if focus_episode:
                self._focus(focus_episode)
            return
        self._key = (show_id, season_number)
        self._show_title = show_title
        self._focus_episode = focus_episode
        self._season_notice = ""
        self.seasonDownloadChanged.emit()
        self._episodes.set_rows([])
        self._set_current(-1)
        self._set_message("")
        self.changed.emit()
        self._tasks.spawn("load", self._load(show_id, season_number))

    async def _load(self, show_id: int, season_number: int) -> None:
        self._set_loading(True)
        self._set_error("")
        try:
            if not self._show_title:
                show = await self._catalog.get_show(show_id)
                self._show_title = show.title
                self.changed.emit()
            episodes = await self._catalog.episodes(show_id, season_number)
            self._episodes.set_rows([
                {"episodeId": e.id, "number": e.number, "title": e.title, "overview": e.overview,
                 "runtime": runtime_text(e.runtime_minutes), "airDate": e.air_date,
                 "stillUrl": e.still}
                for e in episodes
            ])
            self._set_current(0 if episodes else -1)
            self.currentChanged.emit()
            self.seasonDownloadChanged.emit()
            wanted, self._focus_episode = self._focus_episode, 0
            if wanted:
                self._focus(wanted)
            if not episodes:
                self._set_error("No episodes are known for this season yet.")
        except Exception as exc:
            log.warning("episodes of %s/%s failed: %s", show_id, season_number, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_error(user_message(exc, "The episodes could not be loaded."))
        finally:
            self._set_loading(False)

    def _episode_id(self, row: int) -> int:
        if 0 <= row < self._episodes.rowCount():
            return int(self._episodes.row(row)["episodeId"])
        return 0

    def _load_sources(self) -> None:
        episode_id = self._episode_id(self._current)
        if episode_id != self._sources_for:
            self._sources_for = episode_id
            self._sources.set_rows([])
            self.sourcesChanged.emit()
        if self._port is None or not episode_id or self._searching:
            return
        self._tasks.spawn("sources", self._fetch_sources(episode_id))

    async def _fetch_sources(self, episode_id: int) -> None:
        assert self._port is not None
        try:
            found = await self._port.episode_sources(episode_id)
        except Exception as exc:  # the list is a hint; OK still searches and plays
            log.warning("sources of episode %s failed: %s", episode_id, exc)
            return
        if episode_id == self._sources_for:
            self._show_sources(found)

    def _show_sources(self, found: list[SourceItem]) -> None:
        self._sources.set_rows([
            {"sourceId": src.id, "label": source_facts(src),
             "detail": " · ".join(p for p in (
                 "Season pack" if src.explanation.startswith("Season pack") else "",
                 size_text(src.size_bytes), source_detail(src)) if p),
             "why": src.explanation, "best": i == 0}
            for i, src in enumerate(found)])
        self.sourcesChanged.emit()

    @Slot(int)
    def play(self, row: int) -> None:
        """OK on an episode: play its best source; search first when it has none."""
        episode_id = self._episode_id(row)
        if not episode_id:
            return
        self._set_current(row)
        if self._port is None:
            self._set_message(NO_EPISODE_SOURCE)
            return
        if self._searching:
            return  # one search at a time; its end plays the episode it was started for
        self._set_message("")
        self._tasks.spawn("play", self._play(episode_id))

    async def _play(self, episode_id: int) -> None:
        assert self._port is not None
        try:
            found = await self._port.episode_sources(episode_id)
            if not found:
                self._set_searching(True, "Searching for sources…")
                found = await self._port.search_episode_sources(
                    episode_id, lambda text: self._set_searching(True, text))
            if episode_id == self._sources_for:
                self._show_sources(found)
            if not found:
                self._set_message("No sources found for this episode.")
                return
            self.playRequested.emit(episode_id, 0)
        except Exception as exc:
            log.warning("sources of episode %s failed: %s", episode_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_message(user_message(exc, "Sources could not be searched."))
        finally:
            self._set_searching(False, "")

    # -- download the season ---------------------------------------------------------

    @Slot()
    def downloadSeason(self) -> None:
        """The season button: mark every episode for download; when the season is marked
        already, go to the Downloads screen (progress, play, remove)."""
        if self._downloads is None or self._key is None or self._season_busy:
            return
        if self._season_marked():
            self.downloadsRequested.emit()
            return
        self._season_busy = True
        self.seasonDownloadChanged.emit()
        self._tasks.spawn("download-season", self._download_season(*self._key))

    async def _download_season(self, show_id: int, season: int) -> None:
        assert self._downloads is not None
        try:
            item = await self._downloads.mark_season(show_id, season)
            notice = (f"Downloading {item.episodes} episode"
                      f"{'s' if item.episodes != 1 else ''} of season {season}")
            if item.missing:
                notice += f" ({item.missing} without a source yet)"
            self._season_notice = notice + "."
            self._set_message("")
        except Exception as exc:
            log.warning("season %s of %s cannot be downloaded: %s", season, show_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._season_notice = ""
            self._set_message(user_message(exc, "This season cannot be downloaded."))
        finally:
            self._season_busy = False
            self.seasonDownloadChanged.emit()

    # -- resume / start over, and coming back from the player -------------------------

    def _row_of(self, episode_id: int) -> int:
        return next((row for row in range(self._episodes.rowCount())
                     if self._episode_id(row) == episode_id), -1)

    def _focus(self, episode_id: int) -> None:
        row = self._row_of(episode_id)
        if row >= 0:
            self._set_current(row)
            self.focusRow.emit(row)

    def _load_resume(self) -> None:
        episode_id = self._episode_id(self._current)
        if self._port is None or not episode_id:
            return
        self._tasks.spawn("resume", self._fetch_resume(episode_id))

    async def _fetch_resume(self, episode_id: int) -> None:
        assert self._port is not None
        try:
            at = await self._port.episode_resume_point(episode_id)
        except Exception as exc:  # only the buttons depend on it; OK still plays
            log.warning("resume point of episode %s unavailable: %s", episode_id, exc)
            at = None
        if (at, episode_id) != (self._resume_at, self._resume_for):
            self._resume_at, self._resume_for = at, episode_id
            self.resumeChanged.emit()

    @Slot()
    def resume(self) -> None:
        """The Resume button: play the current episode from its saved position (the
        player resumes from it, like OK on the list)."""
        self.play(self._current)

    @Slot()
    def startOver(self) -> None:
        """Forget the current episode's saved position, then play it from the start."""
        episode_id = self._episode_id(self._current)
        if self._port is None or not episode_id or self._searching:
            return
        self._tasks.spawn("start-over", self._start_over(episode_id))

    async def _start_over(self, episode_id: int) -> None:
        assert self._port is not None
        try:
            await self._port.episode_start_over(episode_id)
        except Exception as exc:
            log.warning("start over of episode %s failed: %s", episode_id, exc,
                        exc_info=not isinstance(exc, MiauflixError))
            self._set_message(user_message(exc, "The saved position could not be reset."))
            return
        self._resume_at, self._resume_for = None, episode_id
        self.resumeChanged.emit()
        self.play(self._row_of(episode_id))

    def returnedFrom(self, episode_id: int) -> None:
        """Back from the player, which last played ``episode_id`` (autoplay may have gone
        on past the episode chosen here, even into the next season): focus that one and
        show its new resume point."""
        if self._key is None:
            return
        if self._row_of(episode_id) >= 0:
            self._focus(episode_id)
            self._load_resume()
            return
        if self._port is not None:
            self._tasks.spawn("returned", self._follow(episode_id))

    async def _follow(self, episode_id: int) -> None:
        assert self._port is not None and self._key is not None
        try:
            ref = await self._port.episode_ref(episode_id)
        except Exception as exc:  # the list stays where it was
            log.warning("episode %s unknown: %s", episode_id, exc)
            return
        if ref is not None and self._key is not None:
            self.load(self._key[0], ref.season_number, self._show_title,
                      focus_episode=episode_id)

    def _set_searching(self, value: bool, text: str) -> None:
        if (value, text) != (self._searching, self._progress):
            self._searching, self._progress = value, text
            self.sourcesChanged.emit()

    def _set_message(self, value: str) -> None:
        if value != self._message:
            self._message = value
            self.messageChanged.emit()

    async def aclose(self) -> None:
        await self._tasks.aclose()
