"""Typed, frozen engine events: what the alert pump makes of raw libtorrent alerts.

Events carry plain Python values only (hex hashes, ints, bytes, strings), so they are
safe to hand to the asyncio thread after libtorrent has recycled the alert objects.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TorrentStatus:
    """A snapshot of one torrent, as delivered by ``post_torrent_updates``."""

    state: str = "unknown"  # libtorrent's state name: checking_files, downloading, seeding...
    progress: float = 0.0  # 0..1 of the wanted bytes
    download_rate: int = 0  # bytes/s, payload and protocol
    upload_rate: int = 0
    num_peers: int = 0
    total_done: int = 0
    total_wanted: int = 0
    paused: bool = False
    error: str = ""


@dataclass(frozen=True)
class Event:
    """Base of all events; ``info_hash`` is None for session-wide ones."""

    info_hash: str | None


@dataclass(frozen=True)
class TorrentAdded(Event):
    pass


@dataclass(frozen=True)
class MetadataReceived(Event):
    pass


@dataclass(frozen=True)
class MetadataFailed(Event):
    message: str


@dataclass(frozen=True)
class TorrentChecked(Event):
    pass


@dataclass(frozen=True)
class TorrentFinished(Event):
    pass


@dataclass(frozen=True)
class PieceFinished(Event):
    piece: int


@dataclass(frozen=True)
class HashFailed(Event):
    piece: int


@dataclass(frozen=True)
class PieceRead(Event):
    """Answer to ``handle.read_piece``: the bytes, or an error message."""

    piece: int
    data: bytes | None
    error: str | None


@dataclass(frozen=True)
class StatusUpdated(Event):
    status: TorrentStatus


@dataclass(frozen=True)
class ResumeDataSaved(Event):
    data: bytes


@dataclass(frozen=True)
class ResumeDataFailed(Event):
    message: str


@dataclass(frozen=True)
class TorrentRemoved(Event):
    pass


@dataclass(frozen=True)
class FilesDeleted(Event):
    message: str | None  # None on success


@dataclass(frozen=True)
class TorrentFailed(Event):
    """A torrent-level or file error; the torrent is paused by libtorrent."""

    message: str


# How libtorrent (the OS's strerror, on Linux, macOS and Windows) words a full disk or
# quota; the engine turns these into DISK_FULL_TEXT, the one line the player shows.
_DISK_FULL_MARKERS = ("no space left", "not enough space", "disk full", "disk is full",
                      "enospc", "quota exceeded", "file too large")
_NOT_WRITABLE_MARKERS = ("read-only file system", "permission denied", "access is denied")

DISK_FULL_TEXT = ("The disk is full: the download cannot continue. Free some space (or "
                  "lower the cache size in the settings), then play again.")
NOT_WRITABLE_TEXT = "The download folder cannot be written to: check its permissions."


def is_disk_full(message: str) -> bool:
    text = message.lower()
    return any(marker in text for marker in _DISK_FULL_MARKERS)


def failure_text(message: str) -> str:
    """A torrent failure (libtorrent's alert message) as one line for the viewer."""
    text = message.lower()
    if is_disk_full(message):
        return DISK_FULL_TEXT
    if any(marker in text for marker in _NOT_WRITABLE_MARKERS):
        return NOT_WRITABLE_TEXT
    detail = message.strip().rstrip(".") or "unknown error"
    return f"The torrent stopped with an error ({detail})."


@dataclass(frozen=True)
class AlertsDropped(Event):
    """The alert queue overflowed: waiters must re-check state instead of trusting alerts."""


@dataclass(frozen=True)
class ListenFailed(Event):
    message: str


@dataclass(frozen=True)
class Wakeup(Event):
    """Internal: the pump was woken up to notice it should stop."""
