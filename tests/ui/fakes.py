"""Test data for UI and player tests: ffmpeg-made clips served by a real aiohttp server,
behind small in-test CatalogPort / PlayPort implementations.

`build_ports()` is the one function to swap when the real container (torrent-backed
streams) replaces these fakes.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from miauflix_desktop.core.activity import ActivityRow
from miauflix_desktop.core.errors import MiauflixError, StreamError
from miauflix_desktop.core.media import (
    MOVIE,
    SORT_NEWEST,
    SORT_RATING,
    SORT_TITLE,
    TV,
    EpisodeItem,
    Genre,
    MediaItem,
    PlayTarget,
    SeasonItem,
    Shelf,
    SourceItem,
    StreamStatus,
)
from miauflix_desktop.services.activity import ActivityService
from miauflix_desktop.services.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

CLIP_SECONDS = 10

# (id, title, testsrc variant, has poster, is_demo)
_TITLES = [
    (1, "Big Colors", "testsrc2", True, False),
    (2, "Test Pattern", "smptehdbars", True, True),
    (3, "Sine Waves", "rgbtestsrc", False, True),
]


def make_media(directory: Path) -> dict[int, Path]:
    """Generate (once) a ~10 s H.264/AAC MP4 and a poster per title; returns id -> clip."""
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is needed to generate test clips")
    directory.mkdir(parents=True, exist_ok=True)
    clips: dict[int, Path] = {}
    for media_id, _title, source, has_poster, _demo in _TITLES:
        clip = directory / f"clip{media_id}.mp4"
        if not clip.exists():
            _ffmpeg(
                "-f", "lavfi", "-i", f"{source}=size=640x360:rate=25:duration={CLIP_SECONDS}",
                "-f", "lavfi", "-i", f"sine=frequency={220 * media_id}:duration={CLIP_SECONDS}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
                "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart",
                str(clip.with_suffix(".tmp.mp4")),
            )
            clip.with_suffix(".tmp.mp4").rename(clip)
        clips[media_id] = clip
        poster = directory / f"poster{media_id}.png"
        if has_poster and not poster.exists():
            _ffmpeg("-f", "lavfi", "-i", f"{source}=size=400x600:duration=1",
                    "-frames:v", "1", str(poster))
        backdrop = directory / f"backdrop{media_id}.png"
        if not backdrop.exists():
            _ffmpeg("-f", "lavfi", "-i", f"{source}=size=1280x720:duration=1",
                    "-frames:v", "1", str(backdrop))
    return clips


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True, timeout=120,
    )


class ClipServer:
    """Serves the clips over HTTP on 127.0.0.1 with Range support (aiohttp FileResponse)."""

    def __init__(self, clips: dict[int, Path]) -> None:
        self._clips = clips
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/clip/{media_id}", self._serve)
        # mpv keeps its stream open; don't wait the default 60 s for it at shutdown.
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, media_id: int) -> str:
        return f"http://127.0.0.1:{self.port}/clip/{media_id}"

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        clip = self._clips.get(int(request.match_info["media_id"]))
        if clip is None:
            raise web.HTTPNotFound()
        return web.FileResponse(clip)


GENRES = {
    MOVIE: [Genre(28, "Action"), Genre(35, "Comedy"), Genre(18, "Drama")],
    TV: [Genre(18, "Drama"), Genre(10765, "Sci-Fi & Fantasy")],
}
# Films without clips (Browse, Search): (id, title, year, rating, genres)
_MORE_FILMS = [
    (4, "Moonlight Harbor", 2018, 7.9, ("Drama",)),
    (5, "Star Drift", 2023, 6.4, ("Action",)),
    (6, "Quiet Orchard", 2015, 8.3, ("Drama", "Comedy")),
    (7, "Laugh Track", 2021, 5.8, ("Comedy",)),
]
# Series: (id, title, year, rating, genres, episodes per season)
_SHOWS = [
    (1, "Orbit Station", 2019, 8.1, ("Sci-Fi & Fantasy", "Drama"), (3, 2)),
    (2, "Harbor Lights", 2022, 7.2, ("Drama",), (4,)),
]


class FakeCatalog:
    """The whole CatalogPort over a small library: the generated clips (films 1-3), a few
    more films, and two series with seasons and episodes."""

    def __init__(self, media_dir: Path) -> None:
        self.items: dict[int, MediaItem] = {}
        for media_id, title, _src, has_poster, is_demo in _TITLES:
            poster = media_dir / f"poster{media_id}.png"
            self.items[media_id] = MediaItem(
                id=media_id,
                title=title,
                overview=(
                    f"{title} is a short generated test clip: ten seconds of a colourful "
                    "pattern with a steady tone, made with ffmpeg for the test suite."
                ),
                year=2020 + media_id,
                runtime_minutes=90 + media_id * 7,
                poster=str(poster) if has_poster else None,
                backdrop=str(media_dir / f"backdrop{media_id}.png"),
                is_demo=is_demo,
                rating=6.0 + media_id / 2,
                genres=("Action",) if media_id == 1 else ("Comedy", "Drama"),
                tagline="A test pattern like no other." if media_id == 2 else "",
            )
        for media_id, title, year, rating, genres in _MORE_FILMS:
            self.items[media_id] = MediaItem(
                id=media_id, title=title, year=year, rating=rating, genres=genres,
                runtime_minutes=100 + media_id, overview=f"{title}: a film that exists only "
                "in the test suite.", poster=str(media_dir / f"poster{1 + media_id % 2}.png"),
                backdrop=str(media_dir / "backdrop1.png"))
        self.shows: dict[int, MediaItem] = {}
        self.seasons_of: dict[int, list[SeasonItem]] = {}
        self.episodes_of: dict[tuple[int, int], list[EpisodeItem]] = {}
        for show_id, title, year, rating, genres, season_sizes in _SHOWS:
            self.shows[show_id] = MediaItem(
                id=show_id, title=title, year=year, rating=rating, genres=genres, kind=TV,
                overview=f"{title} follows a crew of test fixtures through "
                f"{len(season_sizes)} season(s) of carefully generated drama.",
                tagline="Every episode, a new assertion.",
                poster=str(media_dir / f"poster{show_id}.png"),
                backdrop=str(media_dir / f"backdrop{show_id}.png"))
            self.seasons_of[show_id] = [
                SeasonItem(show_id, n, f"Season {n}", episode_count=count, year=year + n - 1)
                for n, count in enumerate(season_sizes, start=1)
            ]
            for n, count in enumerate(season_sizes, start=1):
                self.episodes_of[(show_id, n)] = [
                    EpisodeItem(id=show_id * 1000 + n * 100 + e, show_id=show_id,
                                season_number=n, number=e, title=f"{title} {n}x{e:02d}",
                                overview=f"Episode {e} of season {n} of {title}.",
                                runtime_minutes=40 + e, air_date=f"{year + n - 1}-0{e}-01")
                    for e in range(1, count + 1)
                ]
        self.fail_home = False
        self.fail_browse = False
        self.searches: list[str] = []

    async def home_shelves(self) -> list[Shelf]:
        if self.fail_home:
            raise StreamError("The catalog is unavailable right now.")
        clips = [self.items[i] for i, *_ in _TITLES]
        return [
            Shelf("featured", "Featured", tuple(clips)),
            Shelf("demo", "Demo", tuple(i for i in clips if i.is_demo)),
            Shelf("popular_tv", "Popular series", tuple(self.shows.values())),
            Shelf("top_rated", "Top rated", tuple(sorted(
                self.items.values(), key=lambda i: -(i.rating or 0)))),
        ]

    async def get(self, media_id: int) -> MediaItem:
        await asyncio.sleep(0)
        return self.items[media_id]

    async def get_show(self, show_id: int) -> MediaItem:
        await asyncio.sleep(0)
        if show_id not in self.shows:
            raise MiauflixError(f"No series with id {show_id}.")
        return self.shows[show_id]

    async def genres(self, kind: str) -> list[Genre]:
        await asyncio.sleep(0)
        return list(GENRES[kind])

    async def browse(self, kind: str, genre_id: int | None, sort: str, offset: int,
                     limit: int) -> list[MediaItem]:
        await asyncio.sleep(0)
        if self.fail_browse:
            raise MiauflixError("TMDB is unreachable; showing nothing new.")
        pool = list((self.items if kind == MOVIE else self.shows).values())
        if genre_id:
            name = next(g.name for g in GENRES[kind] if g.id == genre_id)
            pool = [i for i in pool if name in i.genres]
        if sort == SORT_RATING:
            pool.sort(key=lambda i: -(i.rating or 0))
        elif sort == SORT_NEWEST:
            pool.sort(key=lambda i: -(i.year or 0))
        elif sort == SORT_TITLE:
            pool.sort(key=lambda i: i.title)
        return pool[offset:offset + limit]

    async def seasons(self, show_id: int) -> list[SeasonItem]:
        await asyncio.sleep(0)
        return list(self.seasons_of.get(show_id, []))

    async def episodes(self, show_id: int, season_number: int) -> list[EpisodeItem]:
        await asyncio.sleep(0)
        return list(self.episodes_of.get((show_id, season_number), []))

    async def search(self, query: str, limit: int = 40) -> list[MediaItem]:
        await asyncio.sleep(0)
        self.searches.append(query)
        q = query.casefold()
        pool = [*self.items.values(), *self.shows.values()]
        hits = [i for i in pool
                if any(w.startswith(q) for w in i.title.casefold().split())
                or i.title.casefold().startswith(q)]
        return hits[:limit]


class FakeSetup:
    """SetupPort: "good-key" passes the check, anything else is rejected like a 401."""

    GOOD_KEY = "good-key"

    def __init__(self) -> None:
        self.needed = False
        self.saved: list[tuple[str, str]] = []
        self.skipped = 0

    def needs_setup(self) -> bool:
        return self.needed

    async def check_key(self, key: str) -> None:
        await asyncio.sleep(0.01)
        if key != self.GOOD_KEY:
            raise MiauflixError("TMDB key rejected: check the key and try again.")

    async def save(self, key: str, language: str) -> None:
        self.saved.append((key, language))
        self.needed = False

    async def skip(self) -> None:
        self.skipped += 1
        self.needed = False


class FakeStatus:
    """StatusPort with a settable banner."""

    def __init__(self) -> None:
        self.text = ""
        self.subscribers: list[Callable[[str], None]] = []

    def banner(self) -> str:
        return self.text

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def set(self, text: str) -> None:
        self.text = text
        for callback in list(self.subscribers):
            callback(text)


@dataclass
class FakePlay:
    """PlayPort handing out the clip server's URLs and recording saved positions."""

    catalog: FakeCatalog
    server: ClipServer
    saved: list[tuple[int, float, float]] = field(default_factory=list)
    positions: dict[int, float] = field(default_factory=dict)
    fail_open: bool = False
    prepared: list[int] = field(default_factory=list)
    opened: list[tuple[int, int | None]] = field(default_factory=list)
    no_sources: set[int] = field(default_factory=set)
    searched: list[int] = field(default_factory=list)
    search_results: dict[int, list[SourceItem]] = field(default_factory=dict)
    # A slow source: open() takes this long (the player stays "loading" meanwhile).
    open_delay: float = 0.0
    # stream_status reports a stalled swarm: no peers, no speed, barely anything buffered.
    stalled: bool = False
    status_polls: int = 0
    # media_id -> URL (or local path) to play instead of the clip server's clip, e.g. a
    # multi-track file generated by one test module.
    url_override: dict[int, str] = field(default_factory=dict)
    # The fake file behind every clip: ~4.8 Mbit/s over a 10 s clip, downloading at
    # 1.2 MB/s from 7 peers, the start and the end (header, index) fetched first.
    STATUS_SIZE = 6_000_000
    STATUS_RATE = 1_200_000
    STATUS_PEERS = 7

    async def prepare(self, media_id: int) -> None:
        self.prepared.append(media_id)

    async def sources(self, media_id: int) -> list[SourceItem]:
        if media_id in self.no_sources:
            return []
        # Two releases of the same clip, so the Sources list has a choice to make.
        return [SourceItem(id=media_id * 10 + 1, provider="Fake", quality="1080p",
                           video_codec="x264", size_bytes=2_100_000_000, seeds=230, peers=12,
                           score=9000),
                SourceItem(id=media_id * 10 + 2, provider="Fake", quality="720p",
                           video_codec="x264", size_bytes=900_000_000, seeds=40, peers=3,
                           score=6000)]

    async def search_sources(self, media_id: int,
                             progress: Callable[[str], None]) -> list[SourceItem]:
        """Like the real discovery: progress lines, a moment's work, then what it found."""
        self.searched.append(media_id)
        progress("Asking Fake YTS, Fake TheRARBG…")
        await asyncio.sleep(0.3)
        progress("Scoring 1 releases…")
        await asyncio.sleep(0.1)
        return list(self.search_results.get(media_id, []))

    async def open(self, media_id: int, source_id: int | None = None) -> PlayTarget:
        if self.fail_open:
            raise StreamError("No source could be found for this title.")
        self.opened.append((media_id, source_id))
        if self.open_delay:
            await asyncio.sleep(self.open_delay)
        item = self.catalog.items[media_id]
        return PlayTarget(
            media_id=media_id,
            title=item.title,
            url=self.url_override.get(media_id) or self.server.url(media_id),
            start_position=self.positions.get(media_id, 0.0),
        )

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        self.saved.append((media_id, position, duration))
        self.positions[media_id] = position

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        self.status_polls += 1
        if media_id not in self.catalog.items:
            return None
        if self.stalled:
            return StreamStatus(peers=0, download_rate=0, size=self.STATUS_SIZE,
                                downloaded=self.STATUS_SIZE // 50, buffered=((0.0, 0.02),))
        # Grows with every poll, like a download in progress.
        head = min(1.0, 0.2 + 0.02 * self.status_polls)
        buffered = ((0.0, head),) if head >= 0.97 else ((0.0, head), (0.97, 1.0))
        downloaded = int(sum(end - start for start, end in buffered) * self.STATUS_SIZE)
        return StreamStatus(peers=self.STATUS_PEERS, download_rate=self.STATUS_RATE,
                            size=self.STATUS_SIZE, downloaded=downloaded, buffered=buffered)


async def _lists_job() -> int:
    return 12


async def _failing_search() -> int:
    raise MiauflixError("YTS answered a Cloudflare challenge")


def activity_scheduler() -> Scheduler:
    """A real scheduler with one healthy and one failing job, for the Activity screen."""
    return Scheduler([
        Job("refreshLists", _lists_job, interval_s=3600),
        Job("movieSourceSearch", _failing_search, interval_s=0.1, retry_base_s=30,
            max_backoff_s=30),
    ])


@dataclass
class Ports:
    catalog: FakeCatalog
    play: FakePlay
    server: ClipServer
    setup: FakeSetup = field(default_factory=FakeSetup)
    status: FakeStatus = field(default_factory=FakeStatus)
    jobs: Scheduler = field(default_factory=activity_scheduler)

    @property
    def activity(self) -> ActivityService:
        return ActivityService([lambda: self.jobs], [lambda: [ActivityRow(
            "Network", "VPN", "ok", "not required")]])

    async def aclose(self) -> None:
        await self.jobs.stop()
        await self.server.stop()


async def build_ports(media_dir: Path) -> Ports:
    """The one place test ports are built (swap for the real container here)."""
    clips = make_media(media_dir)
    server = ClipServer(clips)
    await server.start()
    catalog = FakeCatalog(media_dir)
    ports = Ports(catalog=catalog, play=FakePlay(catalog, server), server=server)
    await ports.jobs.start()
    return ports
