"""The streaming piece policy: which pieces get which deadline for a read position (pure).

No libtorrent here: the reader feeds in the piece geometry and the position a player
is reading at, gets back a plan of (piece, deadline in ms), and applies it with
``set_piece_deadline``. A seek is just a plan for a new position.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB

# Container headers (MKV EBML/segment info, MP4 ftyp + a fast-start moov) and the first
# frames live in the first MiB; a player reads them before it can show anything.
HEADER_BYTES = 1 * MIB

# Players probe the end at open: MP4 files not "fast-started" keep their moov there and
# MKV keeps its cues there; for a feature-length file both fit in about 1-3 MiB.
FOOTER_BYTES = 2 * MIB

# The piece under the read position blocks the player right now, so it is due at once.
READ_DEADLINE_MS = 0

# Pieces after the read piece are due no sooner than this, so the read piece is
# always strictly the most urgent one.
NEXT_DEADLINE_MS = 50

# Deadlines grow with distance ahead at this assumed rate (20 Mbit/s, a high-bitrate
# 1080p stream) so libtorrent fetches the window in playback order; a pessimistic rate
# errs towards pieces arriving early rather than late.
ASSUMED_BYTES_PER_SECOND = 2_500_000

# Only pieces within this distance of the read position get deadlines. libtorrent
# requests the blocks of all time-critical pieces at once and a peer may send them in
# any order, so a long deadline list delays the very piece the player waits on: with
# 256 KiB pieces from a 2 MiB/s LocalSeeder, 1 MiB here gave a seek's first piece
# p95 ~1.0 s, 512 KiB ~0.7 s (FileReader seeks, 10 per run). Pieces of 512 KiB and more
# get the read piece and the next one either way.
URGENT_BYTES = 512 * KIB

# Header, footer and the rest of the readahead window are raised above normal pieces but
# below the time-critical ones (libtorrent sets those to 7): they download next, not
# interleaved with the piece a player is blocked on. When the player does jump to the
# footer, that read gets its own deadline like any seek.
WINDOW_PRIORITY = 6

# libtorrent's normal piece priority: what window pieces go back to when the window moves.
DEFAULT_PRIORITY = 4

# Always look at least one piece past the one being read, so a read that crosses a
# piece boundary (pieces larger than the readahead) does not stall on the next piece.
MIN_WINDOW_PIECES = 2

# The readahead window is sized from the stream's bitrate (file size / duration): this
# many seconds of playback ahead of the read position, so a 4K remux and a 720p web-rip
# both keep about the same time buffered instead of the same number of bytes.
READAHEAD_SECONDS = 30

# Bounds for that window: below the lower one the header/footer and the next pieces are
# most of it anyway; above the upper one a seek throws away more than it is worth (and
# MAX_WINDOW_PIECES caps it in pieces as well).
MIN_READAHEAD_BYTES = 4 * MIB
MAX_READAHEAD_BYTES = 64 * MIB

# libtorrent walks its time-critical list on every tick; with small pieces a huge window
# costs CPU without getting the next seconds of video any sooner.
MAX_WINDOW_PIECES = 128


@dataclass(frozen=True)
class PieceDeadline:
    """One piece and how many milliseconds from now it is due."""

    piece: int
    deadline_ms: int


@dataclass(frozen=True)
class PiecePlan:
    """What a reader at ``position`` wants.

    ``deadlines``: most urgent first, one per piece. ``window``: the rest of the
    readahead, to be raised to WINDOW_PRIORITY (never a piece that has a deadline).
    """

    position: int
    read_piece: int
    deadlines: tuple[PieceDeadline, ...]
    window: tuple[int, ...] = ()

    def as_dict(self) -> dict[int, int]:
        return {d.piece: d.deadline_ms for d in self.deadlines}


def piece_of(piece_length: int, absolute_offset: int) -> int:
    """The piece holding a byte at an offset from the start of the torrent."""
    return absolute_offset // piece_length


def pieces_for_range(
    piece_length: int, file_offset: int, start: int, end_inclusive: int
) -> range:
    """Pieces covering bytes ``start..end_inclusive`` of a file at ``file_offset``."""
    if end_inclusive < start:
        return range(0)
    first = piece_of(piece_length, file_offset + start)
    last = piece_of(piece_length, file_offset + end_inclusive)
    return range(first, last + 1)


def file_piece_span(piece_length: int, file_offset: int, file_size: int) -> range:
    """All pieces holding any byte of the file (empty for an empty file)."""
    return pieces_for_range(piece_length, file_offset, 0, file_size - 1)


def plan(
    *,
    piece_length: int,
    file_offset: int,
    file_size: int,
    position: int,
    readahead: int,
    bytes_per_second: float | None = None,
) -> PiecePlan:
    """Deadlines for a reader of one file at ``position`` (bytes from the file's start).

    The piece at the position is due now and the next URGENT_BYTES get deadlines growing
    with distance; header, footer and the rest of ``readahead`` ahead of the position
    form a raised-priority window. Pieces shared with neighbouring files at this file's
    edges are included on purpose: the file's first and last bytes live in them.
    ``bytes_per_second`` (the stream's bitrate, when known) tightens the deadlines of a
    stream faster than ASSUMED_BYTES_PER_SECOND; a slower one keeps the assumed rate.
    """
    if piece_length <= 0:
        raise ValueError("piece_length must be positive")
    if file_size <= 0:
        return PiecePlan(position=0, read_piece=-1, deadlines=())
    position = min(max(position, 0), file_size - 1)
    span = file_piece_span(piece_length, file_offset, file_size)
    read_piece = piece_of(piece_length, file_offset + position)
    deadlines: dict[int, int] = {}

    def want(piece: int, deadline_ms: int) -> None:
        if piece in span and deadline_ms < deadlines.get(piece, deadline_ms + 1):
            deadlines[piece] = deadline_ms

    want(read_piece, READ_DEADLINE_MS)
    footer_start = max(0, file_size - FOOTER_BYTES)
    edges = [
        *pieces_for_range(piece_length, file_offset, 0, min(HEADER_BYTES, file_size) - 1),
        *pieces_for_range(piece_length, file_offset, footer_start, file_size - 1),
    ]

    # The window: from the piece after the read piece up to position + readahead,
    # bounded below and above by the piece counts explained at the top of the module.
    window_end = piece_of(piece_length, file_offset + min(position + max(readahead, 0),
                                                          file_size - 1))
    window_end = max(window_end, read_piece + MIN_WINDOW_PIECES - 1)
    window_end = min(window_end, read_piece + MAX_WINDOW_PIECES - 1, span[-1])
    piece_start = file_offset + position - (file_offset + position) % piece_length
    rate = max(float(bytes_per_second or 0), float(ASSUMED_BYTES_PER_SECOND))
    window: list[int] = []
    for piece in range(read_piece + 1, window_end + 1):
        ahead = (piece - read_piece) * piece_length - (file_offset + position - piece_start)
        if ahead < URGENT_BYTES or piece < read_piece + MIN_WINDOW_PIECES:
            want(piece, NEXT_DEADLINE_MS + int(ahead * 1000 // rate))
        else:
            window.append(piece)
    window.extend(edges)
    window = sorted(set(window) - deadlines.keys())

    ordered = tuple(
        PieceDeadline(p, d) for p, d in sorted(deadlines.items(), key=lambda kv: (kv[1], kv[0]))
    )
    return PiecePlan(position=position, read_piece=read_piece, deadlines=ordered,
                     window=tuple(window))


def readahead_for(bytes_per_second: float | None, default: int) -> int:
    """READAHEAD_SECONDS of a stream at ``bytes_per_second``, within the bounds above;
    ``default`` (the settings' readahead) when the bitrate is not known."""
    if not bytes_per_second or bytes_per_second <= 0:
        return default
    wanted = int(bytes_per_second * READAHEAD_SECONDS)
    return max(MIN_READAHEAD_BYTES, min(MAX_READAHEAD_BYTES, wanted))
