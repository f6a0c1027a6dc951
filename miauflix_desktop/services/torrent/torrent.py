"""One torrent in the engine: awaitable milestones, piece reads and merged deadlines.

Everything here runs on the asyncio loop thread. The engine routes this torrent's
events to ``handle_event``; waiters are futures resolved by those events, never by
polling. Each open FileReader states the deadlines it wants; the torrent merges them
(earliest wins) and applies only the difference to libtorrent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libtorrent as lt

from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent import events as ev
from miauflix_desktop.services.torrent import priorities

if TYPE_CHECKING:
    from miauflix_desktop.services.torrent.reader import FileReader

log = logging.getLogger(__name__)

# Keeps the last pieces read in memory: players read in 64 KiB-4 MiB requests, so many
# reads land in one piece and should not each ask the disk thread for the whole piece.
PIECE_CACHE_BYTES = 32 * 1024 * 1024

# Pieces kept at least, whatever their size, so a read spanning two big pieces and the
# prefetched next one all fit.
PIECE_CACHE_MIN_PIECES = 4


@dataclass(frozen=True)
class FileEntry:
    """A file of the torrent; ``offset`` is where it starts in the torrent's byte stream."""

    index: int  # libtorrent's file index (pad files are skipped but keep their index)
    path: str
    size: int
    offset: int


@dataclass(frozen=True)
class TorrentMeta:
    name: str
    piece_length: int
    num_pieces: int
    files: tuple[FileEntry, ...]
    total_size: int = 0

    def piece_size(self, piece: int) -> int:
        """Bytes in a piece (the last one is usually shorter)."""
        if piece == self.num_pieces - 1:
            return self.total_size - piece * self.piece_length
        return self.piece_length

    def file(self, index: int) -> FileEntry:
        for entry in self.files:
            if entry.index == index:
                return entry
        raise TorrentError(f"torrent {self.name!r} has no file with index {index}")


def meta_from_info(ti: lt.torrent_info) -> TorrentMeta:
    fs = ti.layout()
    files = tuple(
        FileEntry(index=i, path=fs.file_path(i), size=fs.file_size(i), offset=fs.file_offset(i))
        for i in range(fs.num_files())
        if not fs.file_flags(i) & lt.file_storage.flag_pad_file
    )
    return TorrentMeta(
        name=ti.name(),
        piece_length=ti.piece_length(),
        num_pieces=ti.num_pieces(),
        files=files,
        total_size=ti.total_size(),
    )


def downloaded_ranges(meta: TorrentMeta, entry: FileEntry,
                      have: list[bool]) -> list[tuple[int, int]]:
    """The downloaded byte ranges of one file, as sorted, merged [start, end) offsets
    within the file, from the torrent's piece map (``have[piece]``)."""
    if entry.size <= 0 or meta.piece_length <= 0:
        return []
    first = entry.offset // meta.piece_length
    last = (entry.offset + entry.size - 1) // meta.piece_length
    ranges: list[tuple[int, int]] = []
    for piece in range(first, last + 1):
        if piece >= len(have) or not have[piece]:
            continue
        start = max(piece * meta.piece_length - entry.offset, 0)
        end = min((piece + 1) * meta.piece_length - entry.offset, entry.size)
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def _consume_exception(fut: asyncio.Future[object]) -> None:
    # Prefetches nobody awaits may fail (torrent removed); that is not worth a warning.
    if not fut.cancelled():
        fut.exception()


class Torrent:
    """The app's view of one libtorrent torrent."""

    def __init__(self, handle: lt.torrent_handle, info_hash: str, readahead_bytes: int) -> None:
        self.info_hash = info_hash
        self._handle = handle
        self._readahead = readahead_bytes
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._meta: TorrentMeta | None = None
        self._meta_future: asyncio.Future[TorrentMeta] = loop.create_future()
        self._meta_future.add_done_callback(_consume_exception)
        self._have: set[int] = set()
        self._piece_waiters: dict[int, asyncio.Future[None]] = {}
        self._reads: dict[int, asyncio.Future[bytes]] = {}
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cache_bytes = 0
        self._status = ev.TorrentStatus()
        self._wants: dict[int, dict[int, int]] = {}  # reader id -> {piece: deadline ms}
        self._windows: dict[int, tuple[int, ...]] = {}  # reader id -> raised pieces
        self._applied: set[int] = set()
        self._raised: set[int] = set()
        self._failure: TorrentError | None = None
        self._resume_future: asyncio.Future[bytes | None] | None = None
        self._removed: asyncio.Future[None] = loop.create_future()
        self._deleted: asyncio.Future[str | None] = loop.create_future()
        self._finished: asyncio.Future[None] = loop.create_future()
        self._readers: set[FileReader] = set()
        if handle.torrent_file() is not None:
            self._on_metadata()

    # ----------------------------------------------------------------- public API

    @property
    def handle(self) -> lt.torrent_handle:
        return self._handle

    async def metadata(self) -> TorrentMeta:
        """Name, pieces and files; waits for a magnet link's metadata to arrive."""
        return await asyncio.shield(self._meta_future)

    @property
    def meta(self) -> TorrentMeta | None:
        """Metadata if already known (None for a magnet still fetching it)."""
        return self._meta

    def status(self) -> ev.TorrentStatus:
        """The last snapshot posted by the engine's status updates."""
        return self._status

    def has_piece(self, piece: int) -> bool:
        return piece in self._have

    def have_pieces(self) -> list[bool]:
        """Which pieces are downloaded, indexed by piece (empty before the metadata).

        One libtorrent status query (query_pieces), cheap enough to poll a few times a
        second; falls back to the pieces this object saw finish.
        """
        if self._meta is None:
            return []
        seen = [p in self._have for p in range(self._meta.num_pieces)]
        if not self._handle.is_valid():
            return seen
        try:
            pieces = list(self._handle.status(lt.torrent_handle.query_pieces).pieces)
        except RuntimeError:  # the handle went away between the check and the call
            return seen
        return pieces if len(pieces) == self._meta.num_pieces else seen

    async def finished(self) -> None:
        """Completes when every wanted piece is downloaded."""
        await asyncio.shield(self._finished)

    async def wait_piece(self, piece: int) -> None:
        """Completes once the piece is downloaded and verified."""
        if piece in self._have:
            return
        self._raise_if_failed()
        fut = self._piece_waiters.get(piece)
        if fut is None:
            fut = self._loop.create_future()
            fut.add_done_callback(_consume_exception)
            self._piece_waiters[piece] = fut
            # The future exists before we ask, so a piece finishing right after this
            # check still resolves it through its piece_finished event.
            if self._handle.have_piece(piece):
                self._mark_have(piece)
                return
        await asyncio.shield(fut)

    async def read_piece(self, piece: int) -> bytes:
        """The piece's bytes, read back from this torrent's own storage."""
        cached = self._cache.get(piece)
        if cached is not None:
            self._cache.move_to_end(piece)
            return cached
        await self.wait_piece(piece)
        return await asyncio.shield(self._start_read(piece))

    def prefetch(self, piece: int) -> None:
        """Start reading a downloaded piece into the cache without waiting for it."""
        if piece in self._have and piece not in self._cache:
            self._start_read(piece)

    def open_file(self, file_index: int) -> FileReader:
        """A reader for one file; the torrent's metadata must be known already."""
        from miauflix_desktop.services.torrent.reader import FileReader

        if self._meta is None:
            raise TorrentError("metadata is not known yet; await torrent.metadata() first")
        self._raise_if_failed()
        reader = FileReader(self, self._meta.file(file_index), self._meta, self._readahead)
        self._readers.add(reader)
        return reader

    # ------------------------------------------------------- used by readers/engine

    def set_wants(self, reader: FileReader, wants: dict[int, int],
                  window: tuple[int, ...] = ()) -> None:
        self._wants[id(reader)] = wants
        self._windows[id(reader)] = window
        self._apply_deadlines()

    def drop_wants(self, reader: FileReader) -> None:
        self._readers.discard(reader)
        self._windows.pop(id(reader), None)
        if self._wants.pop(id(reader), None) is not None:
            self._apply_deadlines()

    def request_resume_data(self) -> asyncio.Future[bytes | None]:
        """Ask libtorrent for resume data; the future gets bytes, or None on failure."""
        if self._resume_future is None or self._resume_future.done():
            self._resume_future = self._loop.create_future()
            self._handle.save_resume_data(
                lt.save_resume_flags_t.save_info_dict | lt.save_resume_flags_t.flush_disk_cache
            )
        return self._resume_future

    def removed_future(self) -> asyncio.Future[None]:
        return self._removed

    def deleted_future(self) -> asyncio.Future[str | None]:
        return self._deleted

    def fail(self, error: TorrentError) -> None:
        """Wake every waiter with an error (torrent removed, engine stopped, disk error)."""
        self._failure = error
        self._fail_waiters(error)
        if not self._meta_future.done():
            self._meta_future.set_exception(error)
        if self._resume_future is not None and not self._resume_future.done():
            self._resume_future.set_result(None)
        for reader in list(self._readers):
            reader.close()

    def resync(self) -> None:
        """Re-check waiters against libtorrent (after checking, or lost alerts)."""
        if self._meta is None and self._handle.is_valid() and self._handle.torrent_file():
            self._on_metadata()
        for piece in list(self._piece_waiters):
            if self._handle.have_piece(piece):
                self._mark_have(piece)
        self._apply_deadlines()

    def handle_event(self, event: ev.Event) -> None:
        match event:
            case ev.PieceFinished(piece=piece):
                self._mark_have(piece)
            case ev.PieceRead(piece=piece, data=data, error=error):
                self._on_piece_read(piece, data, error)
            case ev.StatusUpdated(status=status):
                self._status = status
            case ev.MetadataReceived():
                self._on_metadata()
            case ev.TorrentChecked():
                self.resync()
            case ev.TorrentFinished():
                if not self._finished.done():
                    self._finished.set_result(None)
            case ev.ResumeDataSaved(data=data):
                if self._resume_future is not None and not self._resume_future.done():
                    self._resume_future.set_result(data)
            case ev.ResumeDataFailed(message=message):
                log.warning("resume data for %s not saved: %s", self.info_hash, message)
                if self._resume_future is not None and not self._resume_future.done():
                    self._resume_future.set_result(None)
            case ev.TorrentRemoved():
                if not self._removed.done():
                    self._removed.set_result(None)
            case ev.FilesDeleted(message=message):
                if not self._deleted.done():
                    self._deleted.set_result(message)
            case ev.MetadataFailed(message=message):
                log.warning("metadata of %s rejected: %s", self.info_hash, message)
            case ev.HashFailed(piece=piece):
                log.warning("piece %d of %s failed its hash check; fetching it again",
                            piece, self.info_hash)
            case ev.TorrentFailed(message=message):
                log.error("torrent %s failed: %s", self.info_hash, message)
                self._fail_waiters(TorrentError(f"torrent error: {message}"))
            case _:
                pass

    # ------------------------------------------------------------------ internals

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _on_metadata(self) -> None:
        if self._meta is not None:
            return
        ti = self._handle.torrent_file()
        if ti is None:
            return
        self._meta = meta_from_info(ti)
        if not self._meta_future.done():
            self._meta_future.set_result(self._meta)

    def _mark_have(self, piece: int) -> None:
        self._have.add(piece)
        fut = self._piece_waiters.pop(piece, None)
        if fut is not None and not fut.done():
            fut.set_result(None)
        if piece in self._applied:
            # libtorrent drops a piece's deadline once it has it; forget it here too.
            self._applied.discard(piece)

    def _start_read(self, piece: int) -> asyncio.Future[bytes]:
        fut = self._reads.get(piece)
        if fut is None:
            fut = self._loop.create_future()
            fut.add_done_callback(_consume_exception)
            self._reads[piece] = fut
            self._handle.read_piece(piece)
        return fut

    def _on_piece_read(self, piece: int, data: bytes | None, error: str | None) -> None:
        fut = self._reads.pop(piece, None)
        if data is not None:
            self._cache_put(piece, data)
            if fut is not None and not fut.done():
                fut.set_result(data)
        elif fut is not None and not fut.done():
            log.warning("reading piece %d of %s failed: %s", piece, self.info_hash, error)
            fut.set_exception(TorrentError(f"cannot read piece {piece}: {error}"))

    def _cache_put(self, piece: int, data: bytes) -> None:
        if piece in self._cache:
            self._cache.move_to_end(piece)
            return
        self._cache[piece] = data
        self._cache_bytes += len(data)
        while (
            len(self._cache) > PIECE_CACHE_MIN_PIECES and self._cache_bytes > PIECE_CACHE_BYTES
        ):
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= len(old)

    def _fail_waiters(self, error: TorrentError) -> None:
        for fut in list(self._piece_waiters.values()) + list(self._reads.values()):
            if not fut.done():
                fut.set_exception(error)
        self._piece_waiters.clear()
        self._reads.clear()

    def _apply_deadlines(self) -> None:
        """Merge all readers' wants and tell libtorrent only what changed."""
        if self._meta is None or not self._handle.is_valid():
            return
        merged: dict[int, int] = {}
        for wants in self._wants.values():
            for piece, deadline in wants.items():
                if piece in self._have:
                    continue
                if deadline < merged.get(piece, deadline + 1):
                    merged[piece] = deadline
        raised = {p for w in self._windows.values() for p in w
                  if p not in self._have and p not in merged}
        for piece in self._applied - merged.keys():
            self._handle.reset_piece_deadline(piece)
        # reset_piece_deadline leaves libtorrent's top priority on the piece; put
        # pieces that left every window back to normal so they stop competing.
        for piece in (self._applied - merged.keys() - raised) | (self._raised - raised
                                                                   - merged.keys()):
            if piece not in self._have:
                self._handle.piece_priority(piece, priorities.DEFAULT_PRIORITY)
        for piece in raised - self._raised:
            self._handle.piece_priority(piece, priorities.WINDOW_PRIORITY)
        self._raised = raised
        # Deadlines are relative to "now", so re-setting the whole window each time the
        # reader moves keeps the nearest pieces the most urgent.
        for piece, deadline in sorted(merged.items(), key=lambda kv: kv[1]):
            self._handle.set_piece_deadline(piece, deadline)
        self._applied = set(merged)
