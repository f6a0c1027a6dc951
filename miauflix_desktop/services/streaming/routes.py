"""aiohttp handlers for GET/HEAD /stream/{token}: Range-aware bytes as pieces arrive.

Runs of pieces already on disk are sent from the file with sendfile (``disk.py``); only
missing pieces go through ``FileReader`` (deadlines at the read position, bytes from
libtorrent's ``read_piece``). A file that is complete costs no deadline planning at all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import BinaryIO

from aiohttp import web

from miauflix_desktop.core.errors import (
    RangeNotSatisfiable,
    StreamError,
    TokenError,
    TorrentError,
)
from miauflix_desktop.services.streaming import disk
from miauflix_desktop.services.streaming.ranges import parse_range
from miauflix_desktop.services.streaming.service import OpenFile
from miauflix_desktop.services.streaming.tokens import expiry_of
from miauflix_desktop.services.torrent.reader import FileReader

log = logging.getLogger(__name__)

Resolver = Callable[[str], Awaitable[OpenFile]]

# A chunk this size amortises per-write overhead (4 MiB measured 3x faster than 256 KiB,
# see PLATFORM_NOTES) while staying well below one piece-window of readahead.
CHUNK = 4 * 1024 * 1024

# While the torrent is still downloading, a long on-disk run is sent in slices this
# big, moving the reader's deadline window along between them, so the pieces after the
# run are on their way before the player gets there.
DISK_SLICE = 16 * 1024 * 1024

# A player sends a Range request per seek and mpv/TVs reopen often; resolving a token
# costs an HMAC check plus a database read in a worker thread. A resolved token is
# reused for this long, so a source that is removed is noticed within this many seconds
# (a removed torrent at once, an expired token at its expiry: see ResolveCache).
RESOLVE_TTL_S = 2.0
RESOLVE_CACHE_SIZE = 64

RESOLVER_KEY: web.AppKey[Resolver] = web.AppKey("resolver", Resolver)  # type: ignore[arg-type]


class ResolveCache:
    """Remembers what a token resolved to for RESOLVE_TTL_S seconds."""

    def __init__(self, resolver: Resolver, ttl: float = RESOLVE_TTL_S,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self._resolver = resolver
        self._ttl = ttl
        self._clock = clock
        self._wall_clock = wall_clock
        # token -> (reuse until (monotonic), token expiry (epoch s), what it resolved to)
        self._entries: OrderedDict[str, tuple[float, float, OpenFile]] = OrderedDict()

    async def __call__(self, token: str) -> OpenFile:
        hit = self._entries.get(token)
        now = self._clock()
        if hit is not None:
            reuse_until, token_expires, opened = hit
            if (reuse_until > now and self._wall_clock() < token_expires
                    and not opened.torrent.failed):
                return opened
            del self._entries[token]
        opened = await self._resolver(token)
        # The resolver verified the token; its stated expiry bounds the reuse, so a
        # cached token is refused from the second it expires, like an uncached one.
        token_expires = expiry_of(token)
        if token_expires is None:
            return opened
        self._entries[token] = (now + self._ttl, float(token_expires), opened)
        while len(self._entries) > RESOLVE_CACHE_SIZE:
            self._entries.popitem(last=False)
        return opened


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, headers=headers)


async def stream(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    resolver = request.app[RESOLVER_KEY]
    try:
        opened = await resolver(token)
    except TokenError as exc:
        # Why it failed (expired, forged) goes to the log only: no oracle for attackers.
        log.info("stream token refused from %s: %s", request.remote, exc)
        return _plain(403, "Forbidden")
    except StreamError as exc:
        log.warning("stream could not be opened: %s", exc)
        return _plain(503, "Stream unavailable", {"Retry-After": "5"})

    size = opened.size
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Type": opened.content_type,
        # Stream bytes are the one thing a TV's web page may fetch cross-origin.
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "no-store",
    }
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{size}"
        return web.Response(status=416, headers=headers)

    if byte_range is None:
        status, start, end = 200, 0, size - 1
    else:
        status, start, end = 206, byte_range.start, byte_range.end
        headers["Content-Range"] = byte_range.content_range()
    length = max(0, end - start + 1)
    headers["Content-Length"] = str(length)

    response = web.StreamResponse(status=status, headers=headers)
    if request.method == "HEAD" or length == 0:
        await response.prepare(request)
        await response.write_eof()
        return response

    # Opened even when every byte comes from disk: an open reader is what tells the
    # cache that this torrent is being played (TorrentEngine.is_streaming).
    reader = opened.reader()
    sender = _Sender(request, response, opened, reader)
    try:
        await response.prepare(request)
        await sender.send(start, end)
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        # Players close connections on every seek; that is normal, not an error.
        log.debug("client went away during %s-%s", start, end)
    except TorrentError as exc:
        # The torrent went away mid-stream (removed, engine stopping): the headers are
        # sent, so the only honest signal left is a short body and a closed connection
        # (kept open, the client would wait for the rest forever); the player retries.
        log.info("stream of %s ended early: %s", opened.name, exc)
        _close(request)
    except OSError as exc:
        # The file on disk failed under us (I/O error, removed and truncated): same.
        log.warning("stream of %s ended early: %s", opened.name, exc)
        _close(request)
    finally:
        reader.close()
        sender.close()
    return response


def _close(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.close()


class _Sender:
    """Sends one response body, switching between disk runs and the piece path."""

    def __init__(self, request: web.Request, response: web.StreamResponse,
                 opened: OpenFile, reader: FileReader) -> None:
        self._request = request
        self._response = response
        self._torrent = opened.torrent
        self._reader = reader
        self._entry = reader.entry
        self._file_index = opened.file_index
        self._file: BinaryIO | None = None
        self._disk_ok = True  # False after the file could not be opened: pieces only

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    async def send(self, start: int, end: int) -> None:
        meta = self._torrent.meta
        if meta is None:  # cannot happen for an OpenFile; keep the old path if it does
            await self._send_pieces(start, end)
            return
        pos = start
        while pos <= end:
            if self._torrent.failed:
                raise TorrentError("the torrent was removed")
            run = disk.next_run(meta.piece_length, self._entry.offset, pos, end,
                                self._torrent.disk_run)
            if run.on_disk and self._open_file() and self._long_enough(run.end + 1):
                await self._send_disk(run.start, run.end)
            else:
                await self._send_pieces(run.start, run.end)
            pos = run.end + 1

    def _open_file(self) -> bool:
        if not self._disk_ok:
            return False
        if self._file is None:
            path = self._torrent.disk_path(self._file_index)
            self._file = disk.open_for_sending(path, 0) if path else None
            if self._file is None:
                log.info("serving %s through libtorrent: its file cannot be read directly",
                         self._entry.path)
                self._disk_ok = False
                return False
        return True

    def _long_enough(self, size: int) -> bool:
        # libtorrent may not have extended a sparse file that far yet.
        assert self._file is not None
        try:
            return os.fstat(self._file.fileno()).st_size >= size
        except OSError:
            return False

    async def _send_disk(self, start: int, end: int) -> None:
        assert self._file is not None
        transport = self._request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("client went away")
        loop = asyncio.get_running_loop()
        complete = self._all_on_disk()
        pos = start
        while pos <= end:
            count = end - pos + 1
            if not complete:
                # Keep downloading ahead of the player while it reads what is here.
                self._reader.move_window(pos)
                count = min(count, DISK_SLICE)
            await disk.send_file_range(loop, transport, self._file, pos, count)  # type: ignore[arg-type]
            pos += count

    def _all_on_disk(self) -> bool:
        meta = self._torrent.meta
        if meta is None or self._entry.size == 0:
            return False
        first = self._entry.offset // meta.piece_length
        last = (self._entry.offset + self._entry.size - 1) // meta.piece_length
        return self._torrent.disk_run(first, last) == last

    async def _send_pieces(self, start: int, end: int) -> None:
        async for chunk in self._reader.iter_range(start, end, CHUNK):
            await self._response.write(chunk)


def add_stream_routes(app: web.Application, resolver: Resolver) -> None:
    app[RESOLVER_KEY] = ResolveCache(resolver)
    app.router.add_get("/stream/{token}", stream, allow_head=True)
