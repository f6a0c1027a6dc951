"""Stall recovery through real libtorrent: a throttled swarm starves a reader, the stall
detector (fed real stream status) gives up on it, and StreamService switches to the next
best source of the same title, served byte-exact over the real stream server. The
target's capabilities choose the source, and the token carries the target."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.services.streaming.stall import (
    REASON_SLOW,
    StallDetector,
    StallSample,
    StallThresholds,
)
from miauflix_desktop.services.streaming.tokens import TokenSigner
from tests.integration.stream_setup import build_stack, make_release

pytestmark = pytest.mark.timeout(120)

MIB = 1024 * 1024
# The film's pretended length: its bitrate is size / FILM_SECONDS (16 MiB -> ~280 kB/s).
FILM_SECONDS = 60.0
SLOW_RATE = 40 * 1024  # the slow swarm: well under that bitrate
FAST = StallThresholds(slow_seconds=2.0, grace_seconds=1.0)


async def fetch(http: aiohttp.ClientSession, url: str, offset: int, length: int) -> bytes:
    headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 206, resp.status
        return await resp.read()


async def test_a_starving_source_switches_to_the_next_best_at_the_same_place(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Slow Swarm", -4242)
        slow = make_release(tmp_path, "Slow.Swarm.2024.1080p.mkv", 16 * MIB)
        fast = make_release(tmp_path, "Slow.Swarm.2024.720p.mkv", 12 * MIB)
        await stack.source(film, slow, quality="1080p", codec="x264", score=9000,
                           upload_limit=SLOW_RATE)
        await stack.source(film, fast, quality="720p", codec="x264", score=6000,
                           provider="yts")
        service = stack.service
        first = await service.open(film)
        assert (await service.stream_status(film)).size == len(slow.payload)

        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as http:
            # The player, 8 MiB in (~30 s of this film), waiting on the slow swarm.
            offset, length = 8 * MIB, 2 * MIB
            waiting = asyncio.create_task(fetch(http, first.url, offset, length))
            detector = StallDetector(FAST)
            decision = None
            deadline = loop.time() + 30
            while decision is None:
                assert loop.time() < deadline, "no stall detected on a 40 kB/s swarm"
                await asyncio.sleep(0.25)
                status = await service.stream_status(film)
                assert status is not None and status.error == ""
                decision = detector.feed(StallSample(
                    loop.time(), status.download_rate, status.peers, not waiting.done(),
                    status.size / FILM_SECONDS, status.downloaded >= status.size))
            assert decision.reason == REASON_SLOW
            assert status.peers >= 1  # the swarm answers, just too slowly
            assert status.download_rate < status.size / FILM_SECONDS

            switched = await service.switch_source(film, 30.0)
            assert switched is not None
            assert switched.source_label == "720p · x264 from YTS"
            assert switched.start_position == 30.0 and switched.url != first.url
            assert switched.title == "Slow Swarm"
            data = await asyncio.wait_for(fetch(http, switched.url, offset, length), 20)
            assert data == fast.payload[offset:offset + length]
            status = await service.stream_status(film)
            assert status is not None and status.size == len(fast.payload)
            # The abandoned swarm no longer competes for bandwidth; playing it resumes it.
            assert stack.engine.seeding_stopped(slow.info_hash)
            # Both failed this session: nothing left to switch to.
            assert await service.switch_source(film, 30.0) is None
            waiting.cancel()
            # A new Play starts a new session: the best source is tried again.
            again = await service.open(film)
            assert not stack.engine.seeding_stopped(slow.info_hash)
            assert (await service.stream_status(film)).size == len(slow.payload)
            assert again.url != switched.url
    finally:
        await stack.aclose()


async def test_the_target_chooses_a_source_it_can_decode_and_the_token_says_so(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Codec Test", -4243)
        hevc = make_release(tmp_path, "Codec.Test.2024.2160p.x265.mkv", 3 * MIB)
        avc = make_release(tmp_path, "Codec.Test.2024.1080p.x264.mkv", 2 * MIB)
        await stack.source(film, hevc, quality="2160p", codec="x265", score=9500)
        await stack.source(film, avc, quality="1080p", codec="x264", score=7000)
        signer = TokenSigner(b"s" * 32)

        async def served(target: str) -> tuple[str, int]:
            opened = await stack.service.open(film, target=target)
            claim = signer.verify(opened.url.rsplit("/", 1)[1])
            status = await stack.service.stream_status(film)
            return claim.target, status.size

        # This PC's mpv plays HEVC and 4K: the best release.
        assert await served("pc") == ("pc", len(hevc.payload))
        # A TV without HEVC, and the basic 1080p profile, get the x264 release.
        assert await served("samsung-tv-no-hevc") == ("samsung-tv-no-hevc", len(avc.payload))
        assert await served("basic-tv") == ("basic-tv", len(avc.payload))
        # A Samsung TV decodes HEVC up to 2160p.
        assert await served("tv") == ("samsung-tv", len(hevc.payload))
        with pytest.raises(StreamError, match="Unknown playback target"):
            await stack.service.open(film, target="toaster")

        async with aiohttp.ClientSession() as http:
            tv = await stack.service.open(film, target="basic-tv")
            assert await fetch(http, tv.url, 0, 4096) == avc.payload[:4096]
    finally:
        await stack.aclose()


async def test_a_title_no_source_of_which_the_target_decodes_says_so(tmp_path):
    stack = await build_stack(tmp_path)
    try:
        film = stack.film("Only HEVC", -4244)
        hevc = make_release(tmp_path, "Only.HEVC.2024.1080p.x265.mkv", 2 * MIB)
        await stack.source(film, hevc, quality="1080p", codec="x265", score=9000)
        with pytest.raises(StreamError, match=r"None of the sources .* plays on this TV"):
            await stack.service.open(film, target="basic-tv")
        # This PC plays it.
        await stack.service.open(film)
    finally:
        await stack.aclose()
