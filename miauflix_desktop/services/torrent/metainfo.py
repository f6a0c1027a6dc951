"""Creating and validating torrent metainfo: .torrent bytes and magnet links."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

from miauflix_desktop.core.errors import TorrentError

log = logging.getLogger(__name__)

# Real .torrent files are kilobytes (a 50 GB torrent with 16 MiB pieces is ~60 KB of
# hashes); refusing anything much larger keeps a hostile source from eating memory.
MAX_TORRENT_BYTES = 10 * 1024 * 1024

# Smallest piece make_torrent picks: fewer, bigger pieces mean fewer alerts and hash
# checks per MiB streamed, and it matches what real video torrents use.
MIN_PIECE_LENGTH = 256 * 1024

# Largest piece make_torrent picks; bigger pieces delay the first playable bytes.
MAX_PIECE_LENGTH = 16 * 1024 * 1024

# make_torrent grows the piece until the torrent has at most this many pieces, the usual
# target of torrent creators (keeps the .torrent small and the piece map cheap).
TARGET_MAX_PIECES = 1500


@dataclass(frozen=True)
class MagnetLink:
    """A validated magnet link."""

    uri: str
    info_hash: str  # hex v1 info hash (v2-only links: the truncated v2 hash)
    name: str | None
    trackers: tuple[str, ...]


def key_of(info_hashes: lt.info_hash_t) -> str:
    """The hex key the app uses for a torrent: the v1 hash, or the truncated v2 hash."""
    if info_hashes.has_v1():
        return str(info_hashes.v1)
    return str(info_hashes.v2)[:40]


def choose_piece_length(total_size: int) -> int:
    """A power-of-two piece length within the bounds above for a payload of this size."""
    length = MIN_PIECE_LENGTH
    while length < MAX_PIECE_LENGTH and total_size / length > TARGET_MAX_PIECES:
        length *= 2
    return length


def make_torrent(path: Path, piece_length: int | None = None) -> bytes:
    """Bencoded v1 .torrent for a file or directory (the torrent's name is ``path.name``).

    v1-only keeps it readable by every client (Debian's Transmission 3 chokes on hybrid
    pad files) and hashing SHA-1 alone is about twice as fast.
    """
    path = Path(path)
    if not path.exists():
        raise TorrentError(f"cannot create a torrent: {path} does not exist")
    try:
        files = lt.list_files(str(path))
        total = sum(entry.size for entry in files)
        if total == 0:
            raise TorrentError(f"cannot create a torrent: {path} holds no data")
        length = piece_length or choose_piece_length(total)
        creator = lt.create_torrent(files, length, lt.create_torrent.v1_only)
        creator.set_creator("miauflix-desktop")
        lt.set_piece_hashes(creator, str(path.parent))
        return bytes(lt.bencode(creator.generate()))
    except TorrentError:
        raise
    except (RuntimeError, OSError) as exc:
        log.error("creating a torrent for %s failed: %s", path, exc)
        raise TorrentError(f"cannot create a torrent for {path}: {exc}") from exc


def load_torrent_info(torrent_bytes: bytes) -> lt.torrent_info:
    """Parse .torrent bytes; TorrentError (logged) when they are not a valid torrent."""
    if not isinstance(torrent_bytes, bytes | bytearray | memoryview):
        raise TorrentError("torrent data must be bytes")
    if not torrent_bytes:
        log.warning("rejected an empty .torrent")
        raise TorrentError("the .torrent file is empty")
    if len(torrent_bytes) > MAX_TORRENT_BYTES:
        log.warning("rejected a .torrent of %d bytes", len(torrent_bytes))
        raise TorrentError(f"the .torrent file is too large ({len(torrent_bytes)} bytes)")
    try:
        return lt.torrent_info(bytes(torrent_bytes))
    except RuntimeError as exc:
        log.warning("rejected a malformed .torrent: %s", exc)
        raise TorrentError(f"malformed .torrent file: {exc}") from exc


def info_hash_of(torrent_bytes: bytes) -> str:
    """Hex info hash (v1) of .torrent bytes."""
    return key_of(load_torrent_info(torrent_bytes).info_hashes())


def parse_magnet(uri: str) -> MagnetLink:
    """Validate a magnet link; TorrentError (logged) on anything libtorrent cannot use."""
    if not isinstance(uri, str) or not uri.strip().lower().startswith("magnet:?"):
        log.warning("rejected a magnet link that is not one: %.80r", uri)
        raise TorrentError("not a magnet link (it must start with 'magnet:?')")
    uri = uri.strip()
    try:
        params = lt.parse_magnet_uri(uri)
    except RuntimeError as exc:
        log.warning("rejected a malformed magnet link %.80r: %s", uri, exc)
        raise TorrentError(f"malformed magnet link: {exc}") from exc
    ih = params.info_hashes
    if not ih.has_v1() and not ih.has_v2():
        raise TorrentError("malformed magnet link: no usable info hash")
    return MagnetLink(
        uri=uri,
        info_hash=key_of(ih),
        name=params.name or None,
        trackers=tuple(params.trackers),
    )


def magnet_params(uri: str) -> lt.add_torrent_params:
    """add_torrent_params for a magnet link that already passed ``parse_magnet``."""
    return lt.parse_magnet_uri(uri)


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (what isolated sessions may talk to)."""
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def tracker_host(url: str) -> str:
    """Host part of a tracker URL (no port); '' when there is none."""
    rest = url.split("://", 1)[-1]
    hostport = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if hostport.startswith("["):
        return hostport[1:].split("]", 1)[0]
    return hostport.split(":", 1)[0]


__all__ = [
    "MagnetLink",
    "choose_piece_length",
    "info_hash_of",
    "is_loopback_host",
    "key_of",
    "load_torrent_info",
    "magnet_params",
    "make_torrent",
    "parse_magnet",
    "tracker_host",
]
