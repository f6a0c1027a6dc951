"""One torrent in the engine: awaitable milestones, piece reads, merged deadlines, and
which verified pieces are written to its files (for the stream server's sendfile path).

Everything here runs on the asyncio loop thread. The engine routes this torrent's
events to ``handle_event``; waiters are futures resolved by those events, never by
polling. Each open FileReader states the deadlines it wants; the torrent merges them
(earliest wins) and applies only the difference to libtorrent.
"""

from __future__ import annotations

import asyncio
import logging
import os
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


# How often on_disk may re-read libtorrent's piece map for pieces that were verified
# but not yet known to be written (see Torrent.on_disk).
WRITTEN_POLL_S = 0.05

# How long "this file is wanted (priority > 0)" is trusted before asking libtorrent
# again: a file set to priority 0 while it streams is served from disk at most this long.
WANTED_TTL_S = 1.0


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
        # How often a given-up deadline made libtorrent cancel outstanding requests
        # (see _apply_deadlines_now); tests and benchmarks read it.
        self.seek_cancels = 0
        self._failure: TorrentError | None = None
        self._resume_future: asyncio.Future[bytes | None] | None = None
        self._removed: asyncio.Future[None] = loop.create_future()
        self._deleted: asyncio.Future[str | None] = loop.create_future()
        self._finished: asyncio.Future[None] = loop.create_future()
        self._readers: set[FileReader] = set()
        self._bitrates: dict[int, float] = {}  # file index -> bytes/s (set_bitrate)
        # Pieces libtorrent's picker counts as "have": every block written to storage, so
        # any reader of the file (sendfile) sees the bytes. piece_finished alone is not
        # enough: it can come while the last blocks are still in the write queue.
        self._written: set[int] = set()
        self._all_written = False
        self._bulk_checked = False  # the piece map was read once since the last finish
        self._last_written_poll = -WRITTEN_POLL_S
        self._disk_paths: dict[int, str | None] = {}
        self._wanted_until: dict[int, float] = {}  # file index -> loop time
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

    def open_reader_count(self) -> int:
        """How many FileReaders are open (each HTTP response being sent holds one)."""
        return len(self._readers)

    def wanted_pieces(self) -> set[int]:
        """Pieces some open reader currently wants by a deadline or in its window."""
        wanted = {p for wants in self._wants.values() for p in wants}
        return wanted | {p for window in self._windows.values() for p in window}

    @property
    def failed(self) -> bool:
        """True once the torrent was removed or failed: every read would raise."""
        return self._failure is not None

    def on_disk(self, piece: int) -> bool:
        """True when the piece is verified *and* written to the file on disk, so its bytes
        can be read from the file directly (``disk_path``) instead of ``read_piece``.

        Answers from memory once known; otherwise asks libtorrent once per piece (its
        ``have_piece`` means every block is written), or once for the whole torrent
        after it finished.
        """
        if self._all_written or piece in self._written:
            return True
        if self._failure is not None or self._meta is None:
            return False
        if not (0 <= piece < self._meta.num_pieces):
            return False
        if self._finished.done() and not self._bulk_checked:
            self._bulk_checked = True
            self._refresh_written()
            if self._all_written or piece in self._written:
                return True
        if piece not in self._have:
            # Not even verified as far as the alerts told us: the reader path waits for it.
            return False
        # Verified but maybe not all written yet: ask libtorrent for the whole piece map,
        # at most every WRITTEN_POLL_S (a synchronous call into its network thread; one
        # per piece would stall the loop while a download runs). Until then this piece
        # goes the read_piece way, which serves it from libtorrent's write buffer.
        now = self._loop.time()
        if now - self._last_written_poll < WRITTEN_POLL_S:
            return False
        self._last_written_poll = now
        self._refresh_written()
        return self._all_written or piece in self._written

    def disk_run(self, first: int, last: int) -> int:
        """The last piece of the run ``first..last`` that is all ``on_disk`` (first - 1
        when ``first`` itself is not)."""
        if self._all_written:
            return last
        piece = first
        while piece <= last and self.on_disk(piece):
            piece += 1
        return piece - 1

    def disk_path(self, file_index: int) -> str | None:
        """Where a file of this torrent is on disk, or None when it must not be read
        directly.

        The path comes only from the torrent's own metadata and save path (never from a
        request) and must stay inside the save path once symlinks are resolved. Files
        marked as symlinks (BEP 47), pad files and files libtorrent does not download
        (their edge bytes live in a ``.parts`` file, not in the file) are refused.
        """
        if file_index in self._disk_paths:
            path = self._disk_paths[file_index]
            if path is None or self._wanted(file_index):
                return path
            return None
        if self._meta is None or self._failure is not None or not self._handle.is_valid():
            return None
        try:
            ti = self._handle.torrent_file()
            # All status fields (the bindings lack query_save_path); once per file.
            save_path = self._handle.status().save_path
        except RuntimeError:
            return None
        if ti is None or not save_path:
            return None
        fs = ti.layout()
        if not 0 <= file_index < fs.num_files():
            return None
        path: str | None = None
        flags = fs.file_flags(file_index)
        if not flags & (lt.file_storage.flag_symlink | lt.file_storage.flag_pad_file):
            rel = fs.file_path(file_index)
            root = os.path.realpath(save_path)
            candidate = os.path.realpath(os.path.join(root, rel))
            if not os.path.isabs(rel) and candidate.startswith(root + os.sep):
                path = candidate
            else:
                log.warning("file %d of %s resolves outside its save path; not serving it "
                            "from disk", file_index, self.info_hash)
        self._disk_paths[file_index] = path
        if path is not None and not self._wanted(file_index):
            return None
        return path

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
            try:
                have = self._handle.have_piece(piece)
            except RuntimeError as exc:
                # Removed from the session, before the engine called fail(): a reader
                # must see a TorrentError (short body), not a crash of the handler.
                self._piece_waiters.pop(piece, None)
                raise TorrentError("the torrent was removed") from exc
            if have:
                self._written.add(piece)
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
        bitrate = self._bitrates.get(file_index)
        reader = FileReader(self, self._meta.file(file_index), self._meta,
                            priorities.readahead_for(bitrate, self._readahead), bitrate)
        self._readers.add(reader)
        return reader

    def set_bitrate(self, file_index: int, bytes_per_second: float) -> None:
        """The average bitrate of a file (size / duration, from the catalog): readers
        opened from now on size their window and deadlines from it."""
        if bytes_per_second > 0:
            self._bitrates[file_index] = bytes_per_second

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
                # A (re)check may have found pieces missing that were on disk before.
                self._written.clear()
                self._all_written = False
                self._bulk_checked = False
                self.resync()
            case ev.TorrentFinished():
                self._bulk_checked = False
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

    def _refresh_written(self) -> None:
        """After torrent_finished: one piece-map query instead of one call per piece."""
        if self._all_written or self._meta is None or not self._handle.is_valid():
            return
        try:
            pieces = list(self._handle.status(lt.torrent_handle.query_pieces).pieces)
        except RuntimeError:
            return
        if len(pieces) != self._meta.num_pieces:
            return
        written = {i for i, have in enumerate(pieces) if have}
        self._written |= written
        # Written implies verified; a torrent checked complete at add() never sent
        # piece_finished for these.
        for piece in written - self._have:
            self._mark_have(piece)
        self._all_written = len(self._written) == self._meta.num_pieces

    def _wanted(self, file_index: int) -> bool:
        """A file with priority 0 keeps the bytes of pieces it shares in a part file.

        The answer is a synchronous call into libtorrent (~0.2 ms under load, as much
        as the sendfile of a 1 MiB range), so a "yes" is trusted for WANTED_TTL_S.
        """
        now = self._loop.time()
        if self._wanted_until.get(file_index, 0.0) > now:
            return True
        try:
            wanted = bool(self._handle.file_priority(file_index))
        except RuntimeError:
            return False
        if wanted:
            self._wanted_until[file_index] = now + WANTED_TTL_S
        return wanted

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
            try:
                self._handle.read_piece(piece)
            except RuntimeError:  # removed meanwhile (see wait_piece)
                self._reads.pop(piece, None)
                fut.set_exception(TorrentError("the torrent was removed"))
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
        try:
            self._apply_deadlines_now()
        except RuntimeError:
            # The handle went away between the check and a call (torrent removed): the
            # engine fails this torrent next; nothing left to steer.
            log.debug("deadlines of %s not applied: torrent removed", self.info_hash)

    def _apply_deadlines_now(self) -> None:
        merged: dict[int, int] = {}
        for wants in self._wants.values():
            for piece, deadline in wants.items():
                if piece in self._have:
                    continue
                if deadline < merged.get(piece, deadline + 1):
                    merged[piece] = deadline
        raised = {p for w in self._windows.values() for p in w
                  if p not in self._have and p not in merged}
        dropped = self._applied - merged.keys()
        if dropped - self._have:
            # A deadline given up before its piece arrived: the reader jumped (a seek)
            # or went away. Its blocks are still requested from the peers, who serve
            # requests in order, so the new position would wait behind up to a second
            # of them. Emptying the time-critical list makes libtorrent cancel every
            # request that is not time-critical when the next deadline is set (below, or
            # by the next reader): torrent::cancel_non_critical; peers drop them from
            # their queues. Pieces still wanted get their deadlines back right below.
            self._handle.clear_piece_deadlines()
            self.seek_cancels += 1
        else:
            for piece in dropped:
                self._handle.reset_piece_deadline(piece)
        # reset_piece_deadline and clear_piece_deadlines leave a piece at priority 1
        # (libtorrent 2.x's remove_time_critical_piece); put pieces that left every
        # window back to normal, and window pieces back to the window's priority.
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
