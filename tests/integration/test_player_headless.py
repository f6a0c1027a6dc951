"""PlayerService against real libmpv (vo=null, ao=null) streaming a clip over local HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from miauflix_desktop.services.playback.player import PlayerService
from tests.ui.fakes import CLIP_SECONDS, build_ports


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("player-media")


async def test_plays_to_three_seconds_and_seeks(media_dir: Path) -> None:
    ports = await build_ports(media_dir)
    player = PlayerService(vo="null", ao="null", hwdec="no")
    await player.start()
    try:
        t0 = time.monotonic()
        await player.load(ports.server.url(1))
        state = await player.wait_for(lambda s: s.started, timeout=10)
        first_frame = time.monotonic() - t0
        assert not state.loading and state.error is None
        state = await player.wait_for(lambda s: s.position >= 3.0, timeout=15)
        assert state.duration == pytest.approx(CLIP_SECONDS, abs=0.5)

        target = 0.8 * state.duration
        await player.seek(target, "absolute")
        state = await player.wait_for(
            lambda s: not s.seeking and s.position >= target + 0.5, timeout=10
        )
        assert state.position < CLIP_SECONDS + 0.1

        player.set_pause(True)
        state = await player.wait_for(lambda s: s.paused, timeout=5)
        player.toggle_pause()
        await player.wait_for(lambda s: not s.paused, timeout=5)
        await player.stop_playback()
        assert player.state.idle
        print(f"first frame after {first_frame * 1000:.0f} ms")
    finally:
        await player.stop()
        await ports.aclose()


async def test_bad_url_reports_error(media_dir: Path) -> None:
    ports = await build_ports(media_dir)
    player = PlayerService(vo="null", ao="null", hwdec="no")
    await player.start()
    try:
        await player.load(ports.server.url(1).replace("/clip/1", "/clip/99"))
        state = await player.wait_for(lambda s: s.error is not None, timeout=10)
        assert "fail" in state.error.lower()
        assert not state.loading
    finally:
        await player.stop()
        await ports.aclose()
