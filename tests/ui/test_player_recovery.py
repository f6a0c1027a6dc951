"""Stall recovery and dead streams in the player, with a real mpv (vo=null) over HTTP.

A starving HTTP server sends the first part of the clip and then nothing more, so mpv
really runs dry (paused-for-cache) mid-film; the PlayPort reports a slow swarm for that
source. The player must switch to the next source at the same place and say so, or,
with no source left (or a dead torrent), say why and keep the place for Details.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from aiohttp import web
from PySide6.QtCore import Qt

import tests.ui.conftest as ui_conftest
from miauflix_desktop.core.media import PlayTarget, StreamStatus
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.streaming.stall import StallThresholds
from miauflix_desktop.ui.player_vm import PlayerViewModel
from tests.ui.conftest import UiHarness, build_harness, run
from tests.ui.fakes import FakePlay, FakeSetup, FakeStatus, Ports
from tests.ui.helpers import focused_name, item, press, wait_until

K = Qt.Key
# Short thresholds: the logic is the production detector's, only its clock is shorter.
FAST = StallThresholds(slow_seconds=1.0, no_peer_seconds=1.5, grace_seconds=0.5)
NOTICE_SECONDS = 3.0
LEAVE_AFTER = 4.0  # the message stays this long before the player leaves by itself
# The starving server sends this share of the clip (~4 s of a 10 s clip), then stalls.
SENT_FRACTION = 0.4
DISK_FULL = "The disk is full: the download cannot continue."


class StarvingServer:
    """Serves a clip's bytes up to a cut-off, then holds the connection without sending."""

    def __init__(self, clips: dict[int, Path]) -> None:
        self._clips = clips
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/starving/{media_id}", self._serve)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, media_id: int) -> str:
        return f"http://127.0.0.1:{self.port}/starving/{media_id}"

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        data = self._clips[int(request.match_info["media_id"])].read_bytes()
        size, cut = len(data), int(len(data) * SENT_FRACTION)
        start = 0
        if request.http_range.start is not None:
            start = max(0, request.http_range.start)
        resp = web.StreamResponse(status=206 if start else 200)
        resp.content_length = size - start
        resp.headers["Accept-Ranges"] = "bytes"
        if start:
            resp.headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        await resp.prepare(request)
        if start < cut:
            await resp.write(data[start:cut])
        await asyncio.sleep(3600)  # the swarm that stopped answering
        return resp


@dataclasses.dataclass
class RecoveringPlay(FakePlay):
    """FakePlay whose first source starves (a slow swarm) and whose next one is fine."""

    starving: StarvingServer | None = None
    next_label: str | None = "720p · x264 from YTS"  # None: no other source left
    dead: str = ""  # set: the torrent died (stream_status carries the error)
    switches: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    switched: bool = False

    async def open(self, media_id: int, source_id: int | None = None) -> PlayTarget:
        self.opened.append((media_id, source_id))
        assert self.starving is not None
        return PlayTarget(media_id, self.catalog.items[media_id].title,
                          self.starving.url(media_id), 0.0)

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        self.switches.append((media_id, position))
        if self.next_label is None:
            return None
        self.switched = True
        return PlayTarget(media_id, self.catalog.items[media_id].title,
                          self.server.url(media_id), position, source_label=self.next_label)

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        self.status_polls += 1
        size = self.STATUS_SIZE
        if self.dead:
            return StreamStatus(peers=0, download_rate=0, size=size, downloaded=size // 2,
                                buffered=((0.0, 0.5),), error=self.dead)
        if self.switched:
            return StreamStatus(peers=7, download_rate=5_000_000, size=size,
                                downloaded=size, buffered=((0.0, 1.0),))
        # Two peers trickling 2 kB/s: far below the clip's ~600 kB/s bitrate.
        return StreamStatus(peers=2, download_rate=2_000, size=size,
                            downloaded=int(size * SENT_FRACTION),
                            buffered=((0.0, SENT_FRACTION),))


@pytest.fixture
def recovery(aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService,
             media_dir: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[tuple[UiHarness, RecoveringPlay]]:
    clips = {i: media_dir / f"clip{i}.mp4" for i in (1, 2, 3)}
    starving = StarvingServer(clips)
    run(aloop, starving.start())
    play = RecoveringPlay(catalog=ports.catalog, server=ports.server, starving=starving)
    mine = dataclasses.replace(ports, play=play, setup=FakeSetup(), status=FakeStatus())
    monkeypatch.setattr(ui_conftest, "PlayerViewModel", functools.partial(
        PlayerViewModel, stall=FAST, notice_seconds=NOTICE_SECONDS, leave_after=LEAVE_AFTER))
    harness = build_harness(aloop, mine, shared_player)
    yield harness, play
    run(aloop, harness.shell.close(stop_player=False))
    run(aloop, starving.stop())


async def _play_until_starved(ui: UiHarness) -> None:
    await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a focused card")
    await press(ui.window, K.Key_Return)
    await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
    await press(ui.window, K.Key_Return)
    assert ui.app.property("screen") == "player"
    await wait_until(lambda: ui.player.state.started, 10, "first frame")
    await wait_until(lambda: ui.player.state.position > 1.0, 10, "playing")


def test_a_stalled_source_switches_at_the_same_place_and_says_so(recovery) -> None:
    ui, play = recovery
    vm = ui.player_vm

    async def scenario() -> None:
        await _play_until_starved(ui)
        await wait_until(lambda: vm.property("notice").startswith("Switched"), 20,
                         "the switch notice")
        [(media_id, place)] = play.switches
        assert 1.0 < place < 10 * SENT_FRACTION + 1, place
        assert vm.property("notice") == (
            "Switched to 720p · x264 from YTS: the previous source stalled")
        notice = item(ui.window, "playerNotice")
        assert notice.isVisible()
        assert item(ui.window, "playerNoticeText").property("text") == vm.property("notice")
        assert vm.property("error") == ""
        # The new source plays from where the old one stalled, not from the start.
        await wait_until(lambda: ui.player.state.url == ui.ports.server.url(media_id)
                         and ui.player.state.started, 10, "the next source plays")
        await wait_until(lambda: ui.player.state.position >= place + 0.5, 10, "playing on")
        assert ui.player.state.position < place + 5
        # The notice goes away by itself; no second switch on a healthy source.
        await wait_until(lambda: vm.property("notice") == "", NOTICE_SECONDS + 2, "notice")
        assert not notice.isVisible()
        assert len(play.switches) == 1

        at = ui.player.state.position
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await vm.wait_closed()
        assert play.saved and play.saved[-1][0] == media_id
        assert play.saved[-1][1] >= at - 0.5

    run(ui.loop, scenario(), timeout=60)


def test_no_other_source_shows_why_and_back_keeps_the_place(recovery) -> None:
    ui, play = recovery
    play.next_label = None
    vm = ui.player_vm

    async def scenario() -> None:
        await _play_until_starved(ui)
        await wait_until(lambda: vm.property("error") != "", 20, "the no-source message")
        [(media_id, place)] = play.switches
        error = vm.property("error")
        assert "stalled" in error and "no other source" in error, error
        assert "is kept" in error
        message = item(ui.window, "playerMessage")
        assert message.isVisible() and "Press Back" in message.property("text")
        assert not vm.property("buffering")

        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await vm.wait_closed()
        assert play.saved[-1][0] == media_id
        assert play.saved[-1][1] == pytest.approx(place, abs=1.0)
        assert play.positions[media_id] > 1.0
        await wait_until(lambda: "Resume" in ui.details.property("resumeText"), 5,
                         "Details offers to resume")
        # Leaving with Back cancels the automatic return: Details stays.
        await asyncio.sleep(LEAVE_AFTER + 0.5)
        assert ui.app.property("screen") == "details"

    run(ui.loop, scenario(), timeout=60)


def test_a_dead_torrent_stops_with_its_reason_returns_to_details_and_keeps_the_place(
        recovery) -> None:
    ui, play = recovery
    vm = ui.player_vm

    async def scenario() -> None:
        await _play_until_starved(ui)
        place = ui.player.state.position
        play.dead = DISK_FULL
        await wait_until(lambda: vm.property("error") != "", 5, "the dead-stream message")
        assert vm.property("error").startswith(DISK_FULL)
        assert "is kept" in vm.property("error")
        assert play.switches == []  # a full disk is not fixed by another source
        assert item(ui.window, "playerMessage").isVisible()
        media_id = play.opened[-1][0]
        # No key pressed: after a while the player goes back to Details by itself.
        loop = asyncio.get_running_loop()
        shown = loop.time()
        await wait_until(lambda: ui.app.property("screen") == "details", LEAVE_AFTER + 3,
                         "back to Details")
        assert loop.time() - shown >= LEAVE_AFTER - 1.0  # the message had time to be read
        await vm.wait_closed()
        assert play.saved[-1][0] == media_id
        assert play.saved[-1][1] >= place - 0.5

    run(ui.loop, scenario(), timeout=60)
