"""How libtorrent's failure messages reach the viewer: a full disk says so."""

from __future__ import annotations

import pytest

from miauflix_desktop.services.torrent.events import (
    DISK_FULL_TEXT,
    NOT_WRITABLE_TEXT,
    failure_text,
    is_disk_full,
)


@pytest.mark.parametrize("message", [
    "c6dff5 file_write (/data/film.mkv) error: No space left on device",
    "abc file_open (D:\\film.mkv) error: There is not enough space on the disk.",
    "abc file_write error: Disk quota exceeded",
    "ENOSPC",
])
def test_full_disks_in_every_wording(message: str) -> None:
    assert is_disk_full(message)
    assert failure_text(message) == DISK_FULL_TEXT
    assert DISK_FULL_TEXT.startswith("The disk is full")


def test_other_failures_keep_their_detail() -> None:
    assert failure_text("x file_open (/ro/f) error: Read-only file system") == NOT_WRITABLE_TEXT
    assert failure_text("x file_open error: Permission denied") == NOT_WRITABLE_TEXT
    text = failure_text("x file_read error: Input/output error.")
    assert text == "The torrent stopped with an error (x file_read error: Input/output error)."
    assert not is_disk_full("Input/output error")
    assert failure_text("  ") == "The torrent stopped with an error (unknown error)."
