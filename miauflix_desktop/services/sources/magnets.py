"""Magnet URIs for source discovery: parse one into a normalised value, build one from parts.

Pure Python (no libtorrent), so providers can normalise what they scrape cheaply. Info
hashes come out as 40 lowercase hex characters whether the link carried hex or base32.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from miauflix_desktop.core.errors import TorrentError

log = logging.getLogger(__name__)

# Public trackers appended to magnets we build, so a magnet from a provider that lists
# none can still find peers without DHT. Callers pass their own list to change it.
DEFAULT_TRACKERS: tuple[str, ...] = (
    "udp://tracker.opentrackr.org:1337/announce",
    "udp://open.stealth.si:80/announce",
    "udp://tracker.torrent.eu.org:451/announce",
    "udp://exodus.desync.com:6969/announce",
    "udp://open.demonii.com:1337/announce",
)

# Real magnets are a few hundred bytes (a long tracker list: a few KiB); anything far
# larger is hostile or broken and not worth parsing.
MAX_MAGNET_CHARS = 64 * 1024

# Tracker schemes a BitTorrent client can announce to.
TRACKER_SCHEMES = ("http://", "https://", "udp://", "wss://")

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32_32 = re.compile(r"[A-Za-z2-7]{32}")
_BTIH = "urn:btih:"


class MagnetError(TorrentError):
    """A magnet URI or info hash that cannot be used; the message says why."""


@dataclass(frozen=True)
class Magnet:
    """A parsed magnet: normalised v1 info hash, display name, trackers in link order."""

    info_hash: str  # 40 lowercase hex characters
    name: str | None = None
    trackers: tuple[str, ...] = ()


def normalise_info_hash(value: str) -> str:
    """40 hex or 32 base32 characters -> 40 lowercase hex; MagnetError otherwise."""
    if not isinstance(value, str):
        raise MagnetError("an info hash must be text")
    text = value.strip()
    if _HEX40.fullmatch(text):
        return text.lower()
    if _BASE32_32.fullmatch(text):
        try:
            return base64.b32decode(text.upper()).hex()
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex guards it
            raise MagnetError(f"bad base32 info hash {text!r}") from exc
    raise MagnetError(
        f"bad info hash {text[:60]!r}: expected 40 hex or 32 base32 characters, "
        f"got {len(text)} characters"
    )


def _is_tracker_url(url: str) -> bool:
    return url.lower().startswith(TRACKER_SCHEMES) and len(url) > len("udp://x")


def parse_magnet(uri: str) -> Magnet:
    """Parse a magnet URI; MagnetError (logged) when it has no usable v1 info hash."""
    if not isinstance(uri, str):
        raise MagnetError("a magnet link must be text")
    text = uri.strip()
    if len(text) > MAX_MAGNET_CHARS:
        raise MagnetError(f"magnet link too long ({len(text)} characters)")
    if not text.lower().startswith("magnet:?"):
        log.warning("rejected a magnet link that is not one: %.80r", text)
        raise MagnetError("not a magnet link (it must start with 'magnet:?')")
    hashes: list[str] = []
    name: str | None = None
    trackers: list[str] = []
    saw_other_xt = False
    # parse_qsl decodes %XX and '+'; keys like "xt.1"/"tr.2" (BEP 9 numbered forms) count.
    for key, value in parse_qsl(text[len("magnet:?"):], keep_blank_values=True):
        base = key.split(".", 1)[0].lower()
        if base == "xt":
            if value.lower().startswith(_BTIH):
                try:
                    hashes.append(normalise_info_hash(value[len(_BTIH):]))
                except MagnetError as exc:
                    log.warning("rejected magnet %.80r: %s", text, exc)
                    raise
            else:
                saw_other_xt = True
        elif base == "dn" and name is None:
            name = value.strip() or None
        elif base == "tr":
            url = value.strip()
            if _is_tracker_url(url):
                trackers.append(url)
            else:
                log.debug("ignoring tracker %.80r in a magnet: not a tracker URL", url)
    if not hashes:
        why = ("only a v2 (btmh) or other hash; a v1 btih hash is required" if saw_other_xt
               else "no info hash (xt=urn:btih:...)")
        log.warning("rejected magnet %.80r: %s", text, why)
        raise MagnetError(f"magnet link has {why}")
    if len(set(hashes)) > 1:
        raise MagnetError("magnet link names more than one torrent (conflicting btih hashes)")
    return Magnet(info_hash=hashes[0], name=name, trackers=tuple(dict.fromkeys(trackers)))


def build_magnet(info_hash: str, name: str | None = None, trackers: Iterable[str] = (),
                 *, default_trackers: Sequence[str] = DEFAULT_TRACKERS) -> str:
    """A magnet URI: the given trackers first, then ``default_trackers``, without repeats."""
    parts = [f"xt=urn:btih:{normalise_info_hash(info_hash)}"]
    if name:
        parts.append("dn=" + quote(name, safe=""))
    for url in dict.fromkeys([*trackers, *default_trackers]):
        if _is_tracker_url(url):
            parts.append("tr=" + quote(url, safe=""))
    return "magnet:?" + "&".join(parts)


def to_uri(magnet: Magnet, *, default_trackers: Sequence[str] = DEFAULT_TRACKERS) -> str:
    """Build the URI for a parsed magnet (normalised hash, its trackers + the defaults)."""
    return build_magnet(magnet.info_hash, magnet.name, magnet.trackers,
                        default_trackers=default_trackers)


__all__ = [
    "DEFAULT_TRACKERS",
    "Magnet",
    "MagnetError",
    "build_magnet",
    "normalise_info_hash",
    "parse_magnet",
    "to_uri",
]
