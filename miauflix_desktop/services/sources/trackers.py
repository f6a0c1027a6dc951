"""Tracker scrapes: seeds/peers/completed for info hashes from HTTP and UDP trackers.

HTTP trackers are scraped at the BEP 48 scrape URL derived from their announce URL (the
reply is bencoded); UDP trackers with BEP 15 (connect, then scrape, retried with a
growing wait). Several hashes go in one request. Every tracker runs under its own
timeout and trackers are asked concurrently, so one that never answers is logged and
costs nothing but its timeout. ``tracker_stats`` keeps the best answer per hash.

``next_check_interval`` (pure) decides when to scrape again: hours when the swarm is
stable, minutes when it is changing, always within bounds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import quote_from_bytes, urlsplit

import httpx
import libtorrent as lt

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.sources.magnets import normalise_info_hash
from miauflix_desktop.services.sources.types import TrackerStats

log = logging.getLogger(__name__)

# Whole budget for one tracker (connect + every scrape request and retry).
DEFAULT_TIMEOUT_S = 8.0

# UDP: first wait for an answer before sending again; doubles on each retry (BEP 15
# uses 15 s * 2^n, far too slow for a UI; the overall timeout still bounds it).
UDP_FIRST_WAIT_S = 1.0

# BEP 15 allows ~74 hashes in one scrape packet (MTU-bound).
UDP_HASHES_PER_REQUEST = 74

# Keeps an HTTP scrape URL well under the 8 KiB most servers accept (~60 chars a hash).
HTTP_HASHES_PER_REQUEST = 50

# A scrape reply is ~70 bytes per hash; anything far larger is not a scrape reply.
MAX_HTTP_REPLY_BYTES = 1024 * 1024

_UDP_PROTOCOL_ID = 0x41727101980
_ACTION_CONNECT = 0
_ACTION_SCRAPE = 2
_ACTION_ERROR = 3

# ---------------------------------------------------------------- check intervals

MIN_CHECK_INTERVAL_S = 10 * 60.0
MAX_CHECK_INTERVAL_S = 12 * 3600.0
FIRST_CHECK_INTERVAL_S = 3600.0

# Below this many seeds+peers, a change of one or two is noise, not a trend.
SMALL_SWARM = 10


class TrackerError(MiauflixError):
    """A tracker could not be scraped (no answer, refused, or a malformed reply)."""


@dataclass(frozen=True)
class TrackerAnswer:
    """What one tracker said: stats per hash it answered for, or why it did not."""

    tracker: str
    stats: dict[str, TrackerStats] = field(default_factory=dict)
    error: str | None = None


def scrape_url(announce_url: str) -> str | None:
    """BEP 48: the scrape URL of an HTTP(S) announce URL, or None if it has none."""
    parts = urlsplit(announce_url)
    if parts.scheme not in ("http", "https"):
        return None
    head, _, last = parts.path.rpartition("/")
    if not last.startswith("announce"):
        return None
    path = f"{head}/scrape{last[len('announce'):]}"
    return parts._replace(path=path).geturl()


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _normalise(info_hashes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(normalise_info_hash(h) for h in info_hashes))


def _int(d: dict[bytes, object], key: bytes) -> int:
    value = d.get(key, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def parse_http_scrape(body: bytes, wanted: Sequence[str]) -> dict[str, TrackerStats]:
    """Stats for each wanted hash from a bencoded scrape reply (absent: zero swarm)."""
    try:
        reply = lt.bdecode(body)
    except RuntimeError as exc:
        raise TrackerError(f"malformed scrape reply: {exc}") from exc
    if not isinstance(reply, dict):
        raise TrackerError("malformed scrape reply: not a dictionary")
    failure = reply.get(b"failure reason")
    if failure is not None:
        text = failure.decode("utf-8", "replace") if isinstance(failure, bytes) else failure
        raise TrackerError(f"tracker refused the scrape: {text}")
    files = reply.get(b"files")
    if not isinstance(files, dict):
        raise TrackerError("malformed scrape reply: no 'files' dictionary")
    by_hex = {k.hex(): v for k, v in files.items() if isinstance(k, bytes) and len(k) == 20}
    out: dict[str, TrackerStats] = {}
    for ih in wanted:
        entry = by_hex.get(ih)
        if not isinstance(entry, dict):
            # A tracker that answers but does not list a hash has no peers for it.
            out[ih] = TrackerStats(seeds=0, peers=0, completed=None)
            continue
        out[ih] = TrackerStats(seeds=_int(entry, b"complete"), peers=_int(entry, b"incomplete"),
                               completed=_int(entry, b"downloaded"))
    return out


async def scrape_http(announce_url: str, info_hashes: Sequence[str],
                      client: httpx.AsyncClient, *,
                      timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, TrackerStats]:
    """Scrape an HTTP(S) tracker; TrackerError on no scrape URL, HTTP error or bad reply."""
    url = scrape_url(announce_url)
    if url is None:
        raise TrackerError(f"{announce_url} has no scrape URL (path does not end in announce)")
    hashes = _normalise(info_hashes)
    out: dict[str, TrackerStats] = {}
    for chunk in _chunks(hashes, HTTP_HASHES_PER_REQUEST):
        # Raw 20-byte hashes, percent-encoded by hand: httpx would re-encode text.
        query = "&".join("info_hash=" + quote_from_bytes(bytes.fromhex(h), safe="")
                         for h in chunk)
        full = f"{url}{'&' if '?' in url else '?'}{query}"
        try:
            async with client.stream("GET", full, timeout=timeout_s) as resp:
                if resp.status_code != 200:
                    raise TrackerError(f"scrape answered HTTP {resp.status_code}")
                body = bytearray()
                async for part in resp.aiter_bytes():
                    body += part
                    if len(body) > MAX_HTTP_REPLY_BYTES:
                        raise TrackerError("scrape reply too large")
        except httpx.HTTPError as exc:
            raise TrackerError(f"scrape request failed: {type(exc).__name__} {exc}") from exc
        out.update(parse_http_scrape(bytes(body), chunk))
    return out


class _UdpTrackerProtocol(asyncio.DatagramProtocol):
    """Matches datagrams to the one outstanding request by transaction id."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self._pending: tuple[int, asyncio.Future[bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        pending = self._pending
        if pending is None or len(data) < 8:
            return
        tid, fut = pending
        _action, got_tid = struct.unpack_from(">II", data)
        # Late answers to an earlier attempt carry an old transaction id; drop them.
        if got_tid == tid and not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable arrives here (ConnectionRefusedError) on Linux.
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(TrackerError(f"UDP error: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        pending = self._pending
        if pending is not None and not pending[1].done():
            pending[1].set_exception(TrackerError("UDP socket closed"))

    async def request(self, build: Callable[[int], bytes], first_wait_s: float) -> bytes:
        """Send, wait, resend with a doubled wait, until an answer (caller bounds time)."""
        assert self.transport is not None
        wait = first_wait_s
        loop = asyncio.get_running_loop()
        while True:
            tid = struct.unpack(">I", os.urandom(4))[0]
            fut: asyncio.Future[bytes] = loop.create_future()
            self._pending = (tid, fut)
            self.transport.sendto(build(tid))
            try:
                data = await asyncio.wait_for(fut, wait)
            except TimeoutError:
                wait *= 2
                continue
            finally:
                self._pending = None
            action = struct.unpack_from(">I", data)[0]
            if action == _ACTION_ERROR:
                raise TrackerError("tracker error: "
                                   + data[8:].decode("utf-8", "replace")[:200])
            return data


def _udp_endpoint(announce_url: str) -> tuple[str, int]:
    parts = urlsplit(announce_url)
    if parts.scheme != "udp" or not parts.hostname:
        raise TrackerError(f"not a UDP tracker URL: {announce_url}")
    try:
        port = parts.port
    except ValueError as exc:
        raise TrackerError(f"bad port in {announce_url}") from exc
    if not port:
        raise TrackerError(f"no port in {announce_url}")
    return parts.hostname, port


async def scrape_udp(announce_url: str, info_hashes: Sequence[str], *,
                     timeout_s: float = DEFAULT_TIMEOUT_S,
                     first_wait_s: float = UDP_FIRST_WAIT_S) -> dict[str, TrackerStats]:
    """BEP 15 scrape of a UDP tracker; TrackerError on error or no answer in ``timeout_s``."""
    host, port = _udp_endpoint(announce_url)
    hashes = _normalise(info_hashes)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout_s):
            transport, proto = await loop.create_datagram_endpoint(
                _UdpTrackerProtocol, remote_addr=(host, port))
            try:
                reply = await proto.request(
                    lambda tid: struct.pack(">QII", _UDP_PROTOCOL_ID, _ACTION_CONNECT, tid),
                    first_wait_s)
                if len(reply) < 16 or struct.unpack_from(">I", reply)[0] != _ACTION_CONNECT:
                    raise TrackerError("malformed UDP connect reply")
                conn_id = struct.unpack_from(">Q", reply, 8)[0]
                out: dict[str, TrackerStats] = {}
                for chunk in _chunks(hashes, UDP_HASHES_PER_REQUEST):
                    raw = b"".join(bytes.fromhex(h) for h in chunk)

                    def scrape_packet(tid: int, raw: bytes = raw) -> bytes:
                        return struct.pack(">QII", conn_id, _ACTION_SCRAPE, tid) + raw

                    reply = await proto.request(scrape_packet, first_wait_s)
                    if struct.unpack_from(">I", reply)[0] != _ACTION_SCRAPE:
                        raise TrackerError("malformed UDP scrape reply")
                    if len(reply) < 8 + 12 * len(chunk):
                        raise TrackerError(f"short UDP scrape reply ({len(reply)} bytes)")
                    for n, ih in enumerate(chunk):
                        seeds, completed, leechers = struct.unpack_from(">III", reply, 8 + 12 * n)
                        out[ih] = TrackerStats(seeds=seeds, peers=leechers, completed=completed)
                return out
            finally:
                transport.close()
    except TimeoutError as exc:
        raise TrackerError(f"no answer within {timeout_s:g}s") from exc
    except OSError as exc:
        raise TrackerError(f"cannot reach {host}:{port}: {exc}") from exc


async def scrape_tracker(announce_url: str, info_hashes: Sequence[str],
                         client: httpx.AsyncClient, *,
                         timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, TrackerStats]:
    """Scrape one tracker of any supported scheme, bounded by ``timeout_s`` overall."""
    scheme = urlsplit(announce_url).scheme.lower()
    try:
        async with asyncio.timeout(timeout_s):
            if scheme == "udp":
                return await scrape_udp(announce_url, info_hashes, timeout_s=timeout_s)
            if scheme in ("http", "https"):
                return await scrape_http(announce_url, info_hashes, client, timeout_s=timeout_s)
    except TimeoutError as exc:
        raise TrackerError(f"no answer within {timeout_s:g}s") from exc
    raise TrackerError(f"cannot scrape {scheme or 'scheme-less'} trackers")


async def scrape_trackers(trackers: Iterable[str], info_hashes: Sequence[str], *,
                          client: httpx.AsyncClient | None = None,
                          timeout_s: float = DEFAULT_TIMEOUT_S) -> list[TrackerAnswer]:
    """Ask every tracker at once; each answer or failure (logged with its reason)."""
    urls = list(dict.fromkeys(t.strip() for t in trackers if t.strip()))
    hashes = _normalise(info_hashes)
    if not urls or not hashes:
        return []
    own = client is None
    http = client or httpx.AsyncClient(follow_redirects=True)
    try:
        results = await asyncio.gather(
            *(scrape_tracker(url, hashes, http, timeout_s=timeout_s) for url in urls),
            return_exceptions=True)
    finally:
        if own:
            await http.aclose()
    answers: list[TrackerAnswer] = []
    for url, result in zip(urls, results, strict=True):
        if isinstance(result, TrackerError):
            log.info("tracker %s: %s", url, result)
            answers.append(TrackerAnswer(url, error=str(result)))
        elif isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            log.warning("tracker %s failed unexpectedly: %r", url, result)
            answers.append(TrackerAnswer(url, error=f"unexpected error: {result!r}"))
        else:
            log.debug("tracker %s answered for %d hashes", url, len(result))
            answers.append(TrackerAnswer(url, stats=result))
    return answers


def best_stats(candidates: Iterable[TrackerStats]) -> TrackerStats | None:
    """The best of several trackers' answers: most seeds, then most peers, then completed."""
    return max(candidates, key=lambda s: (s.seeds, s.peers, s.completed or 0), default=None)


async def tracker_stats(trackers: Iterable[str], info_hashes: Sequence[str], *,
                        client: httpx.AsyncClient | None = None,
                        timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, TrackerStats | None]:
    """Best stats per hash across trackers; None for a hash no tracker answered for."""
    hashes = _normalise(info_hashes)
    answers = await scrape_trackers(trackers, hashes, client=client, timeout_s=timeout_s)
    return {ih: best_stats(a.stats[ih] for a in answers if ih in a.stats) for ih in hashes}


# ---------------------------------------------------------------- when to look again


def _clamp(value: float) -> float:
    return min(MAX_CHECK_INTERVAL_S, max(MIN_CHECK_INTERVAL_S, value))


def next_check_interval(previous: TrackerStats | None, current: TrackerStats | None,
                        last_interval_s: float) -> float:
    """Seconds until the next scrape, within [MIN_CHECK_INTERVAL_S, MAX_CHECK_INTERVAL_S].

    Stable swarms double the interval (towards hours); a big change (or seeds appearing
    or vanishing) drops it to the minimum; a moderate change halves it, to at most an
    hour. A failed scrape (``current`` None) backs off by doubling.
    """
    last = last_interval_s
    if not isinstance(last, int | float) or not math.isfinite(last) or last <= 0:
        last = FIRST_CHECK_INTERVAL_S
    if current is None:
        return _clamp(last * 2)
    if previous is None:
        return _clamp(FIRST_CHECK_INTERVAL_S)
    if (previous.seeds == 0) != (current.seeds == 0):
        return MIN_CHECK_INTERVAL_S
    swarm = max(previous.seeds + previous.peers, current.seeds + current.peers, SMALL_SWARM)
    change = (abs(current.seeds - previous.seeds) + abs(current.peers - previous.peers)) / swarm
    if change >= 0.5:
        return MIN_CHECK_INTERVAL_S
    if change >= 0.15:
        return _clamp(min(last / 2, 3600.0))
    if change >= 0.05:
        return _clamp(last)
    return _clamp(last * 2)


__all__ = [
    "MAX_CHECK_INTERVAL_S",
    "MIN_CHECK_INTERVAL_S",
    "TrackerAnswer",
    "TrackerError",
    "best_stats",
    "next_check_interval",
    "parse_http_scrape",
    "scrape_http",
    "scrape_tracker",
    "scrape_trackers",
    "scrape_udp",
    "scrape_url",
    "tracker_stats",
]
