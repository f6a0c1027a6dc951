"""Autoplay with every real part: a season pack of three 10 s clips made here, seeded by a
LocalSeeder on 127.0.0.1, stored in a real SQLite file, streamed by EpisodeStreams
through the real stream server to the shared mpv; the player view model prefetches the
next episode before the end, counts down, and opens it from the same pack."""

from __future__ import annotations

import shutil
from pathlib import Path

import qasync
from sqlalchemy import select

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Episode, EpisodeSourceFile, Season, TVShow
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRepository,
    FoundEpisodeSource,
    FoundSource,
)
from miauflix_desktop.services.streaming.episodes import EpisodeStreams
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, make_torrent
from miauflix_desktop.services.torrent.metainfo import info_hash_of
from miauflix_desktop.ui.player_vm import PlayerViewModel
from tests.ui.conftest import run
from tests.ui.fakes import Ports, make_media
from tests.ui.helpers import wait_until

PACK = "Orbit.Station.S01.360p.WEB.x264-TEST"


def _catalog(db: Database) -> list[int]:
    """A series with one season of three episodes; their ids in order."""
    with db.session() as s, s.begin():
        show = TVShow(tmdb_id=4242, name="Orbit Station", imdb_id="tt7654321")
        s.add(show)
        s.flush()
        season = Season(tmdb_id=1, tvshow_id=show.id, season_number=1, episode_count=3)
        s.add(season)
        s.flush()
        for number in (1, 2, 3):
            s.add(Episode(tmdb_id=10 + number, season_id=season.id, episode_number=number,
                          name=f"Part {number}"))
    with db.session() as s:
        return list(s.scalars(select(Episode.id).order_by(Episode.episode_number)))


def _pack(media_dir: Path, root: Path) -> tuple[Path, bytes]:
    clips = make_media(media_dir)
    folder = root / PACK
    folder.mkdir(parents=True)
    for number in (1, 2, 3):
        shutil.copyfile(clips[number], folder / f"Orbit.Station.S01E0{number}.360p.mp4")
    return root, make_torrent(folder)


def test_autoplay_from_a_real_season_pack(aloop: qasync.QEventLoop, ports: Ports,
                                          shared_player: PlayerService, media_dir: Path,
                                          tmp_path: Path) -> None:
    content, torrent = _pack(media_dir, tmp_path / "content")
    info_hash = info_hash_of(torrent)
    db = Database(tmp_path / "lib.sqlite3")
    db.open()
    episode_ids = _catalog(db)
    repo = EpisodeSourceRepository(db)
    show_id = repo.episode(episode_ids[0]).show_id
    repo.save_found(show_id, [FoundEpisodeSource(FoundSource(
        info_hash=info_hash, provider="therarbg", release_name=PACK,
        magnet=f"magnet:?xt=urn:btih:{info_hash}", torrent_url=None, size_bytes=3_000_000,
        seeds=5, peers=0, uploaded_at=None, quality="360p", video_codec="x264",
        release_type="WEB", audio="", languages="", hdr="", bit_depth=None, score=5000,
        explanation="", playable=True), ((1, 0),), True)])

    async def scenario() -> None:
        seeder = LocalSeeder(tmp_path / "seeder")
        engine = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                               isolated=True)
        await seeder.start()
        await engine.start()
        await seeder.seed(torrent, content)
        signer = TokenSigner(b"s" * 32)
        server_ref: list[StreamServer] = []
        films = StreamService(MovieRepository(db), engine, signer,
                              base_url=lambda: server_ref[0].base_url, token_ttl=600)
        streams = EpisodeStreams(repo, engine, signer, films,
                                 base_url=lambda: server_ref[0].base_url, token_ttl=600,
                                 peer_hints=lambda _h: (seeder.endpoint,))
        server = StreamServer(ServerSettings(), streams.resolve)
        server_ref.append(server)
        await server.start()
        vm = PlayerViewModel(ports.play, shared_player, episodes=streams, status_interval=0.2,
                             next_lead=3.0, next_countdown=2, prefetch_lead=6.0)
        try:
            vm.openEpisode(episode_ids[0])
            await wait_until(lambda: shared_player.state.started, 20, "E01 playing")
            assert vm.property("title") == "Orbit Station — S01E01 Part 1"
            # The pack was mapped at first play: every episode has its file.
            with db.session() as s:
                mapped = dict(s.execute(select(EpisodeSourceFile.episode_number,
                                               EpisodeSourceFile.file_index)).all())
            assert sorted(mapped) == [1, 2, 3] and None not in mapped.values()
            await wait_until(lambda: vm.property("nextPrefetched"), 12, "E02 prefetched")
            assert not vm.property("nextVisible")  # prefetch comes before the countdown
            await wait_until(lambda: vm.property("nextVisible"), 8, "countdown")
            assert vm.property("nextText").startswith("Next: S01E02 Part 2 — playing in")
            await wait_until(lambda: vm.property("title") == "Orbit Station — S01E02 Part 2",
                             5, "E02 opened")
            await wait_until(lambda: shared_player.state.started
                             and 0.5 < shared_player.state.position < 5, 15, "E02 playing")
            assert repo.progress(episode_ids[0]) is not None
            position, duration = repo.progress(episode_ids[0])
            assert position == duration > 9  # finished: the next open starts over
            status = await streams.stream_status(-episode_ids[1])
            e02 = content / PACK / "Orbit.Station.S01E02.360p.mp4"
            assert status is not None and status.size == e02.stat().st_size
            vm.back()
            await vm.wait_closed()
            saved = repo.progress(episode_ids[1])
            assert saved is not None and 0.5 < saved[0] < 9
        finally:
            await vm.aclose()
            await server.stop()
            await engine.stop()
            await seeder.stop()

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        db.close()
