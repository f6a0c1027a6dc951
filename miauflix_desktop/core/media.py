"""Media value types and the ports view models use to browse and play (no Qt, no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

MOVIE = "movie"
TV = "tv"

# Stopping at or past this fraction of a title counts as having watched it.
WATCHED_FRACTION = 0.9


@dataclass(frozen=True)
class MediaItem:
    """One film or series as the UI shows it. (kind, id) is unique; ids are per kind."""

    id: int
    title: str
    overview: str = ""
    year: int | None = None
    runtime_minutes: int | None = None
    # A local file path, an http(s) URL, or "tmdb:<size>:<path>" (resolved by the image
    # cache, e.g. "tmdb:w342:/abc.jpg"); None -> placeholder.
    poster: str | None = None
    backdrop: str | None = None
    is_demo: bool = False
    kind: str = MOVIE
    rating: float | None = None  # TMDB vote average, 0-10
    genres: tuple[str, ...] = ()
    tagline: str = ""
    progress: float | None = None  # 0-1 for "Continue watching", else None
    # "Continue watching" of a series (kind "tv"): the episode to resume, or the next one
    # after a watched episode ("Next up"); None everywhere else.
    episode: EpisodeRef | None = None


@dataclass(frozen=True)
class Genre:
    id: int
    name: str


@dataclass(frozen=True)
class SeasonItem:
    show_id: int
    number: int
    title: str
    overview: str = ""
    episode_count: int = 0
    poster: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class EpisodeItem:
    id: int
    show_id: int
    season_number: int
    number: int
    title: str
    overview: str = ""
    runtime_minutes: int | None = None
    still: str | None = None
    air_date: str = ""


# Sort keys for Browse.
SORT_POPULAR, SORT_RATING, SORT_NEWEST, SORT_TITLE = "popular", "rating", "newest", "title"


# The key of Home's "Continue watching" shelf (refreshed on its own after playback).
CONTINUE_SHELF = "continue"


@dataclass(frozen=True)
class Shelf:
    """A titled row on Home."""

    key: str
    title: str
    items: tuple[MediaItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlayTarget:
    """What the player needs to start: a URL and where to resume."""

    media_id: int
    title: str
    url: str
    start_position: float = 0.0
    # What plays, for notices: "720p · x264 from YTS" ("" when not worth saying).
    source_label: str = ""


@dataclass(frozen=True)
class StreamStatus:
    """How the stream behind the player is doing (the player's buffering overlay, seek bar).

    ``buffered`` lists the downloaded parts of the file being played as fractions of the
    file, sorted and merged: ((0.0, 0.12), (0.5, 0.53)).
    """

    peers: int = 0
    download_rate: int = 0  # bytes/s
    size: int = 0  # bytes of the file being played
    downloaded: int = 0  # bytes of that file already downloaded
    buffered: tuple[tuple[float, float], ...] = ()
    # Set when the stream cannot go on (the torrent was removed, the disk is full): one
    # line for the viewer. Empty while all is well.
    error: str = ""

    def buffered_ahead(self, fraction: float) -> float:
        """The fraction of the file downloaded contiguously from ``fraction`` onwards."""
        for start, end in self.buffered:
            if start <= fraction < end:
                return end - fraction
        return 0.0


@dataclass(frozen=True)
class SourceItem:
    """One playable release of a title, as the Details screen lists it (best first)."""

    id: int
    provider: str  # "Demo", "YTS", ...
    quality: str = ""  # "1080p", "" when unknown
    video_codec: str = ""
    size_bytes: int = 0
    seeds: int | None = None
    peers: int | None = None
    score: int = 0
    audio: str = ""  # "AAC 5.1"
    languages: str = ""  # "en,de"
    explanation: str = ""  # why it scores as it does ("… — best that plays here")
    playable: bool = True  # False: this PC's player cannot decode it


def size_text(size_bytes: int) -> str:
    """Human size the way release lists show it: "2.1 GB", "700 MB"."""
    if size_bytes >= 1_000_000_000:
        return f"{size_bytes / 1_000_000_000:.1f} GB"
    if size_bytes >= 1_000_000:
        return f"{size_bytes / 1_000_000:.0f} MB"
    if size_bytes > 0:
        return f"{max(1, size_bytes // 1000)} kB"
    return ""


def source_label(src: SourceItem) -> str:
    """"1080p · x264 · 2.1 GB": what tells two releases apart at a glance."""
    parts = [src.quality, src.video_codec, size_text(src.size_bytes)]
    return " · ".join(p for p in parts if p) or "Unknown quality"


def source_facts(src: SourceItem) -> str:
    """"1080p · x264 · AAC 5.1 · EN DE": the release itself (the Sources list's first column)."""
    langs = " ".join(code.upper() for code in src.languages.split(",") if code)
    parts = [src.quality, src.video_codec, src.audio, langs]
    return " · ".join(p for p in parts if p) or "Unknown quality"


def source_detail(src: SourceItem) -> str:
    """"YTS · 230 seeds / 12 peers" (peer counts only once a tracker has answered)."""
    parts = [src.provider]
    if src.seeds is not None:
        seeds = f"{src.seeds} seed" + ("" if src.seeds == 1 else "s")
        parts.append(seeds if src.peers is None else f"{seeds} / {src.peers} peers")
    return " · ".join(parts)


class CatalogPort(Protocol):
    """Read side of the library for the UI. Every method raises MiauflixError subclasses
    with a message fit for the screen; none blocks the event loop."""

    async def home_shelves(self) -> list[Shelf]: ...

    async def get(self, media_id: int) -> MediaItem: ...  # a film (kind "movie")

    async def get_show(self, show_id: int) -> MediaItem: ...  # a series (kind "tv")

    async def genres(self, kind: str) -> list[Genre]: ...

    async def browse(self, kind: str, genre_id: int | None, sort: str, offset: int,
                     limit: int) -> list[MediaItem]: ...

    async def seasons(self, show_id: int) -> list[SeasonItem]: ...

    async def episodes(self, show_id: int, season_number: int) -> list[EpisodeItem]: ...

    async def search(self, query: str, limit: int = 40) -> list[MediaItem]:
        """Local full-text (prefix) results merged with remote TMDB search when online."""
        ...


class SetupPort(Protocol):
    """First run: the TMDB key and language, or skip to the demo library."""

    def needs_setup(self) -> bool: ...

    async def check_key(self, key: str) -> None:
        """Raise MiauflixError("TMDB key rejected ...") on 401, another on network errors."""
        ...

    async def save(self, key: str, language: str) -> None: ...

    async def skip(self) -> None: ...


class StatusPort(Protocol):
    """Non-blocking banner text (e.g. "TMDB unreachable, showing saved data"); "" = none."""

    def banner(self) -> str: ...

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]: ...


class PlayPort(Protocol):
    """Opening a stream for playback and remembering where the viewer stopped."""

    async def prepare(self, media_id: int) -> None:
        """Warm up while the viewer reads Details: source, torrent, peers, first pieces.

        Never raises; Play works without it, only slower.
        """
        ...

    async def sources(self, media_id: int) -> list[SourceItem]:
        """The title's known sources, best first (empty until a provider found one)."""
        ...

    async def search_sources(self, media_id: int,
                             progress: Callable[[str], None]) -> list[SourceItem]:
        """Ask the providers now (Details of a title with no sources); reports progress
        as short lines, returns the sources found (best first). Raises MiauflixError
        with a message for the screen when the search cannot run."""
        ...

    async def open(self, media_id: int, source_id: int | None = None) -> PlayTarget:
        """Stream the given source, or the best one when source_id is None."""
        ...

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        """The stream of media_id stalled: give up its current source for this session
        and stream the next best one (same target), starting at ``position``; its
        ``source_label`` says what plays now. None when no other source is left."""
        ...

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        """Remember where the viewer is; at >= 90 % (WATCHED_FRACTION) the title counts as
        watched and the next open starts from the beginning."""
        ...

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        """Peers, speed and downloaded parts of the file media_id plays from (None when
        it is not streaming). Cheap enough to poll twice a second; never raises."""
        ...


def episode_media_id(episode_id: int) -> int:
    """The player's media id of an episode: negative, so it never collides with a film's
    (film ids are positive row ids); stream tokens carry it the same way."""
    return -episode_id


def episode_of(media_id: int) -> int | None:
    """The episode id behind a player media id (None for a film)."""
    return -media_id if media_id < 0 else None


@dataclass(frozen=True)
class EpisodeRef:
    """An episode as the player's "Next: S01E02 Title" overlay names it."""

    id: int
    season_number: int
    number: int
    title: str

    @property
    def code(self) -> str:
        return f"S{self.season_number:02d}E{self.number:02d}"

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}".strip()


class EpisodePort(Protocol):
    """Episode sources and playback (the Episodes screen and the player's autoplay).

    Media ids of episodes are episode_media_id(episode_id); save_position and
    stream_status take those, like PlayPort's take film ids.
    """

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        """The episode's known sources, best first (single episodes and season packs)."""
        ...

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        """Ask the providers now; reports progress lines, returns the sources found.
        Raises MiauflixError with a message for the screen when it cannot run."""
        ...

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        """Stream the episode's file (inside a season pack: the right file)."""
        ...

    async def next_episode(self, episode_id: int) -> EpisodeRef | None:
        """The episode after this one (next season's first after a season's last)."""
        ...

    async def prefetch_episode(self, episode_id: int) -> bool:
        """Open the episode's best source and fetch its first pieces; never raises.
        True when the first piece arrived."""
        ...

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        """Like PlayPort.switch_source, for an episode's media id."""
        ...

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        ...

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        ...

    async def episode_ref(self, episode_id: int) -> EpisodeRef | None:
        """The episode's season, number and title (None: no such episode)."""
        ...

    async def episode_resume_point(self, episode_id: int) -> float | None:
        """Seconds to resume the episode from, or None (never started, or watched)."""
        ...

    async def episode_start_over(self, episode_id: int) -> None:
        """Forget the episode's saved position, so its next open starts at 0."""
        ...
