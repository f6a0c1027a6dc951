"""MPRIS Next over a private session bus, with the app's own wiring
(container.media_controls) and the real player view model playing 10 s episode clips in
the shared mpv: CanGoNext is true exactly while an episode with a next one plays, Next
opens it at any time (the place in the skipped episode is kept; in the countdown's
stretch it counts as watched), and Next on the last episode does nothing."""

from __future__ import annotations

import asyncio

import pytest
import qasync
from PySide6.QtCore import QObject

from miauflix_desktop.container import media_controls
from miauflix_desktop.core.media import episode_media_id
from miauflix_desktop.services.desktop.integration import DesktopIntegration
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.ui.player_vm import PlayerViewModel
from tests.ui.conftest import run
from tests.ui.fakes import Ports
from tests.ui.helpers import wait_until
from tests.ui.test_episode_autoplay import ClipEpisodes
from tests.ui.test_player_mpris import bus_address, prop, send  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(120)


def test_mpris_next_plays_the_next_episode(aloop: qasync.QEventLoop, ports: Ports,
                                          shared_player: PlayerService,
                                          bus_address: str) -> None:  # noqa: F811
    episodes = ClipEpisodes(ports)
    vm = PlayerViewModel(ports.play, shared_player, episodes=episodes, status_interval=0.2,
                         next_lead=3.0, next_countdown=10, prefetch_lead=6.0)
    app = QObject()  # Stop is not pressed here; Next never asks the navigator
    desktop = DesktopIntegration(media_controls(app, shared_player, vm),  # type: ignore[arg-type]
                                 address=bus_address, inhibit_screensaver=False)

    async def can_go_next() -> bool:
        out = await prop(bus_address, "CanGoNext")
        assert "boolean" in out, out
        return "true" in out

    async def scenario() -> None:
        await desktop.start()
        await desktop.wait_ready()
        try:
            assert not await can_go_next()  # nothing plays
            vm.openEpisode(101)
            await wait_until(lambda: shared_player.state.started and vm.property("hasNext"),
                             10, "E01 playing, E02 known")
            assert await can_go_next()

            # Early in E01 (no countdown yet): Next opens E02 at once, E01's place is kept.
            await wait_until(lambda: shared_player.state.position >= 1.0, 5, "1 s into E01")
            assert not vm.property("nextVisible")
            await send(bus_address, "org.mpris.MediaPlayer2.Player.Next")
            await wait_until(lambda: episodes.opened == [101, 102], 3, "E02 opened")
            await wait_until(lambda: vm.property("title").endswith("S01E02 Cat's in the Bag")
                             and shared_player.state.started, 10, "E02 playing")
            e01 = [s for s in episodes.saved if s[0] == episode_media_id(101)]
            assert e01, episodes.saved
            _m, position, duration = e01[-1]
            assert 0.5 < position < 0.5 * duration, e01  # resumable, not marked watched

            # E02 in the countdown's stretch: Next counts it as watched and opens E03.
            await wait_until(lambda: vm.property("nextVisible"), 15, "countdown for E03")
            await send(bus_address, "org.mpris.MediaPlayer2.Player.Next")
            await wait_until(lambda: episodes.opened == [101, 102, 103], 3, "E03 opened")
            e02 = [s for s in episodes.saved if s[0] == episode_media_id(102)]
            assert e02 and e02[-1][1] >= 0.9 * e02[-1][2], e02

            # E03 is the last: CanGoNext turns false and Next does nothing.
            await wait_until(lambda: vm.property("title").endswith("River")
                             and shared_player.state.started, 10, "E03 playing")
            await wait_until(lambda: not vm.property("hasNext"), 5, "no next after E03")
            for _ in range(50):
                if not await can_go_next():
                    break
                await asyncio.sleep(0.1)
            assert not await can_go_next()
            await send(bus_address, "org.mpris.MediaPlayer2.Player.Next")
            await asyncio.sleep(0.5)
            assert episodes.opened == [101, 102, 103]
            vm.back()
            await vm.wait_closed()
            assert not await can_go_next()
        finally:
            await desktop.stop()

    try:
        run(aloop, scenario(), timeout=90)
    finally:
        run(aloop, vm.aclose())
