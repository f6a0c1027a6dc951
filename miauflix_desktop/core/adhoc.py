""""Any torrent" as the UI sees it: the port that adds a magnet or .torrent as a film, the
errors it raises with their reason codes, and the limits a torrent must stay within.

services/adhoc.py implements the port (``AdhocTorrents``) and services/sources/
torrent_check.py applies the limits; both re-export these names. They live here so the
Open torrent screen's view model knows only core types (tests/test_architecture.py).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from miauflix_desktop.core.errors import MiauflixError, TorrentError

DEFAULT_METADATA_TIMEOUT_S = 120.0


class RejectReason(enum.StrEnum):
    """Why a torrent was refused (stable codes for logs, tests and the UI)."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"  # the metadata bytes
    TOO_MANY_FILES = "too_many_files"
    TOO_BIG = "too_big"  # the content's total size
    BAD_NAME = "bad_name"  # not UTF-8, empty, control characters
    UNSAFE_PATH = "unsafe_path"  # absolute, "..", separators inside a component
    NO_VIDEO = "no_video"


@dataclass(frozen=True)
class TorrentLimits:
    """Bounds a torrent must stay within; defaults fit any real film or season pack."""

    max_metadata_bytes: int = 10 * 1024 * 1024  # .torrent / info dict bytes
    max_total_bytes: int = 1024**4  # 1 TiB of content
    max_files: int = 10_000
    max_pieces: int = 2_000_000  # libtorrent's own default limit is 0x200000


# AdhocError.reason besides RejectReason's values.
REASON_BAD_MAGNET = "bad_magnet"
REASON_NO_FILE = "no_file"
REASON_DIRECTORY = "directory"
REASON_UNREADABLE = "unreadable"
REASON_GONE = "gone"


class AdhocError(TorrentError):
    """An added magnet or .torrent that cannot be used; the message says which and why.

    ``reason`` names the kind of problem so a screen can word it for a viewer: one of
    the ``REASON_*`` strings above or a ``RejectReason`` value of the .torrent check;
    ``detail`` is the underlying check's own words, without the "cannot add ..." prefix.
    """

    def __init__(self, message: str, reason: str | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class MetadataTimeout(MiauflixError):
    """No peer sent an added torrent's metadata in time."""


@dataclass(frozen=True)
class AdhocFilm:
    """An added torrent's rows in the library."""

    movie_id: int
    source_id: int
    info_hash: str
    title: str
    # True when this add created the rows (a failed add then removes them again, so a
    # magnet nobody seeds leaves no "Torrent 1a2b3c4d" film behind).
    created: bool = False


class AdhocRequest(Protocol):
    """A checked magnet or .torrent, ready to add (``AdhocPort.parse``'s answer)."""

    @property
    def argument(self) -> str:
        """What the user gave, shortened for messages."""

    @property
    def name(self) -> str | None:
        """The torrent's name (or a magnet's dn) when known."""

    @property
    def torrent(self) -> bytes | None:
        """The .torrent bytes when a file was given (its metadata is known: no fetch)."""


class AdhocPort(Protocol):
    """Adds a magnet link or .torrent file as a playable film (services.adhoc)."""

    @property
    def offline(self) -> bool:
        """The engine talks to 127.0.0.1 only: no peer on the internet can answer."""

    def parse(self, argument: str, limits: TorrentLimits | None = None) -> AdhocRequest:
        """Check a magnet or a .torrent path; AdhocError says why not. Blocking (it
        reads the file): call it from a worker thread."""

    async def add(self, item: AdhocRequest, peers: Sequence[tuple[str, int]] = (),
                  timeout_s: float = DEFAULT_METADATA_TIMEOUT_S) -> AdhocFilm:
        """Record the film and wait for the metadata (MetadataTimeout, AdhocError); a
        failed or cancelled add leaves no row. ``item`` comes from ``parse``."""


__all__ = ["DEFAULT_METADATA_TIMEOUT_S", "REASON_BAD_MAGNET", "REASON_DIRECTORY",
           "REASON_GONE", "REASON_NO_FILE", "REASON_UNREADABLE", "AdhocError", "AdhocFilm",
           "AdhocPort", "AdhocRequest", "MetadataTimeout", "RejectReason", "TorrentLimits"]
