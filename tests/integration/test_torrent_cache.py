"""Download quota, limits, seeding policy and crash-safe resume: real libtorrent on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import libtorrent as lt
import pytest

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.security.keys import MemoryKeyStore
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.storage_repository import StorageRepository
from miauflix_desktop.services.torrent import (
    LocalSeeder,
    TorrentEngine,
    TorrentSpec,
    info_hash_of,
    make_torrent,
)
from miauflix_desktop.services.torrent import session as session_mod
from miauflix_desktop.services.torrent.cache import TorrentCache
from miauflix_desktop.services.torrent.session import atomic_write_bytes

MIB = 1024 * 1024
CHILD = Path(__file__).with_name("resume_child.py")


def _media(root: Path, name: str, size: int, piece_length: int | None = None):
    content = root / f"content-{name}"
    content.mkdir(parents=True)
    path = content / name
    payload = os.urandom(size)
    path.write_bytes(payload)
    return content, path, payload, make_torrent(path, piece_length)


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


def _add_source(db: Database, n: int, torrent_bytes: bytes, size: int) -> None:
    movies = MovieRepository(db)
    movie = movies.upsert_demo(-900 - n, f"Film {n}", "", 2020, 90, "", "")
    movies.upsert_source(movie, info_hash_of(torrent_bytes), torrent_bytes, size, "demo")


async def _stats(engine: TorrentEngine, key: str):
    return next(s for s in await engine.stats() if s.info_hash == key)


async def _until(predicate, timeout: float, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(step)


# ------------------------------------------------------------------ atomic resume writes


def test_atomic_write_never_leaves_a_truncated_file(tmp_path, monkeypatch):
    target = tmp_path / "x.fastresume"
    atomic_write_bytes(target, b"old complete resume data")
    assert target.read_bytes() == b"old complete resume data"

    # A crash after half the bytes reached the temporary file (here: the write fails).
    real_fsync = os.fsync

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(session_mod.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new" * 100_000)
    assert target.read_bytes() == b"old complete resume data"
    assert [p.name for p in tmp_path.iterdir()] == ["x.fastresume"]  # no temp file left

    # ...or the rename fails: still the old file, still no leftovers.
    monkeypatch.setattr(session_mod.os, "fsync", real_fsync)
    monkeypatch.setattr(session_mod.os, "replace",
                        lambda *a: (_ for _ in ()).throw(OSError("EIO")))
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"newer")
    assert target.read_bytes() == b"old complete resume data"
    assert [p.name for p in tmp_path.iterdir()] == ["x.fastresume"]
    monkeypatch.undo()

    atomic_write_bytes(target, b"replaced")
    assert target.read_bytes() == b"replaced"


async def test_engine_start_removes_temp_files_of_an_interrupted_write(tmp_path):
    resume = tmp_path / "resume"
    resume.mkdir()
    stale = resume / ".abc.fastresume.xyz.tmp"
    stale.write_bytes(b"half")
    engine = TorrentEngine(TorrentSettings(), tmp_path / "dl", resume, isolated=True)
    await engine.start()
    try:
        assert not stale.exists()
    finally:
        await engine.stop()


# --------------------------------------------------------------------------- quota / LRU


async def test_eviction_under_quota_keeps_the_playing_torrent(tmp_path, seeder, db):
    size = 1 * MIB
    items = []
    for n in range(3):
        content, _, payload, tb = _media(tmp_path, f"film{n}.mkv", size)
        await seeder.seed(tb, content)
        _add_source(db, n, tb, size)
        items.append((tb, payload))
    settings = TorrentSettings(cache_quota_gb=2.5 * MIB / 1024**3)  # room for two
    engine = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume", isolated=True)
    await engine.start()
    now = [1000.0]
    repo = StorageRepository(db)
    cache = TorrentCache(engine, settings, repo, interval_s=3600, clock=lambda: now[0])
    await cache.start()
    try:
        torrents = []
        # Film 0 is added first (the oldest use) but is being played: an open reader.
        for tb, _ in items:
            now[0] += 10
            t = await engine.add(TorrentSpec(torrent_bytes=tb, peers=(seeder.endpoint,)))
            await asyncio.wait_for(t.finished(), 10)
            torrents.append(t)
        playing, oldest_idle, newest = torrents
        reader = playing.open_file(0)
        assert await reader.read(0, 100) == items[0][1][:100]

        now[0] += 10
        report = await cache.tick()
        assert report.usage_bytes == 3 * size
        assert report.evicted == [oldest_idle.info_hash]
        assert engine.get(oldest_idle.info_hash) is None
        assert not (tmp_path / "dl" / "film1.mkv").exists()
        assert not engine.resume_path(oldest_idle.info_hash).exists()
        assert [r.status for r in repo.get(oldest_idle.info_hash)] == ["evicted"]
        assert [r.status for r in repo.get(newest.info_hash)] == ["seeding"]
        row = repo.get(playing.info_hash)[0]
        assert (row.status, row.downloaded, row.pieces_done, row.progress) == (
            "seeding", size, row.total_pieces, 1.0)
        assert row.last_access_at is not None

        # Quota for less than one film: the idle one goes, the playing one never does.
        settings.cache_quota_gb = 0.5 * MIB / 1024**3
        report = await cache.tick()
        assert report.evicted == [newest.info_hash]
        assert engine.get(playing.info_hash) is playing
        assert (tmp_path / "dl" / "film0.mkv").read_bytes() == items[0][1]
        assert await reader.read(size - 10, 10) == items[0][1][-10:]
        reader.close()
    finally:
        await cache.stop()
        await engine.stop()

    # After a restart the film is not in the session, only on disk with resume data:
    # it still counts against the quota and is evicted like any other.
    assert engine.resume_path(playing.info_hash).exists()
    again = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume", isolated=True)
    await again.start()
    cache = TorrentCache(again, settings, repo, interval_s=3600)
    try:
        report = await cache.tick()
        assert report.evicted == [playing.info_hash]
        assert not (tmp_path / "dl" / "film0.mkv").exists()
        assert not again.resume_path(playing.info_hash).exists()
        assert [r.status for r in repo.get(playing.info_hash)] == ["evicted"]
    finally:
        await again.stop()


# ------------------------------------------------------------------------------- limits


async def test_download_rate_limit_is_respected(tmp_path, seeder):
    size = 2 * MIB
    content, _path, payload, tb = _media(tmp_path, "limited.mkv", size, 64 * 1024)
    await seeder.seed(tb, content)
    settings = TorrentSettings(download_rate_kib=0, upload_rate_kib=64, connections_limit=50)
    engine = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume", isolated=True)
    await engine.start()
    try:
        pack = engine._require_session().get_settings()
        assert (pack["download_rate_limit"], pack["upload_rate_limit"],
                pack["connections_limit"]) == (0, 64 * 1024, 50)
        # Changed while running: applies at once.
        engine.apply_limits(TorrentSettings(download_rate_kib=512))
        pack = engine._require_session().get_settings()
        assert (pack["download_rate_limit"], pack["upload_rate_limit"]) == (512 * 1024, 0)
        started = time.perf_counter()
        t = await engine.add(TorrentSpec(torrent_bytes=tb, peers=(seeder.endpoint,)))
        await asyncio.wait_for(t.finished(), 15)
        elapsed = time.perf_counter() - started
        print(f"2 MiB at 512 KiB/s: {elapsed:.2f} s (expected ~4 s)")
        assert 2.8 <= elapsed <= 8.0, elapsed
        assert (tmp_path / "dl" / "limited.mkv").read_bytes() == payload
    finally:
        await engine.stop()


# ----------------------------------------------------------------------- seeding policy


async def test_seeding_stops_at_ratio_unless_played(tmp_path, db):
    size = 2 * MIB
    _content, path, _payload, tb = _media(tmp_path, "shared.mkv", size)
    _add_source(db, 0, tb, size)
    # Engine A already has the whole file: it seeds right after checking it.
    (tmp_path / "a-dl").mkdir()
    shutil.copy(path, tmp_path / "a-dl" / "shared.mkv")
    settings = TorrentSettings(seed_ratio=1.0, seed_time_minutes=60)
    a = TorrentEngine(settings, tmp_path / "a-dl", tmp_path / "a-resume", isolated=True)
    b = TorrentEngine(TorrentSettings(), tmp_path / "b-dl", tmp_path / "b-resume",
                      isolated=True)
    await a.start()
    await b.start()
    repo = StorageRepository(db)
    cache = TorrentCache(a, settings, repo, interval_s=3600)
    try:
        ta = await a.add(TorrentSpec(torrent_bytes=tb))
        key = ta.info_hash

        async def a_seeding():
            return (await _stats(a, key)).finished

        await _until(a_seeding, 10)
        report = await cache.tick()
        assert report.stopped_seeding == []  # ratio 0 so far
        assert [r.status for r in repo.get(key)] == ["seeding"]

        tb_ = await b.add(TorrentSpec(torrent_bytes=tb, peers=(("127.0.0.1", a.listen_port),)))
        await asyncio.wait_for(tb_.finished(), 10)

        async def ratio_reached():
            return (await _stats(a, key)).uploaded >= size

        await _until(ratio_reached, 5)
        cache.pin(key)  # being played: keeps seeding whatever the ratio
        assert (await cache.tick()).stopped_seeding == []
        cache.unpin(key)
        report = await cache.tick()
        assert report.stopped_seeding == [key]
        st = await _stats(a, key)
        assert st.paused and st.state == "paused" and a.seeding_stopped(key)
        row = repo.get(key)[0]
        assert row.status == "paused" and row.uploaded >= size
        # Play again: add() resumes it.
        await a.add(TorrentSpec(torrent_bytes=tb))
        assert not (await _stats(a, key)).paused
    finally:
        await cache.stop()
        await b.stop()
        await a.stop()


async def test_seeding_stops_after_the_time_limit(tmp_path):
    _content, path, _, tb = _media(tmp_path, "timed.mkv", MIB)
    (tmp_path / "dl").mkdir()
    shutil.copy(path, tmp_path / "dl" / "timed.mkv")
    settings = TorrentSettings(seed_ratio=-1, seed_time_minutes=0.5 / 60)  # half a second
    engine = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume", isolated=True)
    await engine.start()
    cache = TorrentCache(engine, settings, None, interval_s=3600)
    try:
        t = await engine.add(TorrentSpec(torrent_bytes=tb))

        async def seeding():
            return (await _stats(engine, t.info_hash)).finished

        await _until(seeding, 10)
        assert (await cache.tick()).stopped_seeding == []  # the clock starts now
        await asyncio.sleep(0.6)
        assert (await cache.tick()).stopped_seeding == [t.info_hash]
    finally:
        await engine.stop()


# ------------------------------------------------------------------- kill -9 and restart


async def test_kill_9_then_restart_resumes_the_download(tmp_path, seeder):
    size = 8 * MIB
    piece = 256 * 1024
    content, _, payload, tb = _media(tmp_path, "big.mkv", size, piece)
    seeder.set_upload_limit(2 * MIB)
    await seeder.seed(tb, content)
    num_pieces = size // piece
    key = info_hash_of(tb)
    torrent_file = tmp_path / "big.torrent"
    torrent_file.write_bytes(tb)
    dl, resume = tmp_path / "dl", tmp_path / "resume"
    resume_file = resume / f"{key}.fastresume"

    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(torrent_file), str(dl), str(resume),
         str(seeder.endpoint[1])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    had = 0
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read().decode()  # type: ignore[union-attr]
            if resume_file.exists():
                params = lt.read_resume_data(resume_file.read_bytes())
                had = sum(1 for bit in params.have_pieces[:num_pieces] if bit)
                if had >= num_pieces * 3 // 10:
                    break
            await asyncio.sleep(0.05)
        assert had >= num_pieces * 3 // 10, had
        assert had < num_pieces  # killed mid-download
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(5)
    assert child.returncode == -signal.SIGKILL

    # Restart with the same folders; the seeder is fast now.
    seeder.set_upload_limit(0)
    engine = TorrentEngine(TorrentSettings(), dl, resume, isolated=True)
    await engine.start()
    try:
        t = await engine.add(TorrentSpec(torrent_bytes=tb, peers=(seeder.endpoint,)))
        await asyncio.wait_for(t.finished(), 15)
        st = await _stats(engine, key)
        print(f"had {had}/{num_pieces} pieces at kill -9; second run downloaded "
              f"{st.session_downloaded / MIB:.2f} of {size / MIB:.0f} MiB")
        # Only the missing pieces were fetched (a piece or two of slack for blocks
        # that were in flight).
        assert st.session_downloaded <= size - had * piece + 2 * piece
        assert st.session_downloaded < size * 0.8
        assert (dl / "big.mkv").read_bytes() == payload
    finally:
        await engine.stop()
