"""Seeder + engine + server + real mpv: every demo film plays from its token URL."""

from __future__ import annotations

import pytest

from miauflix_desktop.services.playback.player import PlayerService
from tests.demo_cache import DEMO_DURATION

pytestmark = pytest.mark.timeout(240)


@pytest.mark.parametrize("index", [0, 1, 2])
async def test_demo_film_plays_and_seeks(demo_server, index):
    player = PlayerService(vo="null", ao="null", hwdec="no")
    await player.start()
    try:
        await player.load(demo_server.url(index))
        state = await player.wait_for(lambda s: s.position >= 3.0, timeout=30)
        assert state.error is None
        assert state.duration == pytest.approx(DEMO_DURATION, abs=0.5)

        target = 0.8 * state.duration
        await player.seek(target, "absolute")
        state = await player.wait_for(
            lambda s: not s.seeking and s.position >= target + 0.5, timeout=20)
        assert state.error is None
    finally:
        await player.stop()
