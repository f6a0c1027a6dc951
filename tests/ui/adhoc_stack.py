"""The real services behind the Open torrent screen, for its tests: a SQLite library, an
isolated libtorrent engine (127.0.0.1, no DHT), a LocalSeeder on loopback seeding a real
H.264 clip, AdhocTorrents, StreamService + StreamServer, LibraryService and WatchHistory.

Built the way container.build_container wires them (the tests may construct services;
only ui/ may not), so Details and Play work on the added title unchanged.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.services.adhoc import AdhocTorrents
from miauflix_desktop.services.history import WatchHistory
from miauflix_desktop.services.library import LibraryService
from miauflix_desktop.services.sources.magnets import build_magnet
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent
from tests.ui.fakes import make_media

CLIP_NAME = "Open.Torrent.Clip.2024.720p.x264.mp4"
CLIP_TITLE = "Open Torrent Clip"


@dataclass
class Seeded:
    """One torrent the loopback seeder serves."""

    torrent: bytes
    info_hash: str
    data: bytes
    content: Path

    def magnet(self, name: str | None = CLIP_NAME) -> str:
        # No trackers: the test engine finds the seeder through the peer hint only.
        return build_magnet(self.info_hash, name, default_trackers=())


@dataclass
class AdhocStack:
    root: Path
    database: Database
    movies: MovieRepository
    library: LibraryService
    engine: TorrentEngine
    seeder: LocalSeeder
    adhoc: AdhocTorrents
    streams: StreamService
    server: StreamServer
    history: WatchHistory
    seeded: list[Seeded] = field(default_factory=list)

    @property
    def peers(self) -> tuple[tuple[str, int], ...]:
        return (self.seeder.endpoint,)

    async def seed_clip(self, media_dir: Path, name: str = CLIP_NAME,
                        variant: int = 1) -> Seeded:
        """Seed a real playable clip (fakes.make_media) under a release-like name."""
        clip = make_media(media_dir)[variant]
        content = self.root / f"content-{len(self.seeded)}"
        content.mkdir(parents=True, exist_ok=True)
        path = content / name
        shutil.copyfile(clip, path)
        return await self.seed_file(path)

    async def seed_file(self, path: Path) -> Seeded:
        torrent = make_torrent(path)
        await self.seeder.seed(torrent, path.parent)
        seeded = Seeded(torrent, info_hash_of(torrent), path.read_bytes(), path.parent)
        self.seeded.append(seeded)
        return seeded

    async def aclose(self) -> None:
        await self.server.stop()
        await self.seeder.stop()
        await asyncio.wait_for(self.engine.stop(), 10)
        self.database.close()


async def build_stack(root: Path) -> AdhocStack:
    root.mkdir(parents=True, exist_ok=True)
    database = Database(root / "miauflix.sqlite3")
    await database.start()
    movies = MovieRepository(database)
    engine = TorrentEngine(TorrentSettings(), root / "downloads", root / "resume",
                           isolated=True)
    await engine.start()
    seeder = LocalSeeder(root / "seeder")
    await seeder.start()
    server_ref: list[StreamServer] = []
    streams = StreamService(movies, engine, TokenSigner(b"t" * 32),
                            base_url=lambda: server_ref[0].base_url, token_ttl=3600,
                            peer_hints=lambda _hash: (seeder.endpoint,))
    server = StreamServer(ServerSettings(), streams.resolve)
    server_ref.append(server)
    await server.start()
    library = LibraryService(CatalogRepository(database), None)
    return AdhocStack(root, database, movies, library, engine, seeder,
                      AdhocTorrents(database, engine), streams, server,
                      WatchHistory(movies))
