"""Episode sources end to end: the fake TheRARBG on 127.0.0.1 and real SQLite for the
search; a season pack made here, seeded by a LocalSeeder on loopback, streamed through the
real aiohttp server to check the right episode's file arrives byte-exact."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from sqlalchemy import select, text

import miauflix_desktop.services.streaming.episodes as episodes_module
from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.core.media import episode_media_id
from miauflix_desktop.services.sources.discovery import SourceDiscovery
from miauflix_desktop.services.sources.providers import (
    TheRarbgOptions,
    TheRarbgProvider,
    YtsOptions,
    YtsProvider,
)
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import (
    Episode,
    EpisodeSourceFile,
    Season,
    TVShow,
)
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRepository,
    FoundEpisodeSource,
    FoundSource,
    SourceRepository,
)
from miauflix_desktop.services.streaming.episodes import EpisodeStreams
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import REMOVED_TEXT, StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, make_torrent
from miauflix_desktop.services.torrent.metainfo import info_hash_of
from miauflix_desktop.services.torrent.priorities import MIB
from tests.fakes.therarbg_server import running_fake_therarbg
from tests.fakes.yts_server import running_fake_yts

FAST = {"timeout_s": 0.5, "backoff_base_s": 0.05, "backoff_max_s": 0.2, "rate_max": 1000.0,
        "rate_period_s": 1.0}
BREAKING_BAD = "tt0903747"


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "m.sqlite3")
    database.open()
    yield database
    database.close()


def add_show(db: Database, imdb_id: str | None = BREAKING_BAD) -> dict[tuple[int, int], int]:
    """Breaking Bad with seasons 1-2, three episodes each; (season, episode) -> id."""
    ids: dict[tuple[int, int], int] = {}
    with db.session() as s, s.begin():
        show = TVShow(tmdb_id=1396, imdb_id=imdb_id, name="Breaking Bad",
                      first_air_date="2008-01-20")
        s.add(show)
        s.flush()
        for number in (1, 2):
            season = Season(tmdb_id=3572 + number, tvshow_id=show.id, season_number=number,
                            episode_count=3, synced=True)
            s.add(season)
            s.flush()
            for e in (1, 2, 3):
                ep = Episode(tmdb_id=62085 + 10 * number + e, season_id=season.id,
                             episode_number=e, name=f"Episode {number}.{e}")
                s.add(ep)
                s.flush()
                ids[(number, e)] = ep.id
    return ids


@pytest.fixture
async def providers():
    async with running_fake_yts() as fyts, running_fake_therarbg() as frarbg:
        found = [YtsProvider(YtsOptions(mirrors=(fyts.origin,), **FAST)),
                 TheRarbgProvider(TheRarbgOptions(mirrors=(frarbg.origin,), **FAST))]
        for p in found:
            await p.start()
        try:
            yield fyts, frarbg, found
        finally:
            for p in found:
                await p.stop()


def streams_for(db: Database, engine=None, discover=None, peer_hints=None,
                base_url=lambda: "") -> EpisodeStreams:
    signer = TokenSigner(b"k" * 32)
    films = StreamService(MovieRepository(db), engine, signer,  # type: ignore[arg-type]
                          base_url=base_url, token_ttl=60)
    return EpisodeStreams(EpisodeSourceRepository(db), engine, signer,  # type: ignore[arg-type]
                          films, base_url=base_url, token_ttl=60, peer_hints=peer_hints,
                          discover=discover)


async def test_episode_search_stores_single_episodes_and_season_packs(db, providers) -> None:
    fyts, frarbg, found_providers = providers
    ids = add_show(db)
    discovery = SourceDiscovery(SourceRepository(db), found_providers,
                                episodes=EpisodeSourceRepository(db))
    streams = streams_for(db, discover=discovery.search_episode)
    lines: list[str] = []
    items = await streams.search_episode_sources(ids[(1, 1)], lines.append)
    # YTS lists films only: it is not asked about a series.
    assert fyts.count() == 0 and frarbg.count() >= 2
    assert lines[0] == "Asking TheRARBG…" and lines[-1].startswith("Scoring ")
    # Two single-episode releases, the S01E01E02 file, and the packs holding season 1.
    assert len(items) == 6
    packs = [i for i in items if i.explanation.startswith("Season pack")]
    assert len(packs) == 3  # S01, "Season 1 Complete", Complete Series S01-S05
    scores = [i.score for i in items if i.playable]
    assert scores == sorted(scores, reverse=True)
    # S02E03's own release and the S02 pack were not detail-fetched for S01E01.
    repo = EpisodeSourceRepository(db)
    with db.session() as s:
        rows = s.execute(select(EpisodeSourceFile.season_number,
                                EpisodeSourceFile.episode_number)).all()
    assert (1, 1) in rows and (1, 2) in rows  # S01E01E02 holds both
    assert (1, 0) in rows and (5, 0) in rows  # packs hold whole seasons
    # The pack found for E01 is a candidate for E03 too, before any search for E03.
    e03 = await streams.episode_sources(ids[(1, 3)])
    assert {i.id for i in e03} == {i.id for i in packs}
    assert await streams.episode_sources(ids[(2, 1)]) != []  # the complete series
    # Encrypted at rest like film sources: no plaintext hash or release name on disk.
    with db.session() as s:
        raw = s.execute(text("SELECT hash, release_name, magnet_link FROM episode_source"))
        for hash_value, name, magnet in raw:
            assert "Breaking" not in name and "magnet:" not in magnet
            assert len(hash_value) != 40
    # Searching again refreshes the same rows.
    again = await streams.search_episode_sources(ids[(1, 1)], lambda _t: None)
    assert {i.id for i in again} == {i.id for i in items}
    assert repo.next_episode(ids[(1, 3)]).episode_id == ids[(2, 1)]
    assert repo.next_episode(ids[(2, 3)]) is None


async def test_episode_without_imdb_id_is_searched_by_title(db, providers) -> None:
    _fyts, frarbg, found_providers = providers
    ids = add_show(db, imdb_id=None)
    discovery = SourceDiscovery(SourceRepository(db), found_providers,
                                episodes=EpisodeSourceRepository(db))
    # The fake knows IMDb ids only: the title query finds nothing, and says nothing.
    assert await discovery.search_episode(ids[(1, 2)]) == 0
    assert frarbg.count("/get-posts/keywords:Breaking*S01E02/") == 1


# ------------------------------------------------------------------------- playback

EPISODE_SIZE = 3 * MIB + 4321


@pytest.fixture
def season_pack(tmp_path):
    """A multi-file season pack: three episodes (and a sample) with random bytes."""
    content = tmp_path / "content"
    folder = content / "Breaking.Bad.S01.1080p.BluRay.x264-ROVERS"
    folder.mkdir(parents=True)
    payloads: dict[int, bytes] = {}
    for e in (1, 2, 3):
        payloads[e] = os.urandom(EPISODE_SIZE + e * 1000)
        (folder / f"Breaking.Bad.S01E0{e}.1080p.BluRay.x264-ROVERS.mkv").write_bytes(
            payloads[e])
    (folder / "Sample").mkdir()
    (folder / "Sample" / "breaking.bad.s01e01.sample.mkv").write_bytes(os.urandom(50_000))
    (folder / "RARBG.txt").write_bytes(b"hello")
    return content, make_torrent(folder), payloads


@pytest.fixture
async def seeder(tmp_path):
    s = LocalSeeder(tmp_path / "seeder")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def engine(tmp_path):
    e = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                      isolated=True)
    await e.start()
    yield e
    await asyncio.wait_for(e.stop(), 5)


def store_pack(db: Database, show_ids: dict[tuple[int, int], int], info_hash: str) -> int:
    found = FoundSource(
        info_hash=info_hash, provider="therarbg",
        release_name="Breaking.Bad.S01.1080p.BluRay.x264-ROVERS",
        magnet=f"magnet:?xt=urn:btih:{info_hash}", torrent_url=None, size_bytes=12 * MIB,
        seeds=10, peers=1, uploaded_at=None, quality="1080p", video_codec="x264",
        release_type="BluRay", audio="", languages="", hdr="", bit_depth=None, score=5000,
        explanation="test", playable=True)
    repo = EpisodeSourceRepository(db)
    show_id = repo.episode(show_ids[(1, 1)]).show_id
    repo.save_found(show_id, [FoundEpisodeSource(found, ((1, 0),), True)])
    return repo.sources_for(show_id, 1, 1)[0].id


async def test_season_pack_plays_the_right_episode_byte_exact(db, season_pack, seeder,
                                                              engine) -> None:
    content, torrent_bytes, payloads = season_pack
    await seeder.seed(torrent_bytes, content)
    ids = add_show(db)
    info_hash = info_hash_of(torrent_bytes)
    store_pack(db, ids, info_hash)
    server_ref: list[StreamServer] = []
    streams = streams_for(db, engine, peer_hints=lambda _h: (seeder.endpoint,),
                          base_url=lambda: server_ref[0].base_url)
    server = StreamServer(ServerSettings(), streams.resolve)
    server_ref.append(server)
    await server.start()
    try:
        # Only the magnet is known: the file list comes from the swarm at play time.
        target = await streams.open_episode(ids[(1, 2)])
        assert target.media_id == episode_media_id(ids[(1, 2)])
        assert target.title == "Breaking Bad — S01E02 Episode 1.2"
        async with httpx.AsyncClient(timeout=30) as http:
            body = (await http.get(target.url)).content
            assert body == payloads[2]
            ranged = await http.get(target.url, headers={"Range": "bytes=1000-1999"})
            assert ranged.status_code == 206 and ranged.content == payloads[2][1000:2000]
            # The pack is now mapped: every episode has its own file, E03 too.
            repo = EpisodeSourceRepository(db)
            show_id = repo.episode(ids[(1, 1)]).show_id
            mapped = {(r.id, r.file_index) for r in repo.sources_for(show_id, 1, 3)}
            assert len(mapped) == 1 and next(iter(mapped))[1] is not None
            third = await streams.open_episode(ids[(1, 3)])
            assert (await http.get(third.url)).content == payloads[3]
            # A token of an episode never opens another show's or episode's source.
            forged = third.url.replace("/stream/", "/stream/x")
            assert (await http.get(forged)).status_code == 403
        # Season 2 is not in this pack: no source, a clear message.
        with pytest.raises(StreamError, match="No source found yet for S02E01"):
            await streams.open_episode(ids[(2, 1)])
        # Progress is per episode.
        await streams.save_position(target.media_id, 42.0, 100.0)
        assert EpisodeSourceRepository(db).progress(ids[(1, 2)]) == (42.0, 100.0)
        assert (await streams.open_episode(ids[(1, 2)])).start_position == 42.0
        # Prefetch: the first piece of E03's file is fetched, and says so.
        assert await streams.prefetch_episode(ids[(1, 3)]) is True
        status = await streams.stream_status(target.media_id)
        assert status is not None and status.size == len(payloads[2])
    finally:
        await server.stop()


async def test_pack_without_the_episode_says_so(db, season_pack, seeder, engine) -> None:
    content, torrent_bytes, _payloads = season_pack
    await seeder.seed(torrent_bytes, content)
    ids = add_show(db)
    with db.session() as s, s.begin():
        season = s.scalar(select(Season).where(Season.season_number == 1))
        s.add(Episode(tmdb_id=999, season_id=season.id, episode_number=4, name="Extra"))
    with db.session() as s:
        e04 = s.scalar(select(Episode.id).where(Episode.episode_number == 4))
    store_pack(db, ids, info_hash_of(torrent_bytes))
    streams = streams_for(db, engine, peer_hints=lambda _h: (seeder.endpoint,),
                          base_url=lambda: "http://127.0.0.1:1")
    with pytest.raises(StreamError, match="no file for S01E04"):
        await streams.open_episode(e04)
    # Once mapped, the pack is no longer offered for the episode it lacks.
    assert await streams.episode_sources(e04) == []
    assert len(await streams.episode_sources(ids[(1, 1)])) == 1


def test_key_rotation_keeps_episode_sources_readable(tmp_path) -> None:
    from miauflix_desktop.config.secrets import SecretStore
    from miauflix_desktop.services.security.crypto import key_id_of
    from miauflix_desktop.services.security.keys import SecretKeyStore
    from miauflix_desktop.services.storage import encrypted

    store = SecretKeyStore(SecretStore(tmp_path / "secrets", use_keyring=False))
    db = Database(tmp_path / "lib.sqlite3", keys=store)
    db.open()
    try:
        ids = add_show(db)
        info_hash = "ab" * 20
        source_id = store_pack(db, ids, info_hash)
        EpisodeSourceRepository(db).save_file_map(source_id, {(1, 1): 0}, b"d4:infod0:ee")
        old = store.load().active
        encrypted.rotate_key(db.engine, store)
        new = store.load().active
        assert new != old
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT hash, magnet_link, release_name, file "
                                    "FROM episode_source")).one()
        assert {key_id_of(v).hex() for v in row} == {new.hex()}
        record = EpisodeSourceRepository(db).sources_for(
            EpisodeSourceRepository(db).episode(ids[(1, 1)]).show_id, 1, 1)[0]
        assert record.hash == info_hash and record.magnet_link.endswith(info_hash)
        assert record.release_name.startswith("Breaking.Bad.S01")
        assert record.torrent == b"d4:infod0:ee" and record.file_index == 0
    finally:
        db.close()


async def test_a_stalled_episode_switches_to_its_next_source(db, season_pack, seeder,
                                                              engine, tmp_path) -> None:
    content, torrent_bytes, payloads = season_pack
    await seeder.seed(torrent_bytes, content)
    # A single-episode release of E02 too, scored below the pack.
    single_dir = tmp_path / "single"
    single_dir.mkdir()
    single = single_dir / "Breaking.Bad.S01E02.720p.WEB.x264-GRP.mkv"
    single.write_bytes(payloads[2])
    single_torrent = make_torrent(single)
    await seeder.seed(single_torrent, single_dir)
    ids = add_show(db)
    pack_id = store_pack(db, ids, info_hash_of(torrent_bytes))
    repo = EpisodeSourceRepository(db)
    show_id = repo.episode(ids[(1, 1)]).show_id
    single_hash = info_hash_of(single_torrent)
    repo.save_found(show_id, [FoundEpisodeSource(FoundSource(
        info_hash=single_hash, provider="therarbg",
        release_name="Breaking.Bad.S01E02.720p.WEB.x264-GRP",
        magnet=f"magnet:?xt=urn:btih:{single_hash}", torrent_url=None,
        size_bytes=len(payloads[2]), seeds=3, peers=0, uploaded_at=None, quality="720p",
        video_codec="x264", release_type="WEB", audio="", languages="", hdr="",
        bit_depth=None, score=3000, explanation="", playable=True), ((1, 2),), False)])
    server_ref: list[StreamServer] = []
    streams = streams_for(db, engine, peer_hints=lambda _h: (seeder.endpoint,),
                          base_url=lambda: server_ref[0].base_url)
    server = StreamServer(ServerSettings(), streams.resolve)
    server_ref.append(server)
    await server.start()
    try:
        first = await streams.open_episode(ids[(1, 2)])
        assert "/stream/" in first.url
        assert repo.sources_for(show_id, 1, 2)[0].id == pack_id  # the pack plays first
        switched = await streams.switch_source(first.media_id, 12.5)
        assert switched is not None and switched.start_position == 12.5
        assert switched.source_label == "720p · x264 from TheRARBG"
        async with httpx.AsyncClient(timeout=30) as http:
            assert (await http.get(switched.url)).content == payloads[2]
        # Both given up: nothing left to switch to.
        assert await streams.switch_source(first.media_id, 13.0) is None
    finally:
        await server.stop()


def store_single(db: Database, show_ids: dict[tuple[int, int], int], info_hash: str, *,
                 episode: int, quality: str, score: int, size: int) -> None:
    """A single-episode release of S01E0<episode> (magnet only)."""
    repo = EpisodeSourceRepository(db)
    show_id = repo.episode(show_ids[(1, 1)]).show_id
    name = f"Breaking.Bad.S01E0{episode}.{quality}.WEB.x264-GRP"
    repo.save_found(show_id, [FoundEpisodeSource(FoundSource(
        info_hash=info_hash, provider="therarbg", release_name=name,
        magnet=f"magnet:?xt=urn:btih:{info_hash}", torrent_url=None, size_bytes=size,
        seeds=3, peers=0, uploaded_at=None, quality=quality, video_codec="x264",
        release_type="WEB", audio="", languages="", hdr="", bit_depth=None, score=score,
        explanation="", playable=True), ((1, episode),), False)])


async def test_an_episode_switch_gives_up_a_source_that_never_answers(
        db, season_pack, seeder, engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(episodes_module, "SWITCH_OPEN_TIMEOUT_S", 1.5, raising=False)
    content, torrent_bytes, payloads = season_pack
    await seeder.seed(torrent_bytes, content)
    single_dir = tmp_path / "single"
    single_dir.mkdir()
    single = single_dir / "Breaking.Bad.S01E02.720p.WEB.x264-GRP.mkv"
    single.write_bytes(payloads[2])
    single_torrent = make_torrent(single)
    await seeder.seed(single_torrent, single_dir)
    ids = add_show(db)
    store_pack(db, ids, info_hash_of(torrent_bytes))
    # Between the two: a magnet nobody seeds (its metadata never comes).
    dead = os.urandom(20).hex()
    store_single(db, ids, dead, episode=2, quality="1080p", score=4000, size=EPISODE_SIZE)
    store_single(db, ids, info_hash_of(single_torrent), episode=2, quality="720p",
                 score=3000, size=len(payloads[2]))
    server_ref: list[StreamServer] = []
    streams = streams_for(db, engine, peer_hints=lambda _h: (seeder.endpoint,),
                          base_url=lambda: server_ref[0].base_url)
    server = StreamServer(ServerSettings(), streams.resolve)
    server_ref.append(server)
    await server.start()
    try:
        first = await streams.open_episode(ids[(1, 2)])
        loop = asyncio.get_running_loop()
        started = loop.time()
        # Not forever on the dead magnet: given up in time, the next one plays.
        switched = await asyncio.wait_for(streams.switch_source(first.media_id, 20.0), 15)
        assert switched is not None and switched.source_label == "720p · x264 from TheRARBG"
        assert loop.time() - started >= 1.5
        # The torrent the switch added for nothing is removed again.
        assert engine.get(dead) is None
        async with httpx.AsyncClient(timeout=30) as http:
            assert (await http.get(switched.url)).content == payloads[2]
    finally:
        await server.stop()


async def test_a_dead_episode_stream_says_why_instead_of_stalling(db, season_pack, seeder,
                                                                  engine) -> None:
    content, torrent_bytes, payloads = season_pack
    await seeder.seed(torrent_bytes, content)
    ids = add_show(db)
    info_hash = info_hash_of(torrent_bytes)
    store_pack(db, ids, info_hash)
    streams = streams_for(db, engine, peer_hints=lambda _h: (seeder.endpoint,),
                          base_url=lambda: "http://127.0.0.1:1")
    target = await streams.open_episode(ids[(1, 1)])
    opened = await streams.resolve(target.url.rsplit("/", 1)[1])
    reader = opened.reader()
    try:
        assert await reader.read(0, 4096) == payloads[1][:4096]
    finally:
        reader.close()
    await streams.save_position(target.media_id, 61.0, 1500.0)
    status = await streams.stream_status(target.media_id)
    assert status is not None and status.error == ""

    await engine.remove(info_hash)  # the cache evicted it, say

    # The player is told why (it stops with the reason and keeps the place) instead of
    # judging a torrent that is gone as a slow one and switching.
    status = await streams.stream_status(target.media_id)
    assert status is not None and status.error == REMOVED_TEXT
    assert EpisodeSourceRepository(db).progress(ids[(1, 1)]) == (61.0, 1500.0)

