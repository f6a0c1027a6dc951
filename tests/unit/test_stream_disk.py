"""The stream server's fast-path planning (which runs go to sendfile) and token cache."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from miauflix_desktop.core.errors import TokenError
from miauflix_desktop.services.streaming.disk import Run, next_run, open_for_sending
from miauflix_desktop.services.streaming.routes import ResolveCache
from miauflix_desktop.services.streaming.tokens import TokenSigner

PL = 100  # piece length


def runs(have: set[int], offset: int, start: int, end: int) -> list[Run]:
    def disk_run(first: int, last: int) -> int:
        p = first
        while p <= last and p in have:
            p += 1
        return p - 1

    out = []
    pos = start
    while pos <= end:
        run = next_run(PL, offset, pos, end, disk_run)
        assert run.start == pos and run.end >= pos
        out.append(run)
        pos = run.end + 1
    return out


def test_complete_file_is_one_disk_run():
    assert runs(set(range(10)), 0, 0, 999) == [Run(True, 0, 999)]
    assert runs(set(range(10)), 0, 150, 151) == [Run(True, 150, 151)]


def test_missing_pieces_are_served_one_piece_at_a_time_between_disk_runs():
    # File at torrent offset 30 (an unaligned second file), bytes 0..599 -> pieces 0..6.
    got = runs({0, 1, 4, 5, 6}, 30, 0, 599)
    assert got == [Run(True, 0, 169),    # pieces 0-1: torrent bytes 30..199
                   Run(False, 170, 269),  # piece 2
                   Run(False, 270, 369),  # piece 3
                   Run(True, 370, 599)]   # pieces 4-6, up to the end asked for
    assert sum(r.length for r in got) == 600


def test_last_short_piece_and_a_range_inside_one_piece():
    assert runs({9}, 0, 950, 970) == [Run(True, 950, 970)]
    assert runs(set(), 0, 950, 970) == [Run(False, 950, 970)]


def test_open_for_sending_refuses_short_missing_and_symlinked_files(tmp_path):
    f = tmp_path / "movie.mkv"
    f.write_bytes(b"x" * 100)
    with open_for_sending(str(f), 100) as fobj:
        assert fobj.read() == b"x" * 100
    assert open_for_sending(str(f), 101) is None  # sparse file not extended yet
    assert open_for_sending(str(tmp_path / "nope"), 1) is None
    link = tmp_path / "link.mkv"
    link.symlink_to(f)
    assert open_for_sending(str(link), 1) is None
    assert open_for_sending(str(tmp_path), 0) is None  # a directory


@dataclass
class FakeTorrent:
    failed: bool = False


@dataclass
class Opened:
    torrent: FakeTorrent


async def test_resolve_cache_reuses_for_a_while_and_forgets_removed_torrents():
    now = [0.0]
    wall = [1_000_000.0]
    calls: list[str] = []
    torrent = FakeTorrent()
    signer = TokenSigner(b"s" * 32, clock=lambda: wall[0])
    token = signer.issue(1, 2, 0, ttl_seconds=60)

    async def resolver(token: str):
        calls.append(token)
        if token == "bad":
            raise ValueError("forged")
        signer.verify(token)
        return Opened(torrent)

    cache = ResolveCache(resolver, ttl=2.0, clock=lambda: now[0],  # type: ignore[arg-type]
                         wall_clock=lambda: wall[0])
    a = await cache(token)
    assert await cache(token) is a and calls == [token]
    now[0] = 2.5
    await cache(token)
    assert calls == [token, token]
    torrent.failed = True  # removed: resolved again at once, not after the TTL
    await cache(token)
    assert calls == [token, token, token]
    torrent.failed = False
    for _ in range(2):  # failures are never cached
        with pytest.raises(ValueError):
            await cache("bad")
    assert calls.count("bad") == 2
    # A cached token stops working the second it expires, not up to the TTL later.
    short = signer.issue(1, 2, 0, ttl_seconds=1)
    await cache(short)
    wall[0] += 1.0
    with pytest.raises(TokenError):
        await cache(short)
    await asyncio.sleep(0)
