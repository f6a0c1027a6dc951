"""Validating torrent metadata before it is stored or streamed, and choosing the file to play.

``check_torrent`` takes .torrent bytes (or ``check_info`` a bare info dictionary, as a
magnet's metadata arrives) and either returns a small ``CheckedTorrent`` or raises
``TorrentRejected`` with a reason code and a message fit for a log line or the UI.

Cost is bounded before anything is built per file: the byte size is checked first, then
libtorrent parses in C++ with a decode-token limit derived from ``max_files`` (a torrent
with ten million files fails there without one Python object per file). Only then are
the raw names decoded, because libtorrent silently *sanitises* them (``..`` becomes
``_``, ``/etc`` becomes ``etc``) and we want to reject such torrents, not repair them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import libtorrent as lt

# RejectReason and TorrentLimits moved to core (the UI words reasons, passes limits).
from miauflix_desktop.core.adhoc import RejectReason, TorrentLimits
from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent.metainfo import key_of

log = logging.getLogger(__name__)

# File name endings mpv plays as video (lowercase, without the dot).
VIDEO_EXTENSIONS = frozenset({
    "mkv", "mp4", "m4v", "avi", "mov", "wmv", "webm", "ts", "m2ts", "mts", "mpg", "mpeg",
    "flv", "ogv", "divx", "vob", "3gp",
})

# Tokens (dicts, lists, ints, strings) one file entry may use at most: the entry dict,
# "length", "path" and its list, a few components, "attr", "md5sum", v2 "pieces root".
# Generous so real torrents never hit it; what matters is that it is linear in files.
TOKENS_PER_FILE = 24
TOKENS_OVERHEAD = 10_000

# A path deeper than this is not a media release.
MAX_PATH_DEPTH = 32

# A Windows drive ("C:", "C:evil") would make the path absolute on a Windows client;
# "X: The Movie" (a title with a colon and a space) is left alone.
_DRIVE = re.compile(r"[A-Za-z]:(?!\s)")


class TorrentRejected(TorrentError):
    """Torrent metadata that must not be stored or streamed; ``reason`` says which rule."""

    def __init__(self, reason: RejectReason, message: str,
                 info_hash: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.info_hash = info_hash  # known once libtorrent could parse the metadata


@dataclass(frozen=True)
class TorrentFile:
    """A file of a checked torrent (pad files left out; ``index`` is libtorrent's)."""

    index: int
    path: str  # "/"-separated, starting with the torrent's name
    size: int


@dataclass(frozen=True)
class CheckedTorrent:
    """A torrent that passed every check, and the video file chosen to play."""

    info_hash: str  # 40 lowercase hex (v1; v2-only: truncated v2)
    name: str
    total_size: int
    files: tuple[TorrentFile, ...]
    file_index: int  # libtorrent file index of the largest video file
    file_size: int

    @property
    def chosen(self) -> TorrentFile:
        return next(f for f in self.files if f.index == self.file_index)


def _reject(reason: RejectReason, message: str) -> TorrentRejected:
    log.warning("rejected torrent (%s): %s", reason.value, message)
    return TorrentRejected(reason, message)


def _load(data: bytes, limits: TorrentLimits) -> lt.torrent_info:
    tokens = limits.max_files * TOKENS_PER_FILE + TOKENS_OVERHEAD
    try:
        return lt.torrent_info(bytes(data), {
            "max_buffer_size": limits.max_metadata_bytes,
            "max_decode_tokens": tokens,
            "max_pieces": limits.max_pieces,
        })
    except RuntimeError as exc:
        text = str(exc)
        if "item count limit exceeded" in text:
            # The token limit is the file-count guard; the others were checked before.
            raise _reject(RejectReason.TOO_MANY_FILES,
                          f"the torrent has too many files or entries (over "
                          f"{limits.max_files} files allowed): {text}") from exc
        if "missing name" in text:
            # libtorrent drops "." and ".." while sanitising, so such a name ends up here.
            raise _reject(RejectReason.BAD_NAME, "the torrent name is empty or only "
                          "'.'/'..', or a file has an empty path") from exc
        if "too many pieces" in text:
            raise _reject(RejectReason.TOO_LARGE, f"the torrent has too many pieces: {text}") \
                from exc
        raise _reject(RejectReason.MALFORMED, f"malformed torrent metadata: {text}") from exc


def _text(raw: object, what: str) -> str:
    if not isinstance(raw, bytes):
        raise _reject(RejectReason.MALFORMED, f"{what} is not a string")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _reject(RejectReason.BAD_NAME, f"{what} is not valid UTF-8: {raw[:60]!r}") from exc
    return text


def _check_component(raw: object, what: str) -> str:
    """One path element: UTF-8, not empty, no separators, not '.'/'..', no drive."""
    text = _text(raw, what)
    if not text.strip():
        raise _reject(RejectReason.BAD_NAME, f"{what} is empty")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in text):
        raise _reject(RejectReason.BAD_NAME, f"{what} contains control characters: {text!r}")
    if text in (".", "..") or text.strip() in (".", ".."):
        raise _reject(RejectReason.UNSAFE_PATH, f"{what} is {text!r} (path traversal)")
    if "/" in text or "\\" in text:
        raise _reject(RejectReason.UNSAFE_PATH,
                      f"{what} {text!r} contains a path separator (absolute path or traversal)")
    if _DRIVE.match(text):
        raise _reject(RejectReason.UNSAFE_PATH, f"{what} {text!r} is a drive path")
    return text


def _pick(d: dict[bytes, Any], key: bytes) -> Any:
    # BEP 3 extension used by many clients: "name.utf-8"/"path.utf-8" win when present,
    # and libtorrent uses them when present, so they are what would land on disk.
    return d.get(key + b".utf-8", d.get(key))


def _check_v1_files(files: object, name: str) -> int:
    if not isinstance(files, list) or not files:
        raise _reject(RejectReason.MALFORMED, "the file list is empty or not a list")
    for n, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise _reject(RejectReason.MALFORMED, f"file entry {n} is not a dictionary")
        path = _pick(entry, b"path")
        if not isinstance(path, list) or not path:
            raise _reject(RejectReason.BAD_NAME, f"file {n} of {name!r} has an empty path")
        if len(path) > MAX_PATH_DEPTH:
            raise _reject(RejectReason.UNSAFE_PATH, f"file {n} of {name!r} is nested too deep")
        for part in path:
            _check_component(part, f"a path element of file {n}")
    return len(files)


def _check_v2_tree(tree: object, depth: int = 0) -> int:
    """Walk a BEP 52 file tree: keys are path elements, a leaf is {"": {...}}."""
    if not isinstance(tree, dict) or not tree:
        raise _reject(RejectReason.MALFORMED, "the v2 file tree is empty or not a dictionary")
    if depth > MAX_PATH_DEPTH:
        raise _reject(RejectReason.UNSAFE_PATH, "the v2 file tree is nested too deep")
    count = 0
    for key, node in tree.items():
        if key == b"":
            count += 1  # a file's own properties
            continue
        _check_component(key, "a path element in the v2 file tree")
        count += _check_v2_tree(node, depth + 1)
    return count


def _check_names(info_section: bytes) -> None:
    try:
        info = lt.bdecode(info_section)
    except RuntimeError as exc:  # pragma: no cover - torrent_info parsed it already
        raise _reject(RejectReason.MALFORMED, f"malformed info dictionary: {exc}") from exc
    if not isinstance(info, dict):
        raise _reject(RejectReason.MALFORMED, "the info dictionary is not a dictionary")
    name = _check_component(_pick(info, b"name"), "the torrent name")
    if b"files" in info:
        _check_v1_files(info[b"files"], name)
    if b"file tree" in info:
        _check_v2_tree(info[b"file tree"])


def check_torrent(torrent_bytes: bytes, limits: TorrentLimits | None = None) -> CheckedTorrent:
    """Validate .torrent bytes; TorrentRejected (logged) on the first rule they break."""
    limits = limits or TorrentLimits()
    if not isinstance(torrent_bytes, bytes | bytearray | memoryview):
        raise _reject(RejectReason.MALFORMED, "torrent metadata must be bytes")
    size = len(torrent_bytes)
    if size == 0:
        raise _reject(RejectReason.MALFORMED, "the torrent metadata is empty")
    if size > limits.max_metadata_bytes:
        # First and O(1): a ten-million-file torrent is hundreds of MB and stops here.
        raise _reject(RejectReason.TOO_LARGE,
                      f"the torrent metadata is too large ({size} bytes, "
                      f"limit {limits.max_metadata_bytes})")
    ti = _load(torrent_bytes, limits)
    info_hash = key_of(ti.info_hashes())
    try:
        return _check_loaded(ti, info_hash, limits)
    except TorrentRejected as exc:
        exc.info_hash = info_hash
        raise


def check_info(info_section: bytes, limits: TorrentLimits | None = None) -> CheckedTorrent:
    """Validate a bare bencoded info dictionary (what ut_metadata delivers for a magnet)."""
    return check_torrent(torrent_from_info(info_section), limits)


def torrent_from_info(info_section: bytes, trackers: tuple[str, ...] = ()) -> bytes:
    """.torrent bytes around an info dictionary (same info hash), with optional trackers."""
    head = b"d"
    if trackers:
        tiers = b"".join(b"l%d:%se" % (len(t.encode()), t.encode()) for t in trackers)
        first = trackers[0].encode()
        head += b"8:announce%d:%s13:announce-listl%se" % (len(first), first, tiers)
    return head + b"4:info" + bytes(info_section) + b"e"


def _check_loaded(ti: lt.torrent_info, info_hash: str, limits: TorrentLimits) -> CheckedTorrent:
    fs = ti.layout()
    count = fs.num_files()
    if count > limits.max_files:
        raise _reject(RejectReason.TOO_MANY_FILES,
                      f"the torrent has {count} files (limit {limits.max_files})")
    total = int(ti.total_size())
    if total > limits.max_total_bytes:
        raise _reject(RejectReason.TOO_BIG,
                      f"the torrent holds {total} bytes (limit {limits.max_total_bytes})")
    _check_names(bytes(ti.info_section()))
    files = tuple(
        TorrentFile(index=i, path=fs.file_path(i).replace("\\", "/"), size=int(fs.file_size(i)))
        for i in range(count)
        if not fs.file_flags(i) & lt.file_storage.flag_pad_file
    )
    videos = [f for f in files if f.path.rsplit(".", 1)[-1].lower() in VIDEO_EXTENSIONS
              and "." in f.path.rsplit("/", 1)[-1]]
    name = ti.name()
    if not videos:
        raise _reject(RejectReason.NO_VIDEO, f"the torrent {name!r} contains no video file")
    # Largest wins (samples and extras are smaller); on a tie the first in torrent order.
    chosen = max(videos, key=lambda f: (f.size, -f.index))
    return CheckedTorrent(
        info_hash=info_hash,
        name=name,
        total_size=total,
        files=files,
        file_index=chosen.index,
        file_size=chosen.size,
    )


__all__ = [
    "VIDEO_EXTENSIONS",
    "CheckedTorrent",
    "RejectReason",
    "TorrentFile",
    "TorrentLimits",
    "TorrentRejected",
    "check_info",
    "check_torrent",
    "torrent_from_info",
]
