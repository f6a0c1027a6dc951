"""Next-episode autoplay in the player view model: prefetch before the end, the countdown
overlay, OK/Back on it, and the next episode opening; real mpv (the shared one) playing
real 10 s clips over HTTP from the test clip server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import qasync

from miauflix_desktop.core.media import (
    EpisodeRef,
    PlayTarget,
    SourceItem,
    StreamStatus,
    episode_media_id,
    episode_of,
)
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.ui.player_vm import PlayerViewModel
from tests.ui.conftest import run
from tests.ui.fakes import Ports
from tests.ui.helpers import wait_until

EPISODES = {101: EpisodeRef(101, 1, 1, "Pilot"), 102: EpisodeRef(102, 1, 2, "Cat's in the Bag"),
            103: EpisodeRef(103, 1, 3, "And the Bag's in the River")}


@dataclass
class ClipEpisodes:
    """EpisodePort over the clip server: episode 101 plays clip 1, 102 clip 2, ...;
    records what the player asked, with loop times, to check the order of events."""

    ports: Ports
    opened: list[int] = field(default_factory=list)
    prefetched: list[tuple[int, float]] = field(default_factory=list)
    saved: list[tuple[int, float, float]] = field(default_factory=list)

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        return [SourceItem(id=1, provider="Clips", quality="360p")]

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        return await self.episode_sources(episode_id)

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        self.opened.append(episode_id)
        ref = EPISODES[episode_id]
        return PlayTarget(episode_media_id(episode_id), f"Show — {ref.label}",
                          self.ports.server.url(episode_id - 100))

    async def next_episode(self, episode_id: int) -> EpisodeRef | None:
        return EPISODES.get(episode_id + 1)

    async def prefetch_episode(self, episode_id: int) -> bool:
        self.prefetched.append((episode_id, asyncio.get_running_loop().time()))
        return True

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        self.saved.append((media_id, position, duration))

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        return None

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        return StreamStatus(peers=3, download_rate=1_000_000, size=1_000_000,
                            downloaded=1_000_000, buffered=((0.0, 1.0),))


def test_countdown_then_next_episode_and_back_cancels(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    episodes = ClipEpisodes(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         next_lead=3.0, next_countdown=2, prefetch_lead=6.0)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        vm.openEpisode(101)
        await wait_until(lambda: shared_player.state.started, 10, "first frame of E01")
        assert vm.property("title") == "Show — S01E01 Pilot"
        assert not vm.property("nextVisible")
        # ~6 s before the end: the next episode's first pieces are fetched, no overlay yet.
        await wait_until(lambda: episodes.prefetched, 10, "prefetch of E02")
        assert episodes.prefetched[0][0] == 102
        assert vm.property("nextPrefetched")
        remaining = shared_player.state.duration - shared_player.state.position
        assert 2.5 < remaining <= 6.5, remaining
        assert not vm.property("nextVisible")
        # ~3 s before the end: the countdown.
        await wait_until(lambda: vm.property("nextVisible"), 6, "countdown overlay")
        shown_at = loop.time()
        assert vm.property("nextText") == "Next: S01E02 Cat's in the Bag — playing in 2 s"
        await wait_until(lambda: vm.property("nextCountdown") == 1, 3, "countdown ticks")
        assert vm.property("nextText").endswith("playing in 1 s")
        # After the countdown the next episode opens by itself; E01 counts as watched.
        await wait_until(lambda: episodes.opened == [101, 102], 4, "E02 opened")
        assert loop.time() - shown_at >= 1.5  # 2 s; Qt coarse timers fire up to 5 % early
        assert episodes.prefetched[0][1] < shown_at  # prefetch came first
        assert not vm.property("nextVisible")
        saved = [s for s in episodes.saved if s[0] == episode_media_id(101)]
        assert saved and saved[-1][1] >= 0.9 * saved[-1][2]
        await wait_until(lambda: vm.property("title") == "Show — S01E02 Cat's in the Bag"
                         and shared_player.state.started
                         and shared_player.state.position < 5, 10, "E02 playing")
        # E02 near its end: Back on the overlay keeps watching, nothing else opens.
        await wait_until(lambda: vm.property("nextVisible"), 12, "countdown for E03")
        assert "S01E03" in vm.property("nextText")
        vm.cancelNext()
        assert not vm.property("nextVisible")
        await asyncio.sleep(2.5)
        assert episodes.opened == [101, 102]
        assert not vm.property("nextVisible")
        vm.back()
        await vm.wait_closed()
        assert any(episode_of(m) == 102 for m, _p, _d in episodes.saved)
        # Films never offer a next episode.
        assert ports.play.saved == [] or all(m > 0 for m, _p, _d in ports.play.saved)

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())


def test_ok_on_the_overlay_plays_the_next_episode_at_once(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    episodes = ClipEpisodes(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         next_lead=3.0, next_countdown=10, prefetch_lead=6.0)

    async def scenario() -> None:
        vm.openEpisode(102)
        await wait_until(lambda: vm.property("nextVisible"), 15, "countdown for E03")
        assert vm.property("nextCountdown") == 10
        vm.playNextNow()
        await wait_until(lambda: episodes.opened == [102, 103], 2, "E03 opened at once")
        await wait_until(lambda: vm.property("title").endswith("S01E03 And the Bag's in "
                                                               "the River"), 5, "E03 title")
        # The last episode has no next: no prefetch, no overlay at its end.
        await wait_until(lambda: shared_player.state.started
                         and shared_player.state.duration - shared_player.state.position < 2,
                         15, "near the end of E03")
        assert not vm.property("nextVisible")
        assert [e for e, _t in episodes.prefetched] == [103]
        vm.back()
        await vm.wait_closed()

    try:
        run(aloop, scenario(), timeout=60)
    finally:
        run(aloop, vm.aclose())


# -- the Episodes screen's view model ----------------------------------------------------


@dataclass
class SearchingEpisodes(ClipEpisodes):
    """Episode 1101 has a source; a search finds one for 1102, none for 1103, and fails
    for the second season (a provider error with a message)."""

    searched: list[int] = field(default_factory=list)
    known: dict[int, list[SourceItem]] = field(default_factory=lambda: {
        1101: [SourceItem(id=1, provider="TheRARBG", quality="1080p", seeds=20)]})

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        return list(self.known.get(episode_id, []))

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        self.searched.append(episode_id)
        progress("Asking TheRARBG…")
        await asyncio.sleep(0.2)
        if episode_id // 100 % 10 == 2:
            from miauflix_desktop.services.sources.discovery import SourceSearchFailed
            raise SourceSearchFailed("No provider answered — TheRARBG: timed out")
        if episode_id == 1102:
            self.known[1102] = [SourceItem(id=2, provider="TheRARBG", quality="720p",
                                           explanation="Season pack — 720p")]
        return await self.episode_sources(episode_id)


def test_episodes_ok_plays_or_searches_first(aloop: qasync.QEventLoop, ports: Ports) -> None:
    from miauflix_desktop.ui.series import EpisodesViewModel

    port = SearchingEpisodes(ports)
    vm = EpisodesViewModel(ports.catalog, port)
    requested: list[tuple[int, int]] = []
    vm.playRequested.connect(lambda e, s: requested.append((e, s)))

    async def scenario() -> None:
        vm.load(1, 1, "Orbit Station")
        await wait_until(lambda: vm.sources.rowCount() == 1, 5, "E01's sources")
        assert vm.property("sourcesText") == "1 source — OK plays the best"
        vm.play(0)  # known sources: plays at once, no search
        await wait_until(lambda: requested == [(1101, 0)], 2, "play E01")
        assert port.searched == []

        vm.setProperty("currentIndex", 1)
        await wait_until(lambda: vm.property("sourcesText").startswith("No sources known"),
                         2, "E02 without sources")
        progress: list[str] = []
        vm.sourcesChanged.connect(lambda: progress.append(vm.property("progress")))
        vm.play(1)
        await wait_until(lambda: vm.property("searching"), 2, "searching")
        await wait_until(lambda: requested[-1] == (1102, 0), 3, "E02 plays after search")
        assert "Asking TheRARBG…" in progress and not vm.property("searching")
        assert vm.sources.row(0)["detail"].startswith("Season pack")

        vm.play(2)  # the search finds nothing: said plainly, nothing plays
        await wait_until(lambda: vm.property("message") == "No sources found for this "
                         "episode.", 3, "none found")
        assert requested[-1] == (1102, 0) and port.searched == [1102, 1103]

        vm.load(1, 2, "Orbit Station")  # season 2: the search fails with a reason
        await wait_until(lambda: vm.episodes.rowCount() == 2, 3, "season 2")
        vm.play(0)
        await wait_until(lambda: "No provider answered" in vm.property("message"), 3,
                         "search failure shown")
        assert len(requested) == 2

    try:
        run(aloop, scenario(), timeout=30)
    finally:
        run(aloop, vm.aclose())
