"""RFC 9110 Range parsing."""

import pytest

from miauflix_desktop.core.errors import RangeNotSatisfiable
from miauflix_desktop.services.streaming.ranges import ByteRange, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=0-", 1000, (0, 999)),
        ("bytes=500-", 1000, (500, 999)),
        ("bytes=-100", 1000, (900, 999)),
        ("bytes=-5000", 1000, (0, 999)),  # suffix longer than the file -> whole file
        ("bytes=990-5000", 1000, (990, 999)),  # end clamped
        ("bytes=999-999", 1000, (999, 999)),
        ("BYTES = 1-2", 1000, (1, 2)),
        ("bytes=2000-3000, 5-9", 1000, (5, 9)),  # first satisfiable wins
        ("bytes= 0-0 ", 1, (0, 0)),
    ],
)
def test_satisfiable(header, size, expected):
    r = parse_range(header, size)
    assert r == ByteRange(expected[0], expected[1], size)
    assert r.length == expected[1] - expected[0] + 1
    assert r.content_range() == f"bytes {expected[0]}-{expected[1]}/{size}"


@pytest.mark.parametrize(
    "header",
    [None, "", "items=0-5", "bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=-",
     "bytes=1-2-3", "bytes=0x10-20", "bytes=--5", "bytes=1.5-3", "bytes=,,,"],
)
def test_ignored_means_full_body(header):
    assert parse_range(header, 1000) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000), ("bytes=0-", 0),
     ("bytes=-10", 0)],
)
def test_unsatisfiable(header, size):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


@pytest.mark.parametrize(
    "header",
    ["bytes=\u00b2-", "bytes=0-\u00b9", "bytes=\u0663-", "bytes=\uff11-\uff12", "bytes=\x00-1",
     "bytes=0-1;", "bytes 0-1", "bytes=0-1=2"],
)
def test_garbled_headers_mean_full_body_not_an_error(header):
    # Non-ASCII digits arrive through latin-1 header decoding; int() rejects "²".
    assert parse_range(header, 1000) is None


def test_huge_numbers_are_clamped_or_unsatisfiable():
    huge = "9" * 400
    assert parse_range(f"bytes=0-{huge}", 1000) == ByteRange(0, 999, 1000)
    assert parse_range(f"bytes=-{huge}", 1000) == ByteRange(0, 999, 1000)
    with pytest.raises(RangeNotSatisfiable):
        parse_range(f"bytes={huge}-", 1000)


def test_many_and_overlapping_ranges_answer_the_first_satisfiable():
    many = ",".join(f"{i}-{i + 10}" for i in range(0, 5000, 5))
    assert parse_range(f"bytes={many}", 1000) == ByteRange(0, 10, 1000)
    assert parse_range("bytes=0-499, 200-999", 1000) == ByteRange(0, 499, 1000)
    assert parse_range("bytes=5000-, 990-, 0-5", 1000) == ByteRange(990, 999, 1000)
    # One malformed part makes the whole header malformed (ignored -> full body).
    assert parse_range("bytes=0-5, x-9", 1000) is None
