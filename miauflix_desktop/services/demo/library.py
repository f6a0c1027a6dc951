"""The demo library: generated media, seeded from a loopback swarm, listed as demo films.

With no TMDB key the app still has something real to play: ffmpeg makes the clips once,
we make .torrent files for them, a second libtorrent session on 127.0.0.1 seeds them, and
the films stream through the very engine, server and player real sources use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from miauflix_desktop.core.errors import MiauflixError, TorrentError
from miauflix_desktop.services.demo.media import DemoAsset, ensure_demo_media, release_facts
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent
from miauflix_desktop.services.torrent.seeder import LocalSeeder

log = logging.getLogger(__name__)

# Demo films get negative TMDB ids so they can never collide with real ones.
DEMO_TMDB_BASE = -1000
SOURCE_NAME = "demo"


@dataclass(frozen=True)
class DemoEntry:
    """One prepared demo film: its row, its source and what the seeder serves."""

    movie_id: int
    source_id: int
    info_hash: str
    asset: DemoAsset


class DemoLibrary:
    """Lifecycle service that prepares and seeds the demo films in the background."""

    def __init__(self, root: Path, torrents_dir: Path, seeder: LocalSeeder,
                 movies: MovieRepository, duration_s: float | None = None) -> None:
        self._root = root
        self._torrents = torrents_dir
        self._seeder = seeder
        self._movies = movies
        self._duration = duration_s
        self._entries: list[DemoEntry] = []
        self._hashes: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._cancel = threading.Event()
        self._ready = asyncio.Event()
        self.error: str | None = None
        self.progress: str = "Preparing the demo library…"
        self.on_progress: Callable[[str], None] | None = None

    @property
    def entries(self) -> list[DemoEntry]:
        return list(self._entries)

    def peers_for(self, info_hash: str) -> tuple[tuple[str, int], ...]:
        """Peer hint for the engine: our loopback seeder, for demo torrents only."""
        return (self._seeder.endpoint,) if info_hash in self._hashes else ()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._prepare(), name="demo-library")

    async def wait_ready(self) -> None:
        await self._ready.wait()
        if self.error:
            raise MiauflixError(self.error)

    async def stop(self) -> None:
        # The ffmpeg thread cannot be cancelled by asyncio; the event kills ffmpeg.
        self._cancel.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _report(self, text: str) -> None:
        self.progress = text
        log.info("demo: %s", text)
        if self.on_progress is not None:
            self.on_progress(text)

    async def _prepare(self) -> None:
        try:
            assets = await asyncio.to_thread(
                ensure_demo_media, self._root, duration_s=self._duration, progress=self._report,
                cancel=self._cancel,
            )
            entries = []
            for n, asset in enumerate(assets):
                entries.append(await self._seed(n, asset))
            self._entries = entries
            self._report(f"Demo library ready ({len(entries)} films)")
        except asyncio.CancelledError:
            raise
        except MiauflixError as exc:
            self.error = str(exc)
            log.error("demo library unavailable: %s", exc)
        except Exception as exc:  # keep the app alive; the shelf shows the message
            self.error = f"The demo library could not be prepared: {exc}"
            log.exception("demo library failed")
        finally:
            self._ready.set()

    async def _torrent_for(self, asset: DemoAsset, regenerate: bool = False) -> bytes:
        # Keyed by the media file's size and mtime: regenerated media gets a new torrent
        # up front instead of failing the seeder's check first.
        st = asset.media_path.stat()
        path = self._torrents / f"{asset.title.slug}-{st.st_size}-{st.st_mtime_ns}.torrent"
        if path.exists() and not regenerate:
            data = path.read_bytes()
            try:
                info_hash_of(data)
                return data
            except TorrentError:
                log.warning("demo torrent %s is damaged; making it again", path)
        data = await asyncio.to_thread(make_torrent, asset.content_dir / asset.media_path.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"{asset.title.slug}-*.torrent"):
            stale.unlink(missing_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return data

    async def _seed(self, n: int, asset: DemoAsset) -> DemoEntry:
        data = await self._torrent_for(asset)
        try:
            await self._seeder.seed(data, asset.content_dir)
        except TorrentError:
            # The media changed under the torrent (regenerated or damaged): make both again.
            log.warning("demo %s does not match its torrent; regenerating", asset.title.slug)
            shutil.rmtree(asset.content_dir, ignore_errors=True)
            assets = await asyncio.to_thread(
                ensure_demo_media, self._root, duration_s=self._duration, progress=self._report,
                cancel=self._cancel,
            )
            asset = next(a for a in assets if a.title.slug == asset.title.slug)
            data = await self._torrent_for(asset, regenerate=True)
            await self._seeder.seed(data, asset.content_dir)
        info_hash = info_hash_of(data)
        self._hashes.add(info_hash)
        t = asset.title
        movie_id = await asyncio.to_thread(
            self._movies.upsert_demo, DEMO_TMDB_BASE - n, t.title, t.overview, t.year,
            max(1, round(t.duration_s / 60)), str(asset.poster_path), str(asset.backdrop_path),
        )
        quality, codec = release_facts(t.slug)
        source_id = await asyncio.to_thread(
            self._movies.upsert_source, movie_id, info_hash, data, asset.media_path.stat().st_size,
            SOURCE_NAME, quality, codec,
        )
        return DemoEntry(movie_id, source_id, info_hash, asset)
