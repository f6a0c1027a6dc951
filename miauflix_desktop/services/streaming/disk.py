"""The fast path of the stream server: byte runs of downloaded pieces sent from the file.

A torrent's verified pieces are plain bytes in its file on disk (libtorrent 2 writes
through mmap, so they are in the page cache). Runs of such pieces go to the client with
``loop.sendfile`` (the kernel copies file to socket, as nginx does); only the missing
pieces still go through ``FileReader`` and libtorrent's ``read_piece``. ``next_run``
is the pure part: which run starts at a position, from the disk state of its pieces.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from miauflix_desktop.services.torrent import priorities

# O_NOFOLLOW: the last path component must not be a symlink planted after the check in
# Torrent.disk_path (where it exists: not on Windows).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Run:
    """Bytes ``start..end`` (inclusive, file offsets) all on disk, or not."""

    on_disk: bool
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def next_run(piece_length: int, file_offset: int, position: int, end: int,
             disk_run: Callable[[int, int], int]) -> Run:
    """The run of the file's bytes starting at ``position`` (<= ``end``).

    ``disk_run(first, last)`` gives the last piece of the on-disk run starting at
    ``first`` (``first - 1`` when ``first`` is missing). A missing run is one piece long:
    after it the next piece may have arrived, so the caller asks again.
    """
    first = priorities.piece_of(piece_length, file_offset + position)
    last = priorities.piece_of(piece_length, file_offset + end)
    run_last = disk_run(first, last)
    if run_last >= first:
        stop = min(end, (run_last + 1) * piece_length - file_offset - 1)
        return Run(True, position, stop)
    stop = min(end, (first + 1) * piece_length - file_offset - 1)
    return Run(False, position, stop)


def open_for_sending(path: str, needed_size: int) -> BinaryIO | None:
    """The file opened for reading, or None when it is not there or is shorter than
    ``needed_size`` (a sparse file libtorrent has not extended yet)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size < needed_size:
            os.close(fd)
            return None
        return os.fdopen(fd, "rb", buffering=0)
    except OSError:
        os.close(fd)
        return None


async def send_file_range(loop: asyncio.AbstractEventLoop, transport: asyncio.Transport,
                          fobj: BinaryIO, offset: int, count: int) -> None:
    """``count`` bytes of the file at ``offset`` to the socket, by sendfile where the loop
    can (asyncio falls back to read + write where it cannot).

    OSError when the file ends early (truncated under us): asyncio stops quietly at EOF,
    and a body shorter than its Content-Length on a kept-alive connection would leave
    the client waiting for the rest.
    """
    sent = 0
    while sent < count:
        n = _sendfile_now(transport, fobj, offset + sent, count - sent)
        sent += n
        if sent >= count:
            break
        if n == SYNC_BYTES:
            # The socket keeps up: let other tasks run, then copy on.
            await asyncio.sleep(0)
            continue
        # The socket is full (or cannot be used directly): loop.sendfile waits until it
        # drains and then copies the rest itself, a socket buffer per writable event
        # (non-blocking: the loop never copies more than the buffer takes at once).
        part = count - sent
        n = await loop.sendfile(transport, fobj, offset + sent, part)
        sent += n
        if n < part:
            break
    if sent != count:
        raise OSError(f"file ended after {sent} of {count} bytes at offset {offset}")


def _sendfile_now(transport: asyncio.Transport, fobj: BinaryIO, offset: int,
                  count: int) -> int:
    """As much as the socket takes right now, straight from the loop thread.

    loop.sendfile pauses reading, waits on a future and registers a writer for every
    call: ~0.2 ms per request, as much as copying a 1 MiB range. Most ranges fit in the
    socket buffer, so one non-blocking os.sendfile sends them; the rest (a full buffer)
    goes through loop.sendfile, which waits for the socket. Only while the transport
    has nothing buffered of its own (else bytes would be reordered), and at most
    SYNC_BYTES: on a fast socket the loop would otherwise copy a whole film without
    returning, and in the app that loop is the GUI thread's.
    """
    sock = transport.get_extra_info("socket")
    if (_SENDFILE is None or sock is None or transport.is_closing()
            or transport.get_write_buffer_size()):
        return 0
    sent = 0
    count = min(count, SYNC_BYTES)
    while sent < count:
        try:
            n = _SENDFILE(sock.fileno(), fobj.fileno(), offset + sent, count - sent)
        except (BlockingIOError, InterruptedError):
            break
        if n == 0:  # end of file: the caller reports the short count
            break
        sent += n
    return sent


_SENDFILE = getattr(os, "sendfile", None)

# The most _sendfile_now copies in one go: ~1-2 ms of the loop at loopback speeds,
# and more than a player's usual range request.
SYNC_BYTES = 4 * 1024 * 1024
