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
