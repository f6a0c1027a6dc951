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
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.core.media import MediaItem, PlayTarget, Shelf

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


class FakeCatalog:
    """CatalogPort over the generated titles."""

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
            )
        self.fail_home = False

    async def home_shelves(self) -> list[Shelf]:
        if self.fail_home:
            raise StreamError("The catalog is unavailable right now.")
        items = list(self.items.values())
        return [
            Shelf("featured", "Featured", tuple(items)),
            Shelf("demo", "Demo", tuple(i for i in items if i.is_demo)),
        ]

    async def get(self, media_id: int) -> MediaItem:
        await asyncio.sleep(0)
        return self.items[media_id]


@dataclass
class FakePlay:
    """PlayPort handing out the clip server's URLs and recording saved positions."""

    catalog: FakeCatalog
    server: ClipServer
    saved: list[tuple[int, float, float]] = field(default_factory=list)
    positions: dict[int, float] = field(default_factory=dict)
    fail_open: bool = False
    prepared: list[int] = field(default_factory=list)

    async def prepare(self, media_id: int) -> None:
        self.prepared.append(media_id)

    async def open(self, media_id: int) -> PlayTarget:
        if self.fail_open:
            raise StreamError("No source could be found for this title.")
        item = self.catalog.items[media_id]
        return PlayTarget(
            media_id=media_id,
            title=item.title,
            url=self.server.url(media_id),
            start_position=self.positions.get(media_id, 0.0),
        )

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        self.saved.append((media_id, position, duration))
        self.positions[media_id] = position


@dataclass
class Ports:
    catalog: FakeCatalog
    play: FakePlay
    server: ClipServer

    async def aclose(self) -> None:
        await self.server.stop()


async def build_ports(media_dir: Path) -> Ports:
    """The one place test ports are built (swap for the real container here)."""
    clips = make_media(media_dir)
    server = ClipServer(clips)
    await server.start()
    catalog = FakeCatalog(media_dir)
    return Ports(catalog=catalog, play=FakePlay(catalog, server), server=server)
