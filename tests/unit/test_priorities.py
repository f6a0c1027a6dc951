"""The pure piece policy: windows, header/footer, seeks and awkward geometry."""

from __future__ import annotations

import pytest

from miauflix_desktop.services.torrent import priorities as pr
from miauflix_desktop.services.torrent.priorities import MIB

PL = 256 * 1024  # piece length used by most cases


def make_plan(position, *, size=100 * MIB, offset=0, readahead=8 * MIB, piece_length=PL):
    return pr.plan(piece_length=piece_length, file_offset=offset, file_size=size,
                   position=position, readahead=readahead)


def test_open_at_zero_deadlines_the_read_piece_and_raises_header_footer_window():
    plan = make_plan(0)
    wants = plan.as_dict()
    assert plan.read_piece == 0
    assert wants[0] == pr.READ_DEADLINE_MS
    # Only the next URGENT_BYTES get deadlines, growing with distance.
    assert sorted(wants) == list(range(pr.URGENT_BYTES // PL))
    deadlines = [wants[p] for p in sorted(wants)]
    assert deadlines == sorted(deadlines) and len(set(deadlines)) == len(deadlines)
    assert all(d >= pr.NEXT_DEADLINE_MS for d in deadlines[1:])
    # Header, footer and the rest of the readahead are a raised window, no overlap.
    footer_first = (100 * MIB - pr.FOOTER_BYTES) // PL
    footer = set(range(footer_first, 100 * MIB // PL))
    window = set(plan.window)
    assert footer <= window
    assert set(range(pr.URGENT_BYTES // PL, 8 * MIB // PL + 1)) <= window
    assert not window & set(wants)
    assert max(window - footer) == 8 * MIB // PL


def test_deadlines_are_ordered_most_urgent_first_and_unique():
    plan = make_plan(0)
    ds = [d.deadline_ms for d in plan.deadlines]
    assert ds == sorted(ds)
    assert len({d.piece for d in plan.deadlines}) == len(plan.deadlines)
    assert plan.deadlines[0].piece == 0


def test_seek_rewindows_at_the_new_position():
    before = make_plan(0).as_dict()
    target = 60 * MIB + 12345
    plan = make_plan(target)
    wants = plan.as_dict()
    read_piece = target // PL
    assert plan.read_piece == read_piece
    assert wants[read_piece] == pr.READ_DEADLINE_MS
    assert plan.deadlines[0].piece == read_piece
    # The old window's middle is no longer wanted; the new one is.
    assert 1 not in wants and 1 in before
    assert read_piece + 1 in wants
    assert max(p for p in plan.window if p < 90 * MIB // PL) == (target + 8 * MIB) // PL
    assert 10 not in plan.window


def test_header_and_footer_stay_raised_after_a_seek():
    window = make_plan(50 * MIB).window
    assert 0 in window
    assert (100 * MIB - 1) // PL in window


def test_window_near_the_end_is_clamped_to_the_file():
    plan = make_plan(100 * MIB - 10)
    assert max(plan.as_dict()) == (100 * MIB - 1) // PL
    assert plan.as_dict()[(100 * MIB - 1) // PL] == pr.READ_DEADLINE_MS
    assert max(plan.window) < (100 * MIB - 1) // PL
    assert min(plan.window) == 0


def test_position_outside_the_file_is_clamped():
    assert make_plan(-5).read_piece == 0
    assert make_plan(10**12).read_piece == (100 * MIB - 1) // PL


def test_tiny_file_is_one_piece_wanted_now():
    plan = make_plan(0, size=1000)
    assert plan.as_dict() == {0: pr.READ_DEADLINE_MS}
    assert plan.window == ()


def test_empty_file_wants_nothing():
    assert make_plan(0, size=0).deadlines == ()


def test_readahead_smaller_than_a_piece_still_looks_one_piece_ahead():
    plan = make_plan(50 * MIB, readahead=0, piece_length=4 * MIB)
    read_piece = 50 * MIB // (4 * MIB)
    assert read_piece + 1 in plan.as_dict()
    assert read_piece + 2 not in plan.as_dict() and read_piece + 2 not in plan.window


def test_window_is_capped_for_tiny_pieces():
    piece_length = 16 * 1024
    plan = make_plan(0, size=1000 * MIB, readahead=100 * MIB, piece_length=piece_length)
    everything = [*plan.as_dict(), *plan.window]
    window = [p for p in everything if p < (1000 * MIB - pr.FOOTER_BYTES) // piece_length]
    assert max(window) == pr.MAX_WINDOW_PIECES - 1


def test_unaligned_file_inside_a_multi_file_torrent():
    # A 10 MiB + 7 byte file starting 3 bytes before the end of piece 4.
    offset = 5 * PL - 3
    size = 10 * MIB + 7
    span = pr.file_piece_span(PL, offset, size)
    assert span.start == 4
    assert span.stop - 1 == (offset + size - 1) // PL
    plan = make_plan(0, size=size, offset=offset, readahead=MIB)
    wants = plan.as_dict()
    # Byte 0 of the file sits in piece 4, which it shares with the previous file.
    assert plan.read_piece == 4
    assert wants[4] == pr.READ_DEADLINE_MS
    # Never a piece outside the file's span.
    assert set(wants) | set(plan.window) <= set(span)
    # Byte 3 of the file is the first byte of piece 5.
    assert make_plan(3, size=size, offset=offset).read_piece == 5
    assert make_plan(2, size=size, offset=offset).read_piece == 4
    # The footer reaches the last piece of this file, not of the torrent.
    assert span[-1] in plan.window


def test_pieces_for_range():
    assert list(pr.pieces_for_range(PL, 0, 0, PL - 1)) == [0]
    assert list(pr.pieces_for_range(PL, 0, PL - 1, PL)) == [0, 1]
    assert list(pr.pieces_for_range(PL, 10, 0, PL - 11)) == [0]
    assert list(pr.pieces_for_range(PL, 10, 0, PL - 10)) == [0, 1]
    assert list(pr.pieces_for_range(PL, 0, 5, 4)) == []


def test_bad_piece_length_is_rejected():
    with pytest.raises(ValueError):
        make_plan(0, piece_length=0)


def test_readahead_is_seconds_of_the_bitrate_within_bounds():
    # 1080p at 10 Mbit/s: 30 s of it.
    assert pr.readahead_for(1_250_000, 8 * MIB) == 1_250_000 * pr.READAHEAD_SECONDS
    # A 4K remux would want hundreds of MB: capped; a tiny web-rip: floored.
    assert pr.readahead_for(10_000_000, 8 * MIB) == pr.MAX_READAHEAD_BYTES
    assert pr.readahead_for(20_000, 8 * MIB) == pr.MIN_READAHEAD_BYTES
    # Unknown bitrate: the settings' readahead.
    assert pr.readahead_for(None, 8 * MIB) == 8 * MIB
    assert pr.readahead_for(0, 8 * MIB) == 8 * MIB


def test_a_fast_stream_gets_tighter_deadlines_a_slow_one_keeps_the_assumed_rate():
    def deadlines(rate):
        plan = pr.plan(piece_length=PL, file_offset=0, file_size=100 * MIB,
                       position=0, readahead=8 * MIB, bytes_per_second=rate)
        return plan.as_dict()

    assumed = deadlines(None)
    fast = deadlines(4 * pr.ASSUMED_BYTES_PER_SECOND)
    slow = deadlines(pr.ASSUMED_BYTES_PER_SECOND // 4)
    assert slow == assumed
    assert fast.keys() == assumed.keys()
    last = max(assumed)
    assert fast[last] < assumed[last]
    assert fast[0] == assumed[0] == pr.READ_DEADLINE_MS
