"""Pure parsing of HTTP Range headers (RFC 9110 §14) into one byte range or a decision."""

from __future__ import annotations

from dataclasses import dataclass

from miauflix_desktop.core.errors import RangeNotSatisfiable


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range [start, end] inside a representation of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Resolve a Range header against a representation size.

    Returns None when the whole representation should be sent with 200: no header, a
    header in another unit, or one that is syntactically invalid (RFC 9110 says a server
    MAY ignore a Range it does not understand — the safe answer is the full body, never
    a 500). Raises RangeNotSatisfiable when the ranges are valid but none overlaps the
    representation (the caller answers 416 with `bytes */size`).

    Multiple ranges are answered with the first satisfiable one only: players ask for one
    range at a time, and a multipart/byteranges body buys them nothing.
    """
    if header is None:
        return None
    unit, sep, spec = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parsed: list[tuple[int | None, int | None]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        first, dash, last = part.partition("-")
        first, last = first.strip(), last.strip()
        if not dash or (first and not _digits(first)) or (last and not _digits(last)):
            return None
        if not first and not last:
            return None
        if first and last and int(last) < int(first):
            return None
        parsed.append((int(first) if first else None, int(last) if last else None))
    if not parsed:
        return None
    for first, last in parsed:
        if first is None:
            # suffix range: the last N bytes; N=0 can never be satisfied
            assert last is not None
            if last == 0 or size == 0:
                continue
            return ByteRange(max(0, size - last), size - 1, size)
        if first >= size:
            continue
        end = size - 1 if last is None else min(last, size - 1)
        return ByteRange(first, end, size)
    raise RangeNotSatisfiable(f"no satisfiable range in {header!r} for size {size}")


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" or "٣" (headers arrive decoded
    as latin-1), which int() then rejects or reads as another number."""
    return text.isascii() and text.isdigit()
