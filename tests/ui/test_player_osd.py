"""The player's on-screen display with a remote: seeks, clock, "ends at", the seek bar's
downloaded ranges, the buffering panel, periodic position saves; and the pure pieces
behind them (piece map -> ranges, "safe to start" estimate, the "watched" rule)."""

from __future__ import annotations

import asyncio
import math
import os
import re
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.core.media import StreamStatus
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.services.streaming.service import OpenFile, file_status, resume_start
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, TorrentSpec, make_torrent
from miauflix_desktop.services.torrent.torrent import FileEntry, TorrentMeta, downloaded_ranges
from miauflix_desktop.ui.player_vm import PlayerViewModel, rate_text, safe_start_seconds
from tests.ui.conftest import UiHarness, run
from tests.ui.fakes import CLIP_SECONDS, Ports
from tests.ui.helpers import focused_name, item, press, visible_focus_items, wait_until

K = Qt.Key


async def _play_from_home(ui: UiHarness, wait_started: bool = True) -> None:
    await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a focused card")
    await press(ui.window, K.Key_Return)
    await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
    await press(ui.window, K.Key_Return)
    assert ui.app.property("screen") == "player"
    if wait_started:
        await wait_until(lambda: ui.player.state.started, 10, "first frame")


def _one_focus_on_play_pause(ui: UiHarness) -> None:
    assert [i.objectName() for i in visible_focus_items(ui.window)] == ["playerPlayPause"]


def test_remote_keys_seek_and_osd_texts(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _play_from_home(ui)
        vm = ui.player_vm
        await wait_until(lambda: vm.property("hasStream"), 3, "stream status polled")
        assert re.fullmatch(r"\d\d:\d\d", vm.property("clockText")), vm.property("clockText")
        await wait_until(lambda: vm.property("endsAtText") != "", 3, "ends at")
        assert re.fullmatch(r"Ends at \d\d:\d\d", vm.property("endsAtText"))
        assert item(ui.window, "playerClock").isVisible()
        assert item(ui.window, "playerEndsAt").property("text") == vm.property("endsAtText")
        ranges = vm.property("bufferedRanges")
        assert ranges and all(0.0 <= a <= b <= 1.0 for a, b in ranges), ranges
        assert vm.property("peers") == ui.ports.play.STATUS_PEERS
        assert vm.property("speedText") == "1.2 MB/s"
        info = item(ui.window, "playerStreamInfo").property("text")
        assert "7 peers" in info and "1.2 MB/s" in info, info
        assert not item(ui.window, "playerBuffering").isVisible()

        # Pause, so the positions below only move by the seeks.
        await press(ui.window, K.Key_Space)
        await wait_until(lambda: vm.property("paused"), 5, "paused")
        _one_focus_on_play_pause(ui)
        start = ui.player.state.position

        await press(ui.window, K.Key_Right)  # +10 s, kept short of the end of a 10 s clip
        target = min(start + 10, CLIP_SECONDS - 1)
        await wait_until(lambda: ui.player.state.position >= target - 0.5
                         and not ui.player.state.seeking, 5, "Right seeks forward")
        _one_focus_on_play_pause(ui)
        after_right = ui.player.state.position

        await press(ui.window, K.Key_Left)  # -10 s
        await wait_until(lambda: ui.player.state.position <= max(0.0, after_right - 10) + 0.5
                         and not ui.player.state.seeking, 5, "Left seeks back")
        _one_focus_on_play_pause(ui)
        after_left = ui.player.state.position
        assert after_left < after_right

        await press(ui.window, K.Key_Up)  # +60 s on a 10 s clip: clamped before the end
        await wait_until(lambda: ui.player.state.position >= CLIP_SECONDS - 1.5
                         and not ui.player.state.seeking, 5, "Up seeks far forward")
        assert ui.player.state.position > after_left
        assert ui.player.state.position <= CLIP_SECONDS - 0.5
        assert ui.player.state.error is None and not ui.player.state.eof
        assert ui.app.property("screen") == "player"
        _one_focus_on_play_pause(ui)

        await press(ui.window, K.Key_Down)  # -60 s: clamped at the start
        await wait_until(lambda: ui.player.state.position <= 1.0
                         and not ui.player.state.seeking, 5, "Down seeks far back")
        _one_focus_on_play_pause(ui)
        # Up at the very end does nothing harmful either.
        await press(ui.window, K.Key_Up)
        await press(ui.window, K.Key_Up)
        await wait_until(lambda: ui.player.state.position >= CLIP_SECONDS - 1.5
                         and not ui.player.state.seeking, 5, "Up twice")
        assert ui.player.state.error is None

        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await ui.player_vm.wait_closed()
        assert not vm.property("hasStream")

    run(ui.loop, scenario(), timeout=60)


def test_buffering_panel_while_loading_shows_peers_speed_and_estimate(ui: UiHarness) -> None:
    play = ui.ports.play
    play.open_delay = 2.5
    play.stalled = True

    async def scenario() -> None:
        await _play_from_home(ui, wait_started=False)
        vm = ui.player_vm
        panel = item(ui.window, "playerBuffering")
        await wait_until(lambda: panel.isVisible() and vm.property("hasStream"), 3,
                         "buffering panel")
        assert vm.property("loading") and vm.property("buffering")
        assert item(ui.window, "playerMessage").property("text") == "Loading…"
        stats = item(ui.window, "playerBufferingStats")
        await wait_until(lambda: "0 peers" in stats.property("text"), 2, "stalled stats")
        assert stats.isVisible() and "0 kB/s" in stats.property("text"), stats.property("text")
        safe = item(ui.window, "playerSafeToStart")
        assert safe.isVisible() and safe.property("text") == "Waiting for peers…"
        # One focus indicator while loading: the play/pause circle.
        _one_focus_on_play_pause(ui)

        play.stalled = False  # peers arrive
        await wait_until(lambda: "7 peers" in stats.property("text"), 2, "peers arrive")
        assert "1.2 MB/s" in stats.property("text")

        await wait_until(lambda: ui.player.state.started, 10, "first frame")
        await wait_until(lambda: not panel.isVisible(), 3, "panel hides once playing")
        assert not vm.property("buffering")
        await press(ui.window, K.Key_Escape)
        await ui.player_vm.wait_closed()

    try:
        run(ui.loop, scenario(), timeout=40)
    finally:
        play.open_delay = 0.0
        play.stalled = False


def test_position_is_saved_periodically_while_playing(
        aloop: qasync.QEventLoop, ports: Ports, shared_player: PlayerService) -> None:
    vm = PlayerViewModel(ports.play, shared_player, save_interval=0.5, status_interval=0.2)
    play = ports.play

    async def scenario() -> None:
        play.positions.pop(3, None)
        vm.open(3)
        await wait_until(lambda: shared_player.state.started, 10, "first frame")
        before = len(play.saved)
        await wait_until(lambda: len(play.saved) >= before + 3, 4, "three periodic saves")
        periodic = [s for s in play.saved[before:] if s[0] == 3]
        assert len(periodic) >= 3
        positions = [p for _, p, _ in periodic]
        assert positions == sorted(positions) and positions[-1] > positions[0]
        assert all(abs(d - CLIP_SECONDS) < 0.5 for _, _, d in periodic)

        # Paused: nothing new to save.
        vm.togglePause()
        await wait_until(lambda: shared_player.state.paused, 3, "paused")
        await asyncio.sleep(0.3)
        count = len(play.saved)
        await asyncio.sleep(1.2)
        assert len(play.saved) <= count + 1

        vm.back()
        await vm.wait_closed()
        last = play.saved[-1]
        assert last[0] == 3 and last[1] >= positions[-1]
        count = len(play.saved)
        await asyncio.sleep(1.0)
        assert len(play.saved) == count, "no saves after Back"

    try:
        run(aloop, scenario(), timeout=40)
    finally:
        run(aloop, vm.aclose())
        play.positions.pop(3, None)


# -- pure parts -------------------------------------------------------------------------


def test_downloaded_ranges_from_the_piece_map() -> None:
    # Two files in 100-byte pieces; the second starts mid-piece 2 and ends mid-piece 7.
    meta = TorrentMeta("t", piece_length=100, num_pieces=8,
                       files=(FileEntry(0, "a.nfo", 250, 0), FileEntry(1, "b.mkv", 500, 250)),
                       total_size=750)
    entry = meta.file(1)
    have = [True, False, True, True, False, True, True, True]
    assert downloaded_ranges(meta, entry, have) == [(0, 150), (250, 500)]
    assert downloaded_ranges(meta, entry, [False] * 8) == []
    assert downloaded_ranges(meta, entry, []) == []
    assert downloaded_ranges(meta, entry, [True] * 8) == [(0, 500)]


def test_stream_status_helpers() -> None:
    status = StreamStatus(peers=3, download_rate=1_000, size=10_000, downloaded=3_000,
                          buffered=((0.0, 0.2), (0.5, 0.6)))
    assert status.buffered_ahead(0.1) == pytest.approx(0.1)
    assert status.buffered_ahead(0.3) == 0.0
    # 100 s film of 10,000 bytes: 100 B/s; at 10 s, 10 s (1,000 B) are downloaded ahead,
    # 20 s need 2,000 B: 1,000 B missing at 1,000 B/s.
    assert safe_start_seconds(status, 10.0, 100.0) == pytest.approx(1.0)
    assert safe_start_seconds(status, 0.0, 100.0) == 0.0
    assert safe_start_seconds(status, 10.0, None) is None
    stalled = StreamStatus(download_rate=0, size=10_000, buffered=())
    assert math.isinf(safe_start_seconds(stalled, 10.0, 100.0) or 0)
    # Near the end only what is left of the film is needed.
    assert safe_start_seconds(StreamStatus(download_rate=10, size=10_000,
                                           buffered=((0.95, 1.0),)), 95.0, 100.0) == 0.0
    assert rate_text(1_234_567) == "1.2 MB/s" and rate_text(850_000) == "850 kB/s"


def test_watched_titles_start_over() -> None:
    assert resume_start(0.0, 6000.0) == 0.0
    assert resume_start(600.0, 6000.0) == 600.0
    assert resume_start(5300.0, 6000.0) == 5300.0  # 88 %
    assert resume_start(5400.0, 6000.0) == 0.0  # 90 %: watched
    assert resume_start(95.0, 100.0) == 0.0  # within 30 s of the end
    assert resume_start(50.0, 0.0) == 50.0  # unknown duration: resume


def test_file_status_of_a_real_torrent(aloop: qasync.QEventLoop, tmp_path: Path) -> None:
    """StreamService's status source against libtorrent: all of a seeded file arrives."""
    content = tmp_path / "content"
    content.mkdir()
    path = content / "movie.mkv"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 777))
    torrent_bytes = make_torrent(path)

    async def scenario() -> None:
        seeder = LocalSeeder(tmp_path / "seeder")
        engine = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                               isolated=True)
        await seeder.start()
        await engine.start()
        try:
            await seeder.seed(torrent_bytes, content)
            torrent = await engine.add(TorrentSpec(torrent_bytes=torrent_bytes,
                                                   peers=(seeder.endpoint,)))
            meta = await torrent.metadata()
            entry = meta.files[0]
            opened = OpenFile(torrent, entry.index, entry.size, "movie.mkv", "video/x-matroska")
            first = file_status(opened)
            assert first.size == entry.size
            assert all(0.0 <= a < b <= 1.0 for a, b in first.buffered)
            await torrent.finished()
            done = file_status(opened)
            assert done.buffered == ((0.0, 1.0),)
            assert done.downloaded == entry.size
        finally:
            await asyncio.wait_for(engine.stop(), 5)
            await seeder.stop()

    run(aloop, scenario(), timeout=60)
