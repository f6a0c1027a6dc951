"""A StreamService over a real SQLite file, a real isolated TorrentEngine, real loopback
seeders and the real stream server: what stall-recovery and bad-source tests build on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import MovieSource
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import (
    LocalSeeder,
    TorrentEngine,
    info_hash_of,
    make_torrent,
)


@dataclass
class Release:
    """One source's content: the file(s), its .torrent, its hash and bytes."""

    content: Path
    torrent: bytes
    info_hash: str
    payload: bytes


def make_release(root: Path, name: str, size: int, extra: dict[str, int] | None = None
                 ) -> Release:
    """A torrent of one random file `name` (or of a folder with `extra` files too)."""
    content = root / f"content-{name}"
    content.mkdir(parents=True)
    payload = os.urandom(size)
    if extra:
        folder = content / name.rsplit(".", 1)[0]
        folder.mkdir()
        (folder / name).write_bytes(payload)
        for other, other_size in extra.items():
            (folder / other).write_bytes(os.urandom(other_size))
        torrent = make_torrent(folder)
    else:
        (content / name).write_bytes(payload)
        torrent = make_torrent(content / name)
    return Release(content, torrent, info_hash_of(torrent), payload)


@dataclass
class StreamStack:
    db: Database
    movies: MovieRepository
    engine: TorrentEngine
    service: StreamService
    server: StreamServer
    seeders: dict[str, LocalSeeder] = field(default_factory=dict)  # info hash -> seeder
    own_seeders: list[LocalSeeder] = field(default_factory=list)

    def film(self, title: str, tmdb_id: int) -> int:
        return self.movies.upsert_demo(tmdb_id, title, "", 2024, 100, "", "")

    async def source(self, film: int, release: Release, *, quality: str, codec: str,
                     score: int, provider: str = "yts", seeder: LocalSeeder | None = None,
                     upload_limit: int = 0) -> int:
        """Record a source and seed it from its own loopback seeder (or `seeder`)."""
        if seeder is None:
            seeder = LocalSeeder(release.content.parent / f"seeder-{release.info_hash[:8]}")
            await seeder.start()
            self.own_seeders.append(seeder)
        if upload_limit:
            seeder.set_upload_limit(upload_limit)
        await seeder.seed(release.torrent, release.content)
        self.seeders[release.info_hash] = seeder
        source_id = self.movies.upsert_source(film, release.info_hash, release.torrent,
                                              len(release.payload), provider, quality, codec)
        with self.db.session() as s, s.begin():
            s.execute(update(MovieSource).where(MovieSource.id == source_id)
                      .values(streaming_score=score))
        return source_id

    def peers_for(self, info_hash: str) -> tuple[tuple[str, int], ...]:
        seeder = self.seeders.get(info_hash.lower())
        return (seeder.endpoint,) if seeder is not None else ()

    async def aclose(self) -> None:
        await self.server.stop()
        await self.service.stop()
        await self.engine.stop()
        for seeder in self.own_seeders:
            await seeder.stop()
        self.db.close()


async def build_stack(tmp_path: Path, save_root: Path | None = None) -> StreamStack:
    db = Database(tmp_path / "library.sqlite3")
    db.open()
    movies = MovieRepository(db)
    engine = TorrentEngine(TorrentSettings(), save_root or tmp_path / "downloads",
                           tmp_path / "resume", isolated=True)
    await engine.start()
    holder: list[StreamStack] = []
    server_ref: list[StreamServer] = []
    service = StreamService(movies, engine, TokenSigner(b"s" * 32),
                            base_url=lambda: server_ref[0].base_url, token_ttl=600,
                            peer_hints=lambda h: holder[0].peers_for(h))
    server = StreamServer(ServerSettings(), service.resolve)
    server_ref.append(server)
    await server.start()
    stack = StreamStack(db, movies, engine, service, server)
    holder.append(stack)
    return stack
