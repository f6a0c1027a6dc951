"""The player view model around stall switches and autoplay, with the real shared mpv
(vo=null) over HTTP: an episode's stall switch, a seek restarting the stall detector's
grace, the viewer's subtitle delay and files carried over a switch, a failed reload,
Back stopping the next-episode prefetch, a failed prefetch not counting down, and the
"watched" save of autoplay never overwritten by an older periodic save.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import qasync

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import PlayTarget, StreamStatus, episode_media_id, episode_of
from miauflix_desktop.core.stall import REASON_SLOW, StallThresholds, SwitchDecision
from miauflix_desktop.core.subtitles import SubtitleResult
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.ui.player_vm import PlayerViewModel
from tests.ui.conftest import run
from tests.ui.fakes import Ports
from tests.ui.helpers import wait_until
from tests.ui.test_episode_autoplay import EPISODES, ClipEpisodes
from tests.ui.test_player_recovery import FAST, SENT_FRACTION, RecoveringPlay, StarvingServer


@dataclass
class StarvingEpisodes(ClipEpisodes):
    """Episode 10x plays clip x from the starving server (a slow swarm) until the player
    switches; then clip x from the clip server, downloading fine."""

    starving: StarvingServer | None = None
    switches: list[tuple[int, float]] = field(default_factory=list)

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        self.opened.append(episode_id)
        assert self.starving is not None
        return PlayTarget(episode_media_id(episode_id), f"Show — {EPISODES[episode_id].label}",
                          self.starving.url(episode_id - 100))

    async def next_episode(self, episode_id: int):  # no autoplay in these scenarios
        return None

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        self.switches.append((media_id, position))
        episode_id = episode_of(media_id)
        assert episode_id is not None
        return PlayTarget(media_id, f"Show — {EPISODES[episode_id].label}",
                          self.ports.server.url(episode_id - 100), position,
                          source_label="720p · x264 from TheRARBG")

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        size = 6_000_000
        if self.switches:
            return StreamStatus(peers=7, download_rate=5_000_000, size=size,
                                downloaded=size, buffered=((0.0, 1.0),))
        return StreamStatus(peers=2, download_rate=2_000, size=size,
                            downloaded=int(size * SENT_FRACTION),
                            buffered=((0.0, SENT_FRACTION),))


def _starving(aloop: qasync.QEventLoop, media_dir: Path) -> StarvingServer:
    server = StarvingServer({i: media_dir / f"clip{i}.mp4" for i in (1, 2, 3)})
    run(aloop, server.start())
    return server


def test_a_stalled_episode_switches_source_at_the_same_place(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        media_dir: Path) -> None:
    starving = _starving(aloop, media_dir)
    episodes = StarvingEpisodes(ports, starving=starving)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         stall=FAST, notice_seconds=3.0)

    async def scenario() -> None:
        vm.openEpisode(101)
        await wait_until(lambda: shared_player.state.started
                         and shared_player.state.position > 1.0, 10, "E01 playing")
        await wait_until(lambda: vm.property("notice").startswith("Switched"), 20,
                         "the switch notice")
        [(media_id, place)] = episodes.switches
        assert media_id == episode_media_id(101)
        assert 1.0 < place < 10 * SENT_FRACTION + 1, place
        assert vm.property("notice") == ("Switched to 720p · x264 from TheRARBG: the "
                                         "previous source stalled")
        await wait_until(lambda: shared_player.state.url == ports.server.url(1)
                         and shared_player.state.started
                         and shared_player.state.position >= place + 0.5, 10,
                         "the next source plays on from the same place")
        assert vm.property("title") == "Show — S01E01 Pilot"
        assert shared_player.title == "Show — S01E01 Pilot"  # MPRIS metadata
        vm.back()
        await vm.wait_closed()
        saved = [s for s in episodes.saved if s[0] == media_id]
        assert saved and saved[-1][1] >= place

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())
        run(aloop, starving.stop())


def test_a_seek_restarts_the_stall_detectors_grace(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        media_dir: Path) -> None:
    starving = _starving(aloop, media_dir)
    episodes = StarvingEpisodes(ports, starving=starving)
    grace = 4.0
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         stall=StallThresholds(slow_seconds=0.5, no_peer_seconds=30.0,
                                               grace_seconds=grace))

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        vm.openEpisode(102)
        # Well into the grace of the start (so a grace not restarted by the seek would
        # end soon after it), before the starving server's bytes run out (~4 s).
        await wait_until(lambda: shared_player.state.started
                         and shared_player.state.position > 2.5, 10, "E02 playing")
        # Far ahead, where the starving server sends nothing: mpv waits for the seek.
        seek_at = loop.time()
        vm.seek(6.0)
        await wait_until(lambda: vm.property("buffering"), 5, "the seek waits")
        # Waiting after a seek is expected: no judgement during the grace after it.
        await wait_until(lambda: episodes.switches or loop.time() - seek_at > grace, 10)
        assert episodes.switches == [], "switched within the grace after the seek"
        # Still starving after the grace: now it switches.
        await wait_until(lambda: episodes.switches, 10, "the switch after the grace")
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())
        run(aloop, starving.stop())


def test_a_switch_keeps_the_subtitle_delay_and_the_loaded_subtitle_file(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        media_dir: Path, tmp_path: Path) -> None:
    starving = _starving(aloop, media_dir)
    play = RecoveringPlay(catalog=ports.catalog, server=ports.server, starving=starving)
    vm = PlayerViewModel(play, shared_player, status_interval=0.2, stall=FAST)
    srt = tmp_path / "mine.en.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:30,000\nHello from my own file\n")

    def external_shown() -> bool:
        sub = shared_player.state.selected("sub")
        return sub is not None and sub.external

    async def scenario() -> None:
        vm.open(1)
        await wait_until(lambda: shared_player.state.started, 10, "first frame")
        vm.addSubtitle(str(srt))
        await wait_until(external_shown, 5, "the file's subtitles shown")
        for _ in range(3):
            vm.stepSubDelay(1)
        await wait_until(lambda: abs(shared_player.state.sub_delay - 0.3) < 1e-6, 5,
                         "sub delay +0.3 s")
        await wait_until(lambda: play.switches, 20, "the stall switch")
        await wait_until(lambda: shared_player.state.url == ports.server.url(1)
                         and shared_player.state.started, 10, "the next source plays")
        # The viewer's choices carry over to the other source of the same film.
        await wait_until(external_shown, 5, "the file's subtitles shown again")
        assert abs(shared_player.state.sub_delay - 0.3) < 1e-6
        assert [t.external for t in shared_player.state.sub_tracks].count(True) == 1
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())
        run(aloop, starving.stop())


def test_a_switch_whose_reload_fails_says_so_and_leaves(
        aloop: qasync.QEventLoop, ports: Ports) -> None:
    # A player whose mpv is gone (never started here: no second libmpv in this process).
    dead_player = PlayerService(vo="null", ao="null")
    play = RecoveringPlay(catalog=ports.catalog, server=ports.server)
    vm = PlayerViewModel(play, dead_player, leave_after=0.5)
    left: list[bool] = []
    vm.leaveRequested.connect(lambda: left.append(True))

    async def scenario() -> None:
        vm._media_id = 1  # as if film 1 played and stalled (the monitor's call below)
        await vm._switch(1, SwitchDecision(REASON_SLOW, 8.0))
        error = vm.property("error")
        assert "could not be played" in error and "is kept" in error, error
        await wait_until(lambda: left, 3, "back to Details by itself")

    try:
        run(aloop, scenario(), timeout=20)
    finally:
        run(aloop, vm.aclose())


@dataclass
class HangingPrefetch(ClipEpisodes):
    """The next episode's prefetch waits forever (a magnet without seeds)."""

    cancelled: list[int] = field(default_factory=list)

    async def prefetch_episode(self, episode_id: int) -> bool:
        self.prefetched.append((episode_id, asyncio.get_running_loop().time()))
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(episode_id)
            raise
        return True


def test_back_stops_the_prefetch_and_a_film_forgets_the_next_episode(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    episodes = HangingPrefetch(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         prefetch_lead=100.0)

    async def scenario() -> None:
        vm.openEpisode(101)
        await wait_until(lambda: episodes.prefetched, 10, "the prefetch of E02")
        vm.back()
        await vm.wait_closed()
        await wait_until(lambda: episodes.cancelled == [102], 2, "the prefetch cancelled")

        vm.openEpisode(101)
        await wait_until(lambda: vm.property("nextText").startswith("Next: S01E02"), 10)
        vm.open(1)  # a film now: nothing of the episode's autoplay stays
        assert vm.property("nextText") == "" and not vm.property("hasNext")
        await wait_until(lambda: shared_player.state.started, 10, "the film plays")
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())


@dataclass
class NoNextSource(ClipEpisodes):
    async def prefetch_episode(self, episode_id: int) -> bool:
        self.prefetched.append((episode_id, asyncio.get_running_loop().time()))
        return False  # no source found for it


def test_a_failed_prefetch_does_not_count_down_into_no_source(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    episodes = NoNextSource(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         next_lead=3.0, next_countdown=2, prefetch_lead=6.0)
    shown: list[bool] = []
    vm.nextChanged.connect(lambda: shown.append(bool(vm.property("nextVisible"))))

    async def scenario() -> None:
        vm.openEpisode(101)
        await wait_until(lambda: episodes.prefetched, 15, "the prefetch of E02")
        await wait_until(lambda: shared_player.state.eof, 15, "the end of E01")
        await asyncio.sleep(3.0)  # longer than the countdown would have run
        assert episodes.opened == [101]
        assert not any(shown)
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())


@dataclass
class SlowSaves(ClipEpisodes):
    """Periodic saves (mid-episode) take long; the "watched" save is quick. Saves are
    recorded when they complete, the order the database sees them in."""

    in_flight: int = 0

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        self.in_flight += 1
        try:
            if position < 0.9 * duration:
                await asyncio.sleep(1.5)
            self.saved.append((media_id, position, duration))
        finally:
            self.in_flight -= 1


def test_autoplay_saves_watched_after_a_running_periodic_save(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    episodes = SlowSaves(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.1,
                         save_interval=0.3, next_lead=3.0, next_countdown=10,
                         prefetch_lead=6.0)
    first = episode_media_id(101)

    async def scenario() -> None:
        vm.openEpisode(101)
        await wait_until(lambda: vm.property("nextVisible"), 15, "the countdown")
        await wait_until(lambda: episodes.in_flight > 0, 5, "a periodic save running")
        vm.playNextNow()
        await wait_until(lambda: episodes.in_flight == 0 and episodes.opened == [101, 102],
                         5, "the saves done")
        mine = [s for s in episodes.saved if s[0] == first]
        assert len(mine) >= 2
        # The last write of E01 says watched; the older periodic position came first.
        assert mine[-1][1] >= 0.9 * mine[-1][2], mine
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())


class ListedSubtitles:
    """A SubtitleSearchPort (the port the OpenSubtitles client implements) with one
    result for anything."""

    def available(self) -> bool:
        return True

    async def search(self, media_id: int, stream_url: str | None,
                     title: str) -> list[SubtitleResult]:
        return [SubtitleResult(7, "en", "Clip.2024.1080p.WEB", 1200)]

    async def download(self, result: SubtitleResult) -> Path:
        raise MiauflixError("not in this test")


def test_subtitle_search_results_stay_across_a_switch(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
        media_dir: Path) -> None:
    starving = _starving(aloop, media_dir)
    play = RecoveringPlay(catalog=ports.catalog, server=ports.server, starving=starving)
    vm = PlayerViewModel(play, shared_player, status_interval=0.2, stall=FAST,
                         subtitle_search=ListedSubtitles())
    subtitles = vm.property("subtitles")

    async def scenario() -> None:
        vm.open(1)
        await wait_until(lambda: shared_player.state.started, 10, "first frame")
        subtitles.searchOnline()
        await wait_until(lambda: len(subtitles.property("onlineResults")) == 1, 5, "results")
        await wait_until(lambda: play.switches, 20, "the stall switch")
        await wait_until(lambda: shared_player.state.url == ports.server.url(1), 10,
                         "the next source loads")
        # The same film from another source: what the viewer found still applies.
        assert len(subtitles.property("onlineResults")) == 1
        vm.back()
        await vm.wait_closed()
        assert subtitles.property("onlineResults") == []  # the film is gone: so are they

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())
        run(aloop, starving.stop())
