"""Bad sources through real libtorrent on loopback: a torrent without a video file, a
torrent removed mid-film, a swarm that vanishes, and a full disk (a small tmpfs). Each
gives one clear line for the viewer and loses nothing stored."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path

import aiohttp
import libtorrent as lt
import pytest

from miauflix_desktop.core.errors import StreamError, TorrentError
from miauflix_desktop.services.streaming.service import NO_VIDEO_TEXT, REMOVED_TEXT
from miauflix_desktop.services.streaming.stall import (
    REASON_NO_PEERS,
    StallDetector,
    StallSample,
    StallThresholds,
)
from miauflix_desktop.services.torrent.events import DISK_FULL_TEXT
from tests.integration.stream_setup import build_stack, make_release

pytestmark = pytest.mark.timeout(120)

MIB = 1024 * 1024


async def wait_for(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_a_source_without_a_video_file_says_so_and_play_takes_the_next(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("No Video Here", -5001)
        # The biggest file is a disc image: not something to hand to the player.
        iso = make_release(tmp_path, "No.Video.Here.2024.1080p.iso", 3 * MIB,
                           extra={"readme.txt": 2000, "cover.jpg": 50_000})
        video = make_release(tmp_path, "No.Video.Here.2024.720p.mkv", 2 * MIB)
        iso_id = await stack.source(film, iso, quality="1080p", codec="x264", score=9000)
        await stack.source(film, video, quality="720p", codec="x264", score=5000)
        with pytest.raises(StreamError) as raised:
            await stack.service.open(film, iso_id)
        assert str(raised.value) == NO_VIDEO_TEXT == "This source has no video file."
        # Play without a chosen source skips it for the next best that has a video.
        target = await stack.service.open(film)
        status = await stack.service.stream_status(film)
        assert status is not None and status.size == len(video.payload)
        async with aiohttp.ClientSession() as http, http.get(
                target.url, headers={"Range": "bytes=0-4095"}) as resp:
            assert resp.status == 206
            assert await resp.read() == video.payload[:4096]

        only = stack.film("Only An Image", -5002)
        iso2 = make_release(tmp_path, "Only.An.Image.2024.iso", MIB)
        await stack.source(only, iso2, quality="1080p", codec="x264", score=9000)
        with pytest.raises(StreamError, match="This source has no video file"):
            await stack.service.open(only)
    finally:
        await stack.aclose()


async def test_a_torrent_removed_mid_film_is_reported_and_the_place_kept(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Removed Midway", -5003)
        rel = make_release(tmp_path, "Removed.Midway.2024.1080p.mkv", 6 * MIB)
        await stack.source(film, rel, quality="1080p", codec="x264", score=9000)
        await stack.service.open(film)
        await stack.service.save_position(film, 1234.0, 5400.0)
        opened = await stack.service.resolve(
            (await stack.service.open(film)).url.rsplit("/", 1)[1])
        reader = opened.reader()
        assert await reader.read(0, 4096) == rel.payload[:4096]
        assert (await stack.service.stream_status(film)).error == ""

        await stack.engine.remove(rel.info_hash)  # the cache evicted it, say

        status = await stack.service.stream_status(film)
        assert status is not None and status.error == REMOVED_TEXT
        with pytest.raises(TorrentError):
            await reader.read(MIB, 4096)
        # Nothing stored is lost: the place is still there, and saving still works.
        progress = stack.movies.progress(film)
        assert progress is not None and progress.position == 1234.0
        await stack.service.save_position(film, 1300.0, 5400.0)
        assert stack.movies.progress(film).position == 1300.0
        # Play again adds the torrent again and works.
        again = await stack.service.open(film)
        assert (await stack.service.stream_status(film)).error == ""
        async with aiohttp.ClientSession() as http, http.get(
                again.url, headers={"Range": "bytes=0-99"}) as resp:
            assert await resp.read() == rel.payload[:100]
    finally:
        await stack.aclose()


async def test_a_swarm_that_vanishes_is_detected_and_no_source_is_left(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Vanishing Swarm", -5004)
        rel = make_release(tmp_path, "Vanishing.Swarm.2024.1080p.mkv", 24 * MIB)
        await stack.source(film, rel, quality="1080p", codec="x264", score=9000,
                           upload_limit=200 * 1024)
        target = await stack.service.open(film)
        opened = await stack.service.resolve(target.url.rsplit("/", 1)[1])
        reader = opened.reader()
        assert await reader.read(0, 4096) == rel.payload[:4096]

        async def has_peers() -> bool:
            status = await stack.service.stream_status(film)
            return status is not None and status.peers > 0
        await wait_for(has_peers, 10, "the seeder as a peer")

        await stack.seeders[rel.info_hash].stop()  # every peer gone mid-film

        loop = asyncio.get_running_loop()
        far = asyncio.create_task(reader.read(20 * MIB, 4096))  # the player waits
        detector = StallDetector(StallThresholds(no_peer_seconds=2.0, grace_seconds=0.0))
        decision = None
        deadline = loop.time() + 30
        while decision is None:
            assert loop.time() < deadline, "no-peer stall not detected"
            await asyncio.sleep(0.25)
            status = await stack.service.stream_status(film)
            decision = detector.feed(StallSample(
                loop.time(), status.download_rate, status.peers, not far.done(),
                status.size / 60.0, status.downloaded >= status.size))
        assert decision.reason == REASON_NO_PEERS and decision.text == "had no peers"
        assert not far.done()
        # The title's only source: nothing to switch to (the player then says so).
        assert await stack.service.switch_source(film, 600.0) is None
        far.cancel()
        with contextlib.suppress(asyncio.CancelledError, TorrentError):
            await far
    finally:
        await stack.aclose()


@pytest.fixture
def small_disk(tmp_path: Path):
    """An 8 MiB tmpfs (needs root; skipped where mount is not allowed)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs",
                               str(mount_point)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


async def test_a_full_disk_is_reported_as_such_and_nothing_stored_is_lost(tmp_path,
                                                                          small_disk):
    stack = await build_stack(tmp_path, save_root=small_disk / "downloads")
    try:
        film = stack.film("Too Big", -5005)
        rel = make_release(tmp_path, "Too.Big.2024.1080p.mkv", 20 * MIB)  # > 8 MiB disk
        await stack.source(film, rel, quality="1080p", codec="x264", score=9000)
        await stack.service.save_position(film, 2400.0, 6000.0)
        target = await stack.service.open(film)
        opened = await stack.service.resolve(target.url.rsplit("/", 1)[1])
        reader = opened.reader()
        reading = asyncio.create_task(reader.read(16 * MIB, 4096))

        async def disk_full() -> bool:
            status = await stack.service.stream_status(film)
            return status is not None and status.error != ""
        await wait_for(disk_full, 30, "the disk-full error")
        status = await stack.service.stream_status(film)
        assert status.error == DISK_FULL_TEXT
        assert status.error.startswith("The disk is full")
        assert stack.engine.failure(rel.info_hash) == DISK_FULL_TEXT
        # A new request from the player is refused with the reason instead of waiting
        # forever on a torrent libtorrent has stopped (the route answers 503).
        with pytest.raises(StreamError, match="The disk is full"):
            await stack.service.resolve(target.url.rsplit("/", 1)[1])
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError, TorrentError):
            await reading
        # Nothing stored is lost: the place, the library, saving new places.
        assert stack.movies.progress(film).position == 2400.0
        await stack.service.save_position(film, 2410.0, 6000.0)
        assert stack.movies.progress(film).position == 2410.0
        assert [s.id for s in await stack.service.sources(film)]
        # Play again retries (the space may have been freed): the error is cleared and
        # the torrent runs again (a still-full disk would stop it again the same way).
        await stack.service.open(film)
        assert stack.engine.failure(rel.info_hash) is None
        assert (await stack.service.stream_status(film)).error == ""
        handle = stack.engine.get(rel.info_hash).handle
        assert not handle.status().errc.value()
        assert not handle.status().flags & lt.torrent_flags.paused
    finally:
        await stack.aclose()
