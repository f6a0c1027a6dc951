"""Download for later: real libtorrent on 127.0.0.1, real SQLite, real stream server.

Quota refusal with the numbers, a restart that keeps the mark and finishes the download,
the eviction exemption, and Play of a finished download with no peer left (byte-exact
over HTTP).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import libtorrent as lt
import pytest

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.core.downloads import DONE, DOWNLOADING, FAILED, PAUSED, DownloadError
from miauflix_desktop.services.downloads import DownloadsService, size_text
from miauflix_desktop.services.network.vpn import VpnConfig, VpnDetector, VpnGate
from miauflix_desktop.services.security.keys import MemoryKeyStore
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.download_repository import DownloadRepository
from miauflix_desktop.services.storage.models import MovieSource
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.storage_repository import StorageRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import (
    LocalSeeder,
    TorrentEngine,
    TorrentSpec,
    info_hash_of,
    make_torrent,
)
from miauflix_desktop.services.torrent.cache import TorrentCache

MIB = 1024 * 1024


def _media(root: Path, name: str, size: int):
    content = root / f"content-{name}"
    content.mkdir(parents=True)
    path = content / name
    payload = os.urandom(size)
    path.write_bytes(payload)
    return content, payload, make_torrent(path, 64 * 1024)


def _film(db: Database, n: int, torrent_bytes: bytes, size: int) -> tuple[int, int]:
    movies = MovieRepository(db)
    movie = movies.upsert_demo(-800 - n, f"Film {n}", "", 2020, 90, "", "")
    source = movies.upsert_source(movie, info_hash_of(torrent_bytes), torrent_bytes, size,
                                  "demo")
    return movie, source


async def _until(predicate, timeout: float, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(step)


@pytest.fixture
async def seeder(tmp_path):
    s = LocalSeeder(tmp_path / "seeder")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "lib.sqlite3", keys=MemoryKeyStore())
    database.open()
    yield database
    database.close()


class App:
    """The parts of the container a download touches, built and stopped like the app does."""

    def __init__(self, tmp_path: Path, db: Database, settings: TorrentSettings,
                 peers: tuple[tuple[str, int], ...],
                 gate_reason: Callable[[], str | None] | None = None,
                 wait_open: Callable[[], Awaitable[None]] | None = None) -> None:
        self.settings = settings
        self.engine = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume",
                                    isolated=True)
        self.cache = TorrentCache(self.engine, settings, StorageRepository(db),
                                  interval_s=3600)
        movies = MovieRepository(db)
        server_ref: list[StreamServer] = []
        self.streams = StreamService(movies, self.engine, TokenSigner(b"k" * 32),
                                     base_url=lambda: server_ref[0].base_url, token_ttl=600,
                                     peer_hints=lambda _h: peers)
        self.server = StreamServer(ServerSettings(), self.streams.resolve)
        server_ref.append(self.server)
        self.downloads = DownloadsService(
            DownloadRepository(db), movies, self.engine, self.cache,
            choose=self.streams.choose_source, open_source=self.streams.open_source,
            gate_reason=gate_reason, wait_open=wait_open,
            interval_s=0.2)
        self.streams.prefer_sources(self.downloads.preferred_source)

    async def start(self) -> None:
        # The container's order: marks kept right after the cache, the rest at the end.
        for part in (self.engine, self.cache, self.downloads.keeper, self.streams,
                     self.server, self.downloads):
            await part.start()

    async def stop(self) -> None:
        for part in (self.downloads, self.server, self.streams, self.cache, self.engine):
            await part.stop()

    async def item(self, media_id: int):
        return next(i for i in await self.downloads.items() if i.media_id == media_id)


async def test_quota_refusal_says_how_much_is_needed_and_free(tmp_path, seeder, db):
    size = 2 * MIB
    films = []
    for n in range(2):
        content, _payload, tb = _media(tmp_path, f"q{n}.mkv", size)
        await seeder.seed(tb, content)
        films.append(_film(db, n, tb, size))
    settings = TorrentSettings(cache_quota_gb=3 * MIB / 1024**3)  # room for one
    app = App(tmp_path, db, settings, (seeder.endpoint,))
    await app.start()
    try:
        first = await app.downloads.mark(films[0][0])
        assert first.state in ("queued", DOWNLOADING, DONE)
        assert app.downloads.is_marked(films[0][0])
        with pytest.raises(DownloadError) as refused:
            await app.downloads.mark(films[1][0])
        assert str(refused.value) == ("Needs 2.0 MB, 1.0 MB free in the 3.0 MB "
                                      "download cache.")
        assert not app.downloads.is_marked(films[1][0])
        assert DownloadRepository(db).get(films[1][0]) is None  # nothing half-recorded
        # Freeing the room lets it in.
        await app.downloads.unmark(films[0][0])
        assert (await app.downloads.mark(films[1][0])).media_id == films[1][0]
    finally:
        await app.stop()
    assert size_text(int(4.2 * 1024**3)) == "4.2 GB" and size_text(20 * 1024**3) == "20 GB"


async def test_restart_keeps_the_mark_resumes_and_is_never_evicted(tmp_path, seeder, db):
    size = 4 * MIB
    content, payload, tb = _media(tmp_path, "kept.mkv", size)
    await seeder.seed(tb, content)
    movie, source = _film(db, 0, tb, size)
    other_content, _p, other_tb = _media(tmp_path, "idle.mkv", MIB)
    await seeder.seed(other_tb, other_content)
    seeder.set_upload_limit(1 * MIB)  # ~4 s for the whole film: a restart lands mid-way
    settings = TorrentSettings(cache_quota_gb=4.5 * MIB / 1024**3)
    app = App(tmp_path, db, settings, (seeder.endpoint,))
    await app.start()
    key = info_hash_of(tb).lower()
    try:
        await app.downloads.mark(movie)

        async def partly():
            it = await app.item(movie)
            return it.state == DOWNLOADING and 0 < it.downloaded < size

        await _until(partly, 10)
        it = await app.item(movie)
        assert it.size == size and it.source_id == source and it.error == ""
    finally:
        await app.stop()
    assert DownloadRepository(db).get(movie).state == DOWNLOADING

    # A new run: the mark is read back, the torrent re-added, the download finishes.
    seeder.set_upload_limit(0)
    again = App(tmp_path, db, settings, (seeder.endpoint,))
    await again.start()
    try:
        assert again.downloads.is_marked(movie) and again.cache.is_kept(key)

        async def done():
            return (await again.item(movie)).state == DONE

        await _until(done, 20)
        await _until(lambda: _persisted(db, movie), 5)
        # Verified pieces reach the file a moment later (libtorrent's disk thread).
        await _until(lambda: _file_is(tmp_path / "dl" / "kept.mkv", payload), 5)
        # Over quota with an idle torrent also cached: the idle one goes, the kept stays.
        idle = await again.engine.add(_spec(other_tb, seeder))
        await asyncio.wait_for(idle.finished(), 10)
        report = await again.cache.tick()
        assert report.evicted == [idle.info_hash]
        assert again.engine.get(key) is not None
        assert (tmp_path / "dl" / "kept.mkv").exists()
        # Unmarking deletes the data.
        await again.downloads.unmark(movie)
        assert not again.downloads.is_marked(movie) and not again.cache.is_kept(key)
        assert not (tmp_path / "dl" / "kept.mkv").exists()
        assert DownloadRepository(db).get(movie) is None
    finally:
        await again.stop()


async def _file_is(path: Path, payload: bytes) -> bool:
    return await asyncio.to_thread(lambda: path.exists() and path.read_bytes() == payload)


async def _persisted(db: Database, movie: int) -> bool:
    row = await asyncio.to_thread(DownloadRepository(db).get, movie)
    return row is not None and row.state == DONE and row.completed_at is not None


def _spec(tb: bytes, seeder: LocalSeeder) -> TorrentSpec:
    return TorrentSpec(torrent_bytes=tb, peers=(seeder.endpoint,))


async def test_finished_download_plays_offline_byte_exact(tmp_path, db):
    size = 3 * MIB + 12345  # a partial last piece
    content, payload, tb = _media(tmp_path, "offline.mkv", size)
    seeder = LocalSeeder(tmp_path / "seeder")
    await seeder.start()
    await seeder.seed(tb, content)
    movie, source = _film(db, 0, tb, size)
    settings = TorrentSettings()
    app = App(tmp_path, db, settings, (seeder.endpoint,))
    await app.start()
    try:
        async def done():
            return (await app.item(movie)).state == DONE

        assert (await app.downloads.mark(movie)).source_id == source
        await _until(done, 20)
    finally:
        await app.stop()
        await seeder.stop()  # no peer anywhere from here on
    # A "better" source found later, that nobody seeds: Play must keep the downloaded one.
    _c, _p, better_tb = _media(tmp_path, "better.mkv", MIB)
    better = MovieRepository(db).upsert_source(movie, info_hash_of(better_tb), better_tb, MIB,
                                              "demo")
    with db.session() as s, s.begin():
        s.get(MovieSource, better).streaming_score = 9999
    assert MovieRepository(db).sources(movie)[0].id == better

    offline = App(tmp_path, db, settings, ())
    await offline.start()
    try:
        target = await offline.streams.open(movie)
        async with aiohttp.ClientSession() as http:
            async with http.get(target.url) as resp:
                assert resp.status == 200
                body = await asyncio.wait_for(resp.read(), 20)
            assert body == payload
            async with http.get(target.url, headers={"Range": f"bytes={size - 5000}-"}) as r:
                assert r.status == 206
                assert await r.read() == payload[-5000:]
        it = await offline.item(movie)
        assert (it.state, it.downloaded, it.peers) == (DONE, size, 0)
    finally:
        await offline.stop()


def _wg0(root: Path, up: bool) -> None:
    """A /sys/class/net entry for the VPN device (what VpnDetector reads)."""
    dev = root / "sys" / "wg0"
    dev.mkdir(parents=True, exist_ok=True)
    (dev / "operstate").write_text("unknown\n" if up else "down\n")
    (dev / "flags").write_text("0x1091\n" if up else "0x1090\n")  # IFF_UP | P2P | ...


async def test_vpn_gate_pauses_downloads_and_missing_source_fails(tmp_path, db, seeder):
    size = MIB
    content, _payload, tb = _media(tmp_path, "gate.mkv", size)
    await seeder.seed(tb, content)
    movie, source = _film(db, 0, tb, size)
    _wg0(tmp_path, up=False)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "route").write_text("Iface\tDestination\tGateway\n")
    # The real gate over a sysfs tree we control (not bound: the swarm is on loopback),
    # wired to the downloads the way container.py does.
    gates: list[VpnGate] = []
    app = App(tmp_path, db, TorrentSettings(), (seeder.endpoint,),
              gate_reason=lambda: None if gates[0].is_open else gates[0].status.reason,
              wait_open=lambda: gates[0].wait_open())
    gate = VpnGate(VpnConfig(require_vpn=True, interface="wg0", poll_interval_s=3600,
                             bind_torrents=False),
                   binding=app.engine, detector=VpnDetector(tmp_path / "sys", tmp_path / "proc"))
    gates.append(gate)
    await app.start()
    await gate.start()  # after the engine, before any download is added (as in the app)
    try:
        assert app.engine.paused
        await app.downloads.mark(movie)
        await asyncio.sleep(0.5)
        it = await app.item(movie)
        assert (it.state, it.downloaded, it.error) == (
            PAUSED, 0, "VPN wg0 is down — torrents paused")
        assert app.engine.get(info_hash_of(tb)) is None  # not even added while closed
        _wg0(tmp_path, up=True)
        gate.check_now()
        assert not app.engine.paused

        async def done():
            return (await app.item(movie)).state == DONE

        await _until(done, 10)
    finally:
        await gate.stop()
        await app.stop()
    # The source is dropped (a resync): the mark stays, failed, with a reason.
    with db.session() as s, s.begin():
        s.delete(s.get(MovieSource, source))
    again = App(tmp_path, db, TorrentSettings(), ())
    await again.start()
    try:
        it = await again.item(movie)
        assert it.state == FAILED and "gone" in it.error
        with pytest.raises(DownloadError, match="No source found yet"):
            await again.downloads.mark(movie)
    finally:
        await again.stop()


async def test_a_torrent_held_in_upload_mode_still_downloads_whole(tmp_path, db, seeder):
    # A metadata lookup of the same hash holds it in upload mode (nothing downloads).
    size = 2 * MIB
    content, payload, tb = _media(tmp_path, "lookup.mkv", size)
    await seeder.seed(tb, content)
    movie, _source = _film(db, 0, tb, size)
    app = App(tmp_path, db, TorrentSettings(), (seeder.endpoint,))
    await app.start()
    try:
        held = await app.engine.add(_spec(tb, seeder))
        held.handle.set_flags(lt.torrent_flags.upload_mode)
        await app.downloads.mark(movie)

        async def done():
            return (await app.item(movie)).state == DONE

        await _until(done, 15)
        await _until(lambda: _file_is(tmp_path / "dl" / "lookup.mkv", payload), 5)
    finally:
        await app.stop()


async def test_unmark_while_the_vpn_is_down_still_deletes_the_data(tmp_path, db, seeder):
    size = MIB
    content, payload, tb = _media(tmp_path, "later.mkv", size)
    await seeder.seed(tb, content)
    movie, _source = _film(db, 0, tb, size)
    app = App(tmp_path, db, TorrentSettings(), (seeder.endpoint,))
    await app.start()
    try:
        await app.downloads.mark(movie)
        await _until(lambda: _persisted(db, movie), 15)
        await _until(lambda: _file_is(tmp_path / "dl" / "later.mkv", payload), 5)
    finally:
        await app.stop()
    # Next run with a required VPN that is down: the mark is kept, the torrent not added.
    _wg0(tmp_path, up=False)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "route").write_text("Iface\tDestination\tGateway\n")
    gates: list[VpnGate] = []
    again = App(tmp_path, db, TorrentSettings(), (),
                gate_reason=lambda: None if gates[0].is_open else gates[0].status.reason,
                wait_open=lambda: gates[0].wait_open())
    gate = VpnGate(VpnConfig(require_vpn=True, interface="wg0", poll_interval_s=3600,
                             bind_torrents=False),
                   binding=again.engine,
                   detector=VpnDetector(tmp_path / "sys", tmp_path / "proc"))
    gates.append(gate)
    await again.start()
    await gate.start()
    try:
        key = info_hash_of(tb).lower()
        assert again.cache.is_kept(key) and again.engine.get(key) is None
        assert (await again.item(movie)).state == DONE  # its bytes are on disk
        await again.downloads.unmark(movie)
        assert not (tmp_path / "dl" / "later.mkv").exists()
        assert not again.engine.resume_path(key).exists()
        assert await again.downloads.items() == []
    finally:
        await gate.stop()
        await again.stop()
