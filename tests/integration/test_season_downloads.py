"""Download a season for later: real libtorrent on 127.0.0.1, real SQLite, real stream
server. Each episode's best source is taken (a season pack holding two episodes is one
torrent, a single-episode release the third), the quota refuses with the numbers, a
restart keeps the mark, and the downloaded episodes play byte-exact with no peer left.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.core.downloads import DONE, DownloadError
from miauflix_desktop.core.media import episode_media_id
from miauflix_desktop.services.downloads import DownloadsService
from miauflix_desktop.services.security.keys import MemoryKeyStore
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.download_repository import (
    DownloadRepository,
    SeasonDownloadRepository,
)
from miauflix_desktop.services.storage.models import Episode, Season, TVShow
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRepository,
    FoundEpisodeSource,
    FoundSource,
)
from miauflix_desktop.services.storage.storage_repository import StorageRepository
from miauflix_desktop.services.streaming.episodes import EpisodeStreams
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, make_torrent
from miauflix_desktop.services.torrent.cache import TorrentCache
from miauflix_desktop.services.torrent.metainfo import info_hash_of

MIB = 1024 * 1024
EP_SIZE = MIB


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "lib.sqlite3", keys=MemoryKeyStore())
    database.open()
    yield database
    database.close()


@pytest.fixture
async def seeder(tmp_path):
    s = LocalSeeder(tmp_path / "seeder")
    await s.start()
    yield s
    await s.stop()


def add_show(db: Database) -> tuple[int, dict[int, int]]:
    """Harbor Lights, season 1 with three episodes; (show id, number -> episode id)."""
    with db.session() as s, s.begin():
        show = TVShow(tmdb_id=77, name="Harbor Lights", first_air_date="2020-01-01")
        s.add(show)
        s.flush()
        season = Season(tmdb_id=7701, tvshow_id=show.id, season_number=1, episode_count=3,
                        synced=True)
        s.add(season)
        s.flush()
        ids = {}
        for n in (1, 2, 3):
            ep = Episode(tmdb_id=7710 + n, season_id=season.id, episode_number=n,
                         name=f"Harbor 1x0{n}")
            s.add(ep)
            s.flush()
            ids[n] = ep.id
        return show.id, ids


def found(torrent: bytes, name: str, size: int, score: int) -> FoundSource:
    h = info_hash_of(torrent)
    return FoundSource(info_hash=h, provider="therarbg", release_name=name,
                       magnet=f"magnet:?xt=urn:btih:{h}", torrent_url=None, size_bytes=size,
                       seeds=10, peers=1, uploaded_at=None, quality="1080p",
                       video_codec="x264", release_type="WEB", audio="", languages="",
                       hdr="", bit_depth=None, score=score, explanation="", playable=True)


class Releases:
    """A season pack of E01+E02, a single E03, and a worse single E01; seeded locally."""

    def __init__(self, tmp_path: Path) -> None:
        self.payloads = {n: os.urandom(EP_SIZE) for n in (1, 2, 3)}
        pack = tmp_path / "pack" / "Harbor.Lights.S01.1080p.WEB.x264-GRP"
        pack.mkdir(parents=True)
        for n in (1, 2):
            (pack / f"Harbor.Lights.S01E0{n}.1080p.WEB.x264-GRP.mkv").write_bytes(
                self.payloads[n])
        self.pack_dir, self.pack = pack.parent, make_torrent(pack, 64 * 1024)
        single = tmp_path / "single"
        single.mkdir()
        (single / "Harbor.Lights.S01E03.1080p.WEB.x264-GRP.mkv").write_bytes(self.payloads[3])
        self.single_dir = single
        self.single = make_torrent(single / "Harbor.Lights.S01E03.1080p.WEB.x264-GRP.mkv",
                                   64 * 1024)
        worse = tmp_path / "worse"
        worse.mkdir()
        (worse / "Harbor.Lights.S01E01.720p.mkv").write_bytes(os.urandom(1000))
        self.worse = make_torrent(worse / "Harbor.Lights.S01E01.720p.mkv")

    def store(self, db: Database, show_id: int) -> None:
        EpisodeSourceRepository(db).save_found(show_id, [
            FoundEpisodeSource(found(self.pack, "Harbor.Lights.S01.1080p.WEB.x264-GRP",
                                     2 * EP_SIZE, 6000), ((1, 0),), True),
            FoundEpisodeSource(found(self.single, "Harbor.Lights.S01E03.1080p.WEB.x264-GRP",
                                     EP_SIZE, 5000), ((1, 3),), False),
            FoundEpisodeSource(found(self.worse, "Harbor.Lights.S01E01.720p", 1000, 100),
                               ((1, 1),), False),
        ])

    async def seed(self, seeder: LocalSeeder) -> None:
        await seeder.seed(self.pack, self.pack_dir)
        await seeder.seed(self.single, self.single_dir)


class App:
    """The parts of the container a season download touches, wired as the app does."""

    def __init__(self, tmp_path: Path, db: Database, settings: TorrentSettings,
                 peers: tuple[tuple[str, int], ...]) -> None:
        self.engine = TorrentEngine(settings, tmp_path / "dl", tmp_path / "resume",
                                    isolated=True)
        self.cache = TorrentCache(self.engine, settings, StorageRepository(db),
                                  interval_s=3600)
        movies = MovieRepository(db)
        signer = TokenSigner(b"k" * 32)
        ref: list[StreamServer] = []
        self.films = StreamService(movies, self.engine, signer,
                                   base_url=lambda: ref[0].base_url, token_ttl=600,
                                   peer_hints=lambda _h: peers)
        self.episodes = EpisodeStreams(EpisodeSourceRepository(db), self.engine, signer,
                                       self.films, base_url=lambda: ref[0].base_url,
                                       token_ttl=600, peer_hints=lambda _h: peers)
        self.server = StreamServer(ServerSettings(), self.episodes.resolve)
        ref.append(self.server)
        self.downloads = DownloadsService(
            DownloadRepository(db), movies, self.engine, self.cache,
            choose=self.films.choose_source, open_source=self.films.open_source,
            interval_s=0.2, seasons=SeasonDownloadRepository(db), episodes=self.episodes)
        self.films.prefer_sources(self.downloads.preferred_source)
        self.episodes.prefer_sources(self.downloads.preferred_episode_source)

    async def start(self) -> None:
        for part in (self.engine, self.cache, self.downloads.keeper, self.films,
                     self.server, self.downloads):
            await part.start()

    async def stop(self) -> None:
        for part in (self.downloads, self.server, self.films, self.cache, self.engine):
            await part.stop()

    async def season(self, show_id: int):
        return next(i for i in await self.downloads.season_items()
                    if (i.show_id, i.season) == (show_id, 1))


async def _until(predicate, timeout: float, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(step)


async def test_a_season_downloads_once_per_torrent_and_plays_offline(tmp_path, db,
                                                                     seeder) -> None:
    releases = Releases(tmp_path)
    await releases.seed(seeder)
    show_id, eps = add_show(db)
    releases.store(db, show_id)
    app = App(tmp_path, db, TorrentSettings(), (seeder.endpoint,))
    await app.start()
    try:
        item = await app.downloads.mark_season(show_id, 1)
        assert item.title == "Harbor Lights — Season 1"
        assert item.episodes == 3 and item.missing == 0
        assert app.downloads.is_season_marked(show_id, 1)
        # Before its file list is known the pack stands for the whole season (it scores
        # above E03's own release); the worse E01 single is never taken.
        [first] = SeasonDownloadRepository(db).all()
        assert first.episodes == (1, 2, 3)
        assert first.hash == info_hash_of(releases.pack).lower()

        async def repicked():
            rows = SeasonDownloadRepository(db).all()
            return sorted(r.episodes for r in rows) == [(1, 2), (3,)]

        # Its files say it holds E01 and E02 only: E03's own release joins the download.
        await _until(repicked, 15)
        rows = SeasonDownloadRepository(db).all()
        assert {r.hash for r in rows} == {info_hash_of(releases.pack).lower(),
                                          info_hash_of(releases.single).lower()}
        assert all(app.cache.is_kept(r.hash) for r in rows)
        # Marking again changes nothing.
        await app.downloads.mark_season(show_id, 1)
        assert len(SeasonDownloadRepository(db).all()) == 2

        async def done():
            return (await app.season(show_id)).state == DONE

        await _until(done, 30)
        finished = await app.season(show_id)
        assert finished.size == 3 * EP_SIZE and finished.downloaded == 3 * EP_SIZE
        await _until(lambda: _states_done(db), 5)
    finally:
        await app.stop()

    # A new run with no peer at all: the mark is read back and every episode plays from
    # the downloaded torrents, byte-exact.
    await seeder.stop()
    again = App(tmp_path, db, TorrentSettings(), ())
    await again.start()
    try:
        assert again.downloads.is_season_marked(show_id, 1)
        assert (await again.season(show_id)).state == DONE
        async with httpx.AsyncClient(timeout=30) as http:
            for n in (1, 2, 3):
                target = await again.episodes.open_episode(eps[n])
                assert target.media_id == episode_media_id(eps[n])
                body = (await http.get(target.url)).content
                assert body == releases.payloads[n], f"E0{n}"
        # Removing the season deletes its data; nothing of it stays marked.
        await again.downloads.unmark_season(show_id, 1)
        assert not again.downloads.is_season_marked(show_id, 1)
        assert SeasonDownloadRepository(db).all() == []
        assert await again.downloads.season_items() == []
        assert not (tmp_path / "dl" / "Harbor.Lights.S01.1080p.WEB.x264-GRP").exists()
    finally:
        await again.stop()


async def _states_done(db: Database) -> bool:
    return all(r.state == DONE for r in SeasonDownloadRepository(db).all())


async def test_quota_and_no_source_are_refused_with_the_reason(tmp_path, db) -> None:
    releases = Releases(tmp_path)
    show_id, _eps = add_show(db)
    app = App(tmp_path, db, TorrentSettings(cache_quota_gb=1.5 * MIB / 1024**3), ())
    await app.start()
    try:
        with pytest.raises(DownloadError, match="No source found yet for any episode"):
            await app.downloads.mark_season(show_id, 1)
        releases.store(db, show_id)
        with pytest.raises(DownloadError) as refused:
            await app.downloads.mark_season(show_id, 1)
        # The pack (2 MB, standing for the whole season until its files are known).
        assert str(refused.value) == ("Needs 2.0 MB, 1.5 MB free in the 1.5 MB "
                                      "download cache.")
        assert SeasonDownloadRepository(db).all() == []  # nothing half-recorded
        assert not app.downloads.is_season_marked(show_id, 1)
    finally:
        await app.stop()


async def test_films_and_seasons_share_the_quota(tmp_path, db) -> None:
    releases = Releases(tmp_path)
    show_id, _eps = add_show(db)
    releases.store(db, show_id)
    film_dir = tmp_path / "film"
    film_dir.mkdir()
    (film_dir / "film.mkv").write_bytes(os.urandom(2 * MIB))
    film_torrent = make_torrent(film_dir / "film.mkv", 64 * 1024)
    movies = MovieRepository(db)
    movie = movies.upsert_demo(-900, "A Film", "", 2020, 90, "", "")
    movies.upsert_source(movie, info_hash_of(film_torrent), film_torrent, 2 * MIB, "demo")
    app = App(tmp_path, db, TorrentSettings(cache_quota_gb=3 * MIB / 1024**3), ())
    await app.start()
    try:
        await app.downloads.mark(movie)
        # The film reserves 2 MB of 3: the season's pack (2 MB) does not fit.
        with pytest.raises(DownloadError) as refused:
            await app.downloads.mark_season(show_id, 1)
        assert str(refused.value) == ("Needs 2.0 MB, 1.0 MB free in the 3.0 MB "
                                      "download cache.")
        # The other way round: with the season marked, the film does not fit.
        await app.downloads.unmark(movie)
        await app.downloads.mark_season(show_id, 1)
        with pytest.raises(DownloadError, match=r"Needs 2\.0 MB, 1\.0 MB free"):
            await app.downloads.mark(movie)
        assert not app.downloads.is_marked(movie)
    finally:
        await app.stop()
