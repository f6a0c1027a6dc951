"""The stream server under real load: concurrent streams, seek storms, disconnects, odd
Range headers, and the sendfile fast path against the piece path.

Real parts only: a LocalSeeder and an isolated TorrentEngine on 127.0.0.1, the real
StreamServer (aiohttp) and a real HTTP client (aiohttp's, and raw sockets for headers
no client library would send). Tokens are resolved by a small table here so that the
tests exercise routes + torrent + reader, not the catalog.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import libtorrent as lt
import pytest

from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.core.errors import TokenError
from miauflix_desktop.services.streaming import disk
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import OpenFile
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, TorrentSpec, make_torrent
from miauflix_desktop.services.torrent.reader import FileReader
from miauflix_desktop.services.torrent.torrent import Torrent

pytestmark = pytest.mark.timeout(90)

KIB = 1024
MIB = 1024 * KIB
PIECE = 64 * KIB  # small pieces: many piece boundaries inside every range


@dataclass
class Media:
    torrent: bytes
    content: Path  # the directory the seeder seeds from
    files: dict[int, bytes]  # file index -> payload (pad files excluded)


def single_file(root: Path, name: str, size: int) -> Media:
    content = root / f"content-{name}"
    content.mkdir()
    payload = os.urandom(size)
    (content / name).write_bytes(payload)
    return Media(make_torrent(content / name, PIECE), content, {0: payload})


def multi_file(root: Path, name: str, sizes: list[int], pad_files: bool = False) -> Media:
    """A directory torrent; without pad files every file after the first starts mid-piece."""
    content = root / f"content-{name}"
    folder = content / name
    folder.mkdir(parents=True)
    payloads = []
    for i, size in enumerate(sizes):
        data = os.urandom(size)
        (folder / f"part{i}.mkv").write_bytes(data)
        payloads.append(data)
    flags = lt.create_torrent.v1_only
    if pad_files:
        flags |= lt.create_torrent.canonical_files
    creator = lt.create_torrent(lt.list_files(str(folder)), PIECE, flags)
    lt.set_piece_hashes(creator, str(content))
    torrent = bytes(lt.bencode(creator.generate()))
    ti = lt.torrent_info(torrent)
    fs = ti.layout()
    files: dict[int, bytes] = {}
    for index in range(fs.num_files()):
        if fs.file_flags(index) & lt.file_storage.flag_pad_file:
            continue
        files[index] = payloads[int(Path(fs.file_path(index)).stem.removeprefix("part"))]
    return Media(torrent, content, files)


class Stack:
    """Seeder + engine + server; ``url(torrent, file)`` signs nothing, it just maps."""

    def __init__(self, seeder: LocalSeeder, engine: TorrentEngine, server: StreamServer,
                 table: dict[str, OpenFile]) -> None:
        self.seeder = seeder
        self.engine = engine
        self.server = server
        self.table = table

    async def add(self, media: Media, peer: bool = True) -> Torrent:
        await self.seeder.seed(media.torrent, media.content)
        peers = (self.seeder.endpoint,) if peer else ()
        torrent = await self.engine.add(TorrentSpec(torrent_bytes=media.torrent, peers=peers))
        await torrent.metadata()
        return torrent

    def url(self, torrent: Torrent, file_index: int) -> str:
        meta = torrent.meta
        assert meta is not None
        entry = meta.file(file_index)
        token = secrets.token_urlsafe(16)
        self.table[token] = OpenFile(torrent, file_index, entry.size,
                                     entry.path.rsplit("/", 1)[-1], "video/x-matroska")
        return f"{self.server.base_url}/stream/{token}"


@pytest.fixture
async def stack(tmp_path):
    seeder = LocalSeeder(tmp_path / "seeder")
    await seeder.start()
    engine = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                           isolated=True)
    await engine.start()
    table: dict[str, OpenFile] = {}

    async def resolve(token: str) -> OpenFile:
        try:
            return table[token]
        except KeyError:
            raise TokenError("unknown token") from None

    server = StreamServer(ServerSettings(port=0), resolve)
    await server.start()
    try:
        yield Stack(seeder, engine, server, table)
    finally:
        await server.stop()
        await asyncio.wait_for(engine.stop(), 10)
        await seeder.stop()


@pytest.fixture
async def http():
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


@dataclass
class PathCounts:
    disk: int = 0
    pieces: int = 0


@pytest.fixture
def counts(monkeypatch) -> PathCounts:
    """Counts the bytes each path sent; the real functions still do the work."""
    c = PathCounts()
    real_send = disk.send_file_range
    real_iter = FileReader.iter_range

    async def send_file_range(loop, transport, fobj, offset, count):  # type: ignore[no-untyped-def]
        c.disk += count
        await real_send(loop, transport, fobj, offset, count)

    async def iter_range(self, start, end, chunk=4 * MIB):  # type: ignore[no-untyped-def]
        async for part in real_iter(self, start, end, chunk):
            c.pieces += len(part)
            yield part

    monkeypatch.setattr(disk, "send_file_range", send_file_range)
    monkeypatch.setattr(FileReader, "iter_range", iter_range)
    return c


async def get(http: aiohttp.ClientSession, url: str, rng: str | None = None
              ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Range": rng} if rng else {}
    async with http.get(url, headers=headers) as r:
        return r.status, dict(r.headers), await r.read()


async def settle(torrent: Torrent, timeout: float = 5.0) -> None:
    """Wait until no reader is open and no piece is wanted (handlers run their finally)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while torrent.open_reader_count() or torrent.wanted_pieces():
        if loop.time() > deadline:
            pytest.fail(f"{torrent.open_reader_count()} readers still open, "
                        f"{len(torrent.wanted_pieces())} pieces still wanted")
        await asyncio.sleep(0.02)


async def until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail("condition not reached in time")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------- concurrency

async def test_two_concurrent_streams_same_and_different_torrents(stack, http, tmp_path):
    a = single_file(tmp_path, "a.mkv", 6 * MIB + 4321)
    b = single_file(tmp_path, "b.mkv", 5 * MIB + 999)
    # Slow enough that both streams really overlap while downloading.
    stack.seeder.set_upload_limit(8 * MIB)
    ta, tb = await stack.add(a), await stack.add(b)
    ua, ub = stack.url(ta, 0), stack.url(tb, 0)
    pa, pb = a.files[0], b.files[0]
    mid = len(pa) // 2 + 12345
    results = await asyncio.gather(
        get(http, ua),
        get(http, ua, f"bytes={mid}-"),
        get(http, ub),
        get(http, ub, "bytes=-700000"),
    )
    assert results[0][0] == 200 and results[0][2] == pa
    assert results[1][0] == 206 and results[1][2] == pa[mid:]
    assert results[2][0] == 200 and results[2][2] == pb
    assert results[3][0] == 206 and results[3][2] == pb[-700000:]
    for _, headers, _ in results:
        assert headers["Access-Control-Allow-Origin"] == "*"
    await settle(ta)
    await settle(tb)

    # Again once both are complete: now every byte comes from disk.
    stack.seeder.set_upload_limit(0)
    await asyncio.wait_for(asyncio.gather(ta.finished(), tb.finished()), 60)
    again = await asyncio.gather(get(http, ua), get(http, ub), get(http, ua, "bytes=5-70000"))
    assert again[0][2] == pa and again[1][2] == pb and again[2][2] == pa[5:70001]


async def test_seek_storm_on_a_throttled_download_is_byte_exact_and_leaks_nothing(
        stack, http, tmp_path, counts):
    media = single_file(tmp_path, "storm.mkv", 12 * MIB + 777)
    payload = media.files[0]
    size = len(payload)
    stack.seeder.set_upload_limit(3 * MIB)
    torrent = await stack.add(media)
    url = stack.url(torrent, 0)
    rnd = random.Random(5)
    sem = asyncio.Semaphore(4)
    exact = cancelled = 0

    async def one(i: int) -> None:
        nonlocal exact, cancelled
        start = rnd.randrange(size)
        end = min(size - 1, start + rnd.choice([1, 4 * KIB, 300 * KIB, 2 * MIB]))
        cancel = i % 3 == 0
        async with sem, http.get(url, headers={"Range": f"bytes={start}-{end}"}) as r:
            assert r.status == 206
            assert r.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
            if cancel:
                await r.content.read(1)  # a seek: the player drops the rest
                r.close()
                cancelled += 1
                return
            body = await r.read()
            assert body == payload[start:end + 1], f"range {start}-{end}"
            exact += 1

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(36))), 150)
    assert exact == 24 and cancelled == 12
    await settle(torrent)
    assert counts.pieces > 0  # the storm ran while pieces were missing
    # Once complete, the same storm is served from disk only.
    stack.seeder.set_upload_limit(0)
    await asyncio.wait_for(torrent.finished(), 60)
    before = counts.pieces
    status, _, body = await get(http, url, f"bytes={size - 100}-")
    assert status == 206 and body == payload[-100:]
    assert counts.pieces == before
    await settle(torrent)


async def test_client_disconnect_mid_range_releases_its_window(stack, http, tmp_path):
    media = single_file(tmp_path, "leave.mkv", 8 * MIB)
    stack.seeder.set_upload_limit(256 * KIB)  # the range cannot finish before we leave
    torrent = await stack.add(media)
    url = stack.url(torrent, 0)
    start = 5 * MIB
    async with http.get(url, headers={"Range": f"bytes={start}-"}) as r:
        assert r.status == 206
        first = await r.content.readexactly(1000)
        assert first == media.files[0][start:start + 1000]
        assert torrent.open_reader_count() == 1 and torrent.wanted_pieces()
        r.close()
    await settle(torrent)


async def test_torrent_removed_mid_send_ends_the_body_without_an_error_page(
        stack, http, tmp_path, caplog):
    media = single_file(tmp_path, "gone.mkv", 6 * MIB)
    stack.seeder.set_upload_limit(256 * KIB)
    torrent = await stack.add(media)
    url = stack.url(torrent, 0)
    with caplog.at_level(logging.INFO):
        async with http.get(url) as r:
            assert r.status == 200
            await r.content.readexactly(1000)
            await stack.engine.remove(torrent.info_hash)
            with pytest.raises(aiohttp.ClientPayloadError):
                await asyncio.wait_for(r.read(), 15)
    assert "Traceback" not in caplog.text
    assert not any(rec.levelno >= logging.ERROR for rec in caplog.records)
    assert torrent.open_reader_count() == 0


# --------------------------------------------------------------------- Range headers

async def raw_request(port: int, path: str, range_value: bytes | None,
                      method: bytes = b"GET") -> tuple[int, dict[str, str], bytes]:
    """One request over a raw socket, so header bytes go out exactly as written."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (method + b" " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:"
                + str(port).encode() + b"\r\nConnection: close\r\n")
        if range_value is not None:
            head += b"Range: " + range_value + b"\r\n"
        writer.write(head + b"\r\n")
        data = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    header_blob, _, body = data.partition(b"\r\n\r\n")
    lines = header_blob.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return status, headers, body


@pytest.mark.parametrize("complete", [False, True], ids=["downloading", "complete"])
async def test_odd_range_headers_get_206_416_or_200_never_500(stack, tmp_path, complete):
    media = single_file(tmp_path, "odd.mkv", 3 * MIB + 17)
    payload = media.files[0]
    size = len(payload)
    torrent = await stack.add(media)
    if complete:
        await asyncio.wait_for(torrent.finished(), 60)
    url = stack.url(torrent, 0)
    port = stack.server.port
    path = url.split(str(port), 1)[1]
    huge = b"9" * 300
    many = b",".join(b"%d-%d" % (i, i + 10) for i in range(1000, 100_000, 300))
    assert 3000 < len(many) < 8000  # under aiohttp's 8190-byte header line limit
    cases: list[tuple[bytes | None, int, tuple[int, int] | None]] = [
        (b"bytes=0-10,5-20", 206, (0, 10)),                 # overlapping: the first
        (b"bytes=100-199, 300-399", 206, (100, 199)),       # multi-range: the first
        (b"bytes=0-" + huge, 206, (0, size - 1)),           # huge end: clamped
        (b"bytes=-" + huge, 206, (0, size - 1)),            # huge suffix: everything
        (b"bytes=" + huge + b"-", 416, None),               # huge start: nothing there
        (b"bytes=%d-" % size, 416, None),
        (b"bytes=" + many, 206, (1000, 1010)),              # thousands of ranges
        (b"bytes=\xb2-", 200, None),                        # latin-1 superscript two
        (b"bytes=\xd9\xa3-", 200, None),                    # UTF-8 Arabic-Indic three
        (b"bytes=5-1", 200, None),
        (b"bytes=abc", 200, None),
        (b"lines=1-2", 200, None),
        (b"bytes=--1", 200, None),
        (b"", 200, None),
    ]
    for value, status, span in cases:
        got, headers, body = await raw_request(port, path, value)
        assert got == status, (value[:40] if value else value, got)
        if status == 416:
            assert headers["content-range"] == f"bytes */{size}"
        elif status == 206:
            assert span is not None
            a, b = span
            assert headers["content-range"] == f"bytes {a}-{b}/{size}"
            assert body == payload[a:b + 1]
            assert headers["access-control-allow-origin"] == "*"
        else:
            assert body == payload
    # Past aiohttp's header size limit the HTTP parser answers 400 before any handler.
    oversized = b"bytes=" + b",".join(b"%d-%d" % (i, i + 10) for i in range(0, 900_000, 300))
    got, _, _ = await raw_request(port, path, oversized)
    assert got == 400
    # HEAD never has a body, whatever the range.
    got, headers, body = await raw_request(port, path, b"bytes=10-20", b"HEAD")
    assert got == 206 and body == b"" and headers["content-length"] == "11"
    # A forged token is a bare 403: no CORS header, no detail.
    got, headers, body = await raw_request(port, "/stream/nope", b"bytes=0-1")
    assert got == 403 and "access-control-allow-origin" not in headers
    await settle(torrent)


# --------------------------------------------------------------------- sendfile vs pieces

async def test_complete_file_is_served_from_disk_only(stack, http, tmp_path, counts):
    media = single_file(tmp_path, "done.mkv", 4 * MIB + 5)
    payload = media.files[0]
    torrent = await stack.add(media)
    await asyncio.wait_for(torrent.finished(), 60)
    url = stack.url(torrent, 0)
    status, _, body = await get(http, url)
    assert status == 200 and body == payload
    for rng, (a, b) in {"bytes=0-0": (0, 0), "bytes=65535-65536": (65535, 65536),
                        "bytes=-5": (len(payload) - 5, len(payload) - 1)}.items():
        status, _, body = await get(http, url, rng)
        assert status == 206 and body == payload[a:b + 1], rng
    assert counts.pieces == 0 and counts.disk == len(payload) + 1 + 2 + 5
    # No deadline planning for a complete file.
    assert not torrent.wanted_pieces()
    await settle(torrent)


async def test_partial_file_mixes_disk_and_pieces_byte_exact(stack, http, tmp_path, counts):
    media = single_file(tmp_path, "half.mkv", 6 * MIB + 333)
    payload = media.files[0]
    stack.seeder.set_upload_limit(1 * MIB)
    torrent = await stack.add(media)
    reader = torrent.open_file(0)
    try:  # download two islands, then read across them while the rest trickles in
        assert await reader.read(0, 600 * KIB) == payload[:600 * KIB]
        assert await reader.read(3 * MIB, 400 * KIB) == payload[3 * MIB:3 * MIB + 400 * KIB]
    finally:
        reader.close()
    stack.seeder.set_upload_limit(4 * MIB)
    status, _, body = await get(http, stack.url(torrent, 0), "bytes=100-")
    assert status == 206 and body == payload[100:]
    assert counts.disk >= 900 * KIB and counts.pieces > 0
    assert counts.disk + counts.pieces == len(payload) - 100
    await settle(torrent)


@pytest.mark.parametrize("pad_files", [False, True], ids=["unaligned", "pad-files"])
async def test_multi_file_torrent_disk_and_piece_paths_agree(stack, http, tmp_path, counts,
                                                             pad_files):
    media = multi_file(tmp_path, "pack", [100_003, 1 * MIB + 3, 70_001, 2 * MIB + 5],
                       pad_files=pad_files)
    stack.seeder.set_upload_limit(2 * MIB)
    torrent = await stack.add(media)
    # While downloading: every file, whole and from a piece boundary that is not the
    # file's, through whatever mix of paths the moment gives.
    for index, data in media.files.items():
        url = stack.url(torrent, index)
        status, _, body = await get(http, url)
        assert status == 200 and body == data, index
        status, _, body = await get(http, url, f"bytes={len(data) // 3}-")
        assert status == 206 and body == data[len(data) // 3:], index
    before_pieces = counts.pieces
    assert before_pieces > 0
    stack.seeder.set_upload_limit(0)
    await asyncio.wait_for(torrent.finished(), 60)
    for index, data in media.files.items():
        url = stack.url(torrent, index)
        status, _, body = await get(http, url)
        assert status == 200 and body == data, index
        for start in (0, 1, PIECE - 1, len(data) - 2):
            end = min(len(data) - 1, start + PIECE + 1)
            status, _, body = await get(http, url, f"bytes={start}-{end}")
            assert status == 206 and body == data[start:end + 1], (index, start)
    assert counts.pieces == before_pieces  # complete: only the disk path
    await settle(torrent)


async def test_a_file_that_resolves_outside_the_save_path_is_not_read_directly(
        tmp_path, http, counts):
    """A symlink planted where the torrent's file should be: the fast path refuses it
    and the bytes still come, through libtorrent."""
    media = single_file(tmp_path, "linked.mkv", 1 * MIB + 11)
    downloads = tmp_path / "dl"
    downloads.mkdir()
    (downloads / "linked.mkv").symlink_to(media.content / "linked.mkv")
    engine = TorrentEngine(TorrentSettings(), downloads, tmp_path / "resume2", isolated=True)
    await engine.start()
    table: dict[str, OpenFile] = {}

    async def resolve(token: str) -> OpenFile:
        return table[token]

    server = StreamServer(ServerSettings(port=0), resolve)
    await server.start()
    try:
        torrent = await engine.add(TorrentSpec(torrent_bytes=media.torrent))
        await asyncio.wait_for(torrent.finished(), 60)
        assert torrent.disk_path(0) is None
        table["t"] = OpenFile(torrent, 0, len(media.files[0]), "linked.mkv", "video/x-matroska")
        status, _, body = await get(http, f"{server.base_url}/stream/t", "bytes=7-")
        assert status == 206 and body == media.files[0][7:]
        assert counts.disk == 0 and counts.pieces == len(media.files[0]) - 7
    finally:
        await server.stop()
        await asyncio.wait_for(engine.stop(), 10)
