"""Warm start through real libtorrent: a throttled LocalSeeder and an isolated engine on
127.0.0.1, a real SQLite file, StreamService.warm driven by the ViewportPreloader.

A title focused for 2 s has its header and footer pieces on disk, and nothing else is
downloaded for it; Play's first reads need no network (the seeder is gone by then).
Focus moving on cancels the warm-up and leaves nothing pinned; the preloaded torrent is
what the cache evicts first, and release_warm removes it with its files.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from miauflix_desktop.config.settings import PreloadSettings, TorrentSettings
from miauflix_desktop.services.preload import PIECES, ViewportPreloader
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.service import StreamService, warm_pieces
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import (
    LocalSeeder,
    TorrentEngine,
    info_hash_of,
    make_torrent,
)
from miauflix_desktop.services.torrent.cache import GIB, TorrentCache
from miauflix_desktop.services.torrent.priorities import (
    DEFAULT_PRIORITY,
    FOOTER_BYTES,
    HEADER_BYTES,
    KIB,
    MIB,
)

SIZE = 24 * MIB + 4321
PIECE = 256 * KIB


class Film:
    def __init__(self, media_id: int, payload: bytes, torrent: bytes) -> None:
        self.media_id = media_id
        self.payload = payload
        self.torrent = torrent
        self.info_hash = info_hash_of(torrent)


@pytest.fixture
async def rig(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    db.open()
    movies = MovieRepository(db)
    seeder = LocalSeeder(tmp_path / "seeder")
    await seeder.start()
    films: list[Film] = []
    for n in range(2):
        content = tmp_path / f"content{n}"
        content.mkdir()
        path = content / f"film{n}.mkv"
        payload = os.urandom(SIZE)
        path.write_bytes(payload)
        torrent = make_torrent(path, PIECE)
        await seeder.seed(torrent, content)
        media_id = movies.upsert_demo(-5000 - n, f"Film {n}", "", 2024, 90, "", "")
        movies.upsert_source(media_id, info_hash_of(torrent), torrent, SIZE, "demo", "1080p",
                             "x264")
        films.append(Film(media_id, payload, torrent))
    engine = TorrentEngine(TorrentSettings(), tmp_path / "dl", tmp_path / "resume",
                           isolated=True)
    await engine.start()
    streams = StreamService(movies, engine, TokenSigner(b"k" * 32),
                            base_url=lambda: "http://127.0.0.1:1", token_ttl=600,
                            peer_hints=lambda _h: (seeder.endpoint,))
    preloader = ViewportPreloader(streams, PreloadSettings(debounce_ms=300),
                                  busy=[streams.streaming])
    await preloader.start()
    yield preloader, streams, engine, seeder, films, tmp_path
    await preloader.stop()
    await streams.stop()
    await asyncio.wait_for(engine.stop(), 10)
    await seeder.stop()
    db.close()


def header_footer_pieces() -> list[int]:
    return warm_pieces(PIECE, 0, SIZE, HEADER_BYTES, FOOTER_BYTES)


async def test_focused_title_plays_from_local_pieces(rig):
    preloader, streams, engine, seeder, films, _tmp = rig
    film = films[0]
    seeder.set_upload_limit(4 * MIB)  # a swarm slower than loopback
    preloader.report(film.media_id, [], [])
    await asyncio.sleep(2.0)  # focused for a moment, as a viewer reads the card

    assert preloader.achieved(film.media_id) == PIECES
    result = preloader.result(film.media_id)
    assert result is not None and result.pieces_local and result.warm_only
    assert result.fetched_bytes >= HEADER_BYTES + FOOTER_BYTES - PIECE
    torrent = engine.get(film.info_hash)
    assert torrent is not None
    have = torrent.have_pieces()
    wanted = set(header_footer_pieces())
    assert {p for p, h in enumerate(have) if h} >= wanted
    # Only the warmed pieces: the rest of the film is not downloaded behind the viewer's
    # back (a preload must never compete with a stream), however long we wait.
    await asyncio.sleep(1.0)
    have = torrent.have_pieces()
    assert sum(have) <= len(wanted) + 2, f"{sum(have)} pieces downloaded"
    assert not engine.is_streaming(film.info_hash)  # nothing pinned once warm

    # The swarm goes away: Play must start from what is already here.
    await seeder.unseed(film.info_hash)
    target = await streams.open(film.media_id)
    token = target.url.rsplit("/", 1)[-1]
    opened = await streams.resolve(token)
    reader = opened.reader()
    try:
        head = await asyncio.wait_for(reader.read(0, HEADER_BYTES), 1.0)
        tail = await asyncio.wait_for(reader.read(SIZE - FOOTER_BYTES, FOOTER_BYTES), 1.0)
    finally:
        reader.close()
    assert head == film.payload[:HEADER_BYTES]
    assert tail == film.payload[-FOOTER_BYTES:]
    # Play claimed it: every piece is wanted again and it is no longer "preload only".
    assert not streams.is_warm_only(film.info_hash)
    assert set(torrent.handle.get_piece_priorities()) == {DEFAULT_PRIORITY}


async def test_moving_focus_cancels_and_leaves_nothing_pinned(rig):
    preloader, streams, engine, seeder, films, tmp = rig
    first, second = films
    # First film: warmed, then played (so it is a real, watched torrent).
    preloader.report(first.media_id, [], [])
    await asyncio.wait_for(preloader.wait_level(first.media_id, PIECES), 10)
    await streams.open(first.media_id)
    assert not streams.is_warm_only(first.info_hash)

    # Second film: a very slow swarm, so its warm-up is still running when focus moves.
    seeder.set_upload_limit(32 * KIB)
    preloader.report(second.media_id, [], [])
    for _ in range(100):
        if engine.get(second.info_hash) is not None and preloader.running():
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    torrent = engine.get(second.info_hash)
    assert torrent is not None and preloader.running() == {second.media_id: PIECES}
    assert engine.is_streaming(second.info_hash)  # its warm-up reader holds deadlines

    preloader.report(None, [], [])
    for _ in range(40):
        if not engine.is_streaming(second.info_hash):
            break
        await asyncio.sleep(0.05)
    assert preloader.running() == {}
    assert not engine.is_streaming(second.info_hash)
    assert preloader.achieved(second.media_id) < PIECES
    # Nothing pinned: no deadlines, and only pieces it already has are wanted.
    await asyncio.sleep(0.2)
    have = torrent.have_pieces()
    priorities = torrent.handle.get_piece_priorities()
    assert all(prio == 0 for prio, h in zip(priorities, have, strict=True) if not h)
    assert streams.is_warm_only(second.info_hash)

    # Over quota, the cache evicts the preloaded torrent first, though it is the most
    # recently used; the film that was played stays.
    cache = TorrentCache(engine, TorrentSettings(), interval_s=3600)
    cache.set_preload_check(streams.is_warm_only)
    stats = {s.info_hash: s for s in await engine.stats()}
    usage = sum(s.total_done for s in stats.values())
    keep = stats[first.info_hash].total_done
    cache.touch(first.info_hash)
    await asyncio.sleep(0.01)
    cache.touch(second.info_hash)
    cache._settings.cache_quota_gb = (keep + (usage - keep) // 2) / GIB
    if usage > keep:  # the slow warm-up may not have finished a single piece
        report = await cache.tick()
        assert report.evicted == [second.info_hash]
        assert engine.get(first.info_hash) is not None
    else:
        assert await streams.release_warm(second.info_hash)
    assert engine.get(second.info_hash) is None
    assert not (tmp / "dl" / "film1.mkv").exists() or (tmp / "dl" / "film1.mkv").stat(
    ).st_blocks == 0


async def test_release_warm_removes_an_unplayed_torrent_with_its_files(rig):
    _preloader, streams, engine, _seeder, films, tmp = rig
    film = films[1]
    result = await streams.warm(film.media_id, HEADER_BYTES, FOOTER_BYTES)
    assert result is not None and result.warm_only and result.pieces_local
    assert (tmp / "dl" / "film1.mkv").exists()
    assert streams.warm_only_hashes() == [film.info_hash]
    assert await streams.release_warm(film.info_hash)
    assert engine.get(film.info_hash) is None
    assert not (tmp / "dl" / "film1.mkv").exists()
    assert streams.warm_only_hashes() == []
    # A torrent someone played is never released.
    await streams.warm(film.media_id, HEADER_BYTES, 0)
    await streams.open(film.media_id)
    assert not await streams.release_warm(film.info_hash)
    assert engine.get(film.info_hash) is not None
