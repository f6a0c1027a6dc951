"""Async reads of one file of a torrent while it downloads, steering the piece deadlines.

Each read first moves this reader's deadline window to the read position (so a seek
re-windows immediately), then awaits the pieces it covers: futures resolved by
piece_finished / read_piece alerts, never a polling loop. Bytes come from the
torrent's own storage through ``handle.read_piece``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent import priorities

if TYPE_CHECKING:
    from miauflix_desktop.services.torrent.torrent import FileEntry, Torrent, TorrentMeta

# Downloaded pieces past the one being served that iter_range asks the disk thread for
# ahead of time, so the next chunk is usually already in memory when the client asks.
PREFETCH_PIECES = 4


class FileReader:
    """Reads bytes of one file; ``close()`` gives its deadlines back."""

    def __init__(self, torrent: Torrent, entry: FileEntry, meta: TorrentMeta,
                 readahead: int, bytes_per_second: float | None = None) -> None:
        self.size = entry.size
        self.entry = entry
        self._torrent = torrent
        self._meta = meta
        self._readahead = readahead
        self._bytes_per_second = bytes_per_second
        self._window_piece: int | None = None
        self._closed = False

    @property
    def readahead(self) -> int:
        """Bytes ahead of the read position this reader keeps raised."""
        return self._readahead

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._torrent.drop_wants(self)

    def move_window(self, position: int) -> None:
        """Point this reader's deadlines at ``position`` (no-op within the same piece)."""
        if self._closed or self.size == 0:
            return
        position = min(max(position, 0), self.size - 1)
        piece = priorities.piece_of(self._meta.piece_length, self.entry.offset + position)
        if piece == self._window_piece:
            return
        self._window_piece = piece
        plan = priorities.plan(
            piece_length=self._meta.piece_length,
            file_offset=self.entry.offset,
            file_size=self.size,
            position=position,
            readahead=self._readahead,
            bytes_per_second=self._bytes_per_second,
        )
        self._torrent.set_wants(self, plan.as_dict(), plan.window)

    async def wait_piece(self, piece: int) -> None:
        await self._torrent.wait_piece(piece)

    async def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (fewer only at the end of the file)."""
        self._check(offset, length)
        if offset >= self.size or length == 0:
            return b""
        end = min(offset + length, self.size) - 1
        parts = [part async for part in self._pieces(offset, end)]
        return b"".join(parts)

    async def iter_range(
        self, start: int, end_inclusive: int, chunk: int = 4 * 1024 * 1024
    ) -> AsyncIterator[bytes]:
        """Bytes ``start..end_inclusive`` in chunks of at most ``chunk``, as they arrive.

        What is already downloaded goes out before waiting for a missing piece, so a
        client sees the first bytes after a seek as soon as the first piece lands.
        """
        self._check(start, 0)
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        if start >= self.size or end_inclusive < start:
            return
        end = min(end_inclusive, self.size - 1)
        buf: list[bytes] = []
        buffered = 0
        async for part, next_missing in self._pieces(start, end, report_waits=True):
            if next_missing and buf:
                yield b"".join(buf)
                buf, buffered = [], 0
            buf.append(part)
            buffered += len(part)
            while buffered >= chunk:
                data = b"".join(buf)
                yield data[:chunk]
                rest = data[chunk:]
                buf, buffered = ([rest] if rest else []), len(rest)
        if buf:
            yield b"".join(buf)

    # ------------------------------------------------------------------ internals

    def _check(self, offset: int, length: int) -> None:
        if self._closed:
            raise TorrentError("the file reader is closed")
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")

    async def _pieces(self, start: int, end: int, report_waits: bool = False
                      ) -> AsyncIterator:  # yields bytes, or (bytes, will_wait) pairs
        """Slices of the pieces covering file bytes start..end, in order."""
        piece_length = self._meta.piece_length
        base = self.entry.offset
        pos = start
        while pos <= end:
            if self._closed:
                raise TorrentError("the file reader was closed while reading")
            self.move_window(pos)
            piece = priorities.piece_of(piece_length, base + pos)
            will_wait = not self._torrent.has_piece(piece)
            for ahead in range(piece + 1, piece + 1 + PREFETCH_PIECES):
                if ahead * piece_length > base + end:
                    break
                self._torrent.prefetch(ahead)
            data = await self._torrent.read_piece(piece)
            piece_start = piece * piece_length
            lo = base + pos - piece_start
            hi = min(base + end - piece_start + 1, len(data))
            if hi <= lo:
                raise TorrentError(f"piece {piece} is shorter than the torrent says")
            part = data[lo:hi]
            pos += len(part)
            # Keep the window just ahead of what has been consumed so far.
            if pos < self.size:
                self.move_window(pos)
            yield (part, will_wait) if report_waits else part
