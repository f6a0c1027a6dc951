"""Fetching a magnet's torrent metadata, validated, from .torrent caches or the swarm.

``MetadataFetcher.fetch`` tries the configured .torrent cache URLs in order (cheap HTTP,
the info hash of what they return must match) and then the swarm through the app's
``TorrentEngine`` (ut_metadata from peers). Every step has a timeout and logs why it
gave up, so a fetch never hangs; what comes back has passed ``torrent_check``.

A torrent the engine did not already have is added in upload mode (no content is
downloaded once the metadata arrives) and removed again afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import libtorrent as lt

from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.sources.magnets import (
    DEFAULT_TRACKERS,
    Magnet,
    normalise_info_hash,
    parse_magnet,
    to_uri,
)
from miauflix_desktop.services.sources.torrent_check import (
    CheckedTorrent,
    TorrentLimits,
    TorrentRejected,
    check_torrent,
    torrent_from_info,
)
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec

log = logging.getLogger(__name__)

# Peers answer ut_metadata within seconds when they exist; a minute covers slow swarms.
DEFAULT_SWARM_TIMEOUT_S = 60.0

# One cache URL (connect + download of a ~100 KB file).
DEFAULT_HTTP_TIMEOUT_S = 10.0


class MetadataUnavailable(TorrentError):
    """No source produced valid metadata in time; the message lists each source's reason."""


class MetadataTimeout(MetadataUnavailable):
    """The swarm did not deliver metadata within the timeout."""


@dataclass(frozen=True)
class FetchedMetadata:
    """Validated metadata: the check result and .torrent bytes ready to store."""

    checked: CheckedTorrent
    torrent_bytes: bytes
    source: str  # "swarm" or the cache URL it came from


def cache_url(template: str, info_hash: str) -> str:
    """Fill a cache URL template: ``{HASH}`` upper-case hex, ``{hash}`` lower-case hex."""
    ih = normalise_info_hash(info_hash)
    return template.replace("{HASH}", ih.upper()).replace("{hash}", ih)


class MetadataFetcher:
    """Gets validated metadata for magnets; needs an engine for the swarm, URLs for caches."""

    def __init__(self, engine: TorrentEngine | None = None, *,
                 cache_urls: Sequence[str] = (),
                 client: httpx.AsyncClient | None = None,
                 swarm_timeout_s: float = DEFAULT_SWARM_TIMEOUT_S,
                 http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
                 limits: TorrentLimits | None = None,
                 default_trackers: Sequence[str] = DEFAULT_TRACKERS) -> None:
        self._engine = engine
        self._cache_urls = tuple(cache_urls)
        self._client = client
        self._swarm_timeout_s = swarm_timeout_s
        self._http_timeout_s = http_timeout_s
        self._limits = limits or TorrentLimits()
        self._default_trackers = tuple(default_trackers)
        self._inflight: dict[str, asyncio.Future[FetchedMetadata]] = {}

    async def fetch(self, magnet: str | Magnet, *, peers: Sequence[tuple[str, int]] = (),
                    swarm_timeout_s: float | None = None) -> FetchedMetadata:
        """Caches first, then the swarm. MagnetError for a bad magnet, TorrentRejected when
        the metadata breaks a rule, MetadataUnavailable when no source delivered it."""
        link = magnet if isinstance(magnet, Magnet) else parse_magnet(magnet)
        reasons: list[str] = []
        if self._cache_urls:
            try:
                return await self.from_cache(link.info_hash, trackers=link.trackers)
            except MetadataUnavailable as exc:
                reasons.append(str(exc))
        if self._engine is not None:
            try:
                return await self.from_swarm(link, peers=peers, timeout_s=swarm_timeout_s)
            except MetadataUnavailable as exc:
                reasons.append(str(exc))
        else:
            reasons.append("no torrent engine to ask the swarm")
        raise MetadataUnavailable(f"no metadata for {link.info_hash}: " + "; ".join(reasons))

    # ------------------------------------------------------------------ caches

    async def from_cache(self, info_hash: str, *,
                         trackers: Sequence[str] = ()) -> FetchedMetadata:
        """Try each cache URL in order; the first valid .torrent with the right hash wins."""
        ih = normalise_info_hash(info_hash)
        if not self._cache_urls:
            raise MetadataUnavailable("no .torrent cache URLs are configured")
        own = self._client is None
        client = self._client or httpx.AsyncClient(follow_redirects=True)
        reasons: list[str] = []
        try:
            for template in self._cache_urls:
                url = cache_url(template, ih)
                try:
                    data = await self._download(client, url)
                    checked = check_torrent(data, self._limits)
                except TorrentRejected as exc:
                    if exc.info_hash == ih:
                        raise  # the right torrent, and it breaks a rule: no source will do
                    reasons.append(f"{url}: {exc}")
                    log.info("metadata cache %s: %s", url, exc)
                    continue
                except MetadataUnavailable as exc:
                    reasons.append(f"{url}: {exc}")
                    log.info("metadata cache %s: %s", url, exc)
                    continue
                if checked.info_hash != ih:
                    # Caches sometimes serve an error page as a .torrent or the wrong file.
                    reasons.append(f"{url}: served another torrent ({checked.info_hash})")
                    log.warning("metadata cache %s served %s instead of %s", url,
                                checked.info_hash, ih)
                    continue
                log.info("metadata for %s from %s", ih, url)
                return FetchedMetadata(checked, _with_trackers(data, trackers), url)
        finally:
            if own:
                await client.aclose()
        raise MetadataUnavailable("caches: " + "; ".join(reasons))

    async def _download(self, client: httpx.AsyncClient, url: str) -> bytes:
        limit = self._limits.max_metadata_bytes
        try:
            async with asyncio.timeout(self._http_timeout_s):
                async with client.stream("GET", url, timeout=self._http_timeout_s) as resp:
                    if resp.status_code != 200:
                        raise MetadataUnavailable(f"HTTP {resp.status_code}")
                    body = bytearray()
                    async for part in resp.aiter_bytes():
                        body += part
                        if len(body) > limit:
                            raise MetadataUnavailable(f"response larger than {limit} bytes")
                    return bytes(body)
        except TimeoutError as exc:
            raise MetadataUnavailable(f"no answer within {self._http_timeout_s:g}s") from exc
        except httpx.HTTPError as exc:
            raise MetadataUnavailable(f"{type(exc).__name__}: {exc}") from exc

    # ------------------------------------------------------------------- swarm

    async def from_swarm(self, magnet: str | Magnet, *,
                         peers: Sequence[tuple[str, int]] = (),
                         timeout_s: float | None = None) -> FetchedMetadata:
        """Ask the swarm through the engine; MetadataTimeout when nothing arrives in time.

        Concurrent calls for one hash share a single attempt: otherwise the first to
        finish would remove the torrent the other is still waiting on.
        """
        if self._engine is None:
            raise MetadataUnavailable("no torrent engine to ask the swarm")
        link = magnet if isinstance(magnet, Magnet) else parse_magnet(magnet)
        timeout = self._swarm_timeout_s if timeout_s is None else timeout_s
        task = self._inflight.get(link.info_hash)
        if task is None:
            task = asyncio.ensure_future(self._swarm(self._engine, link, peers, timeout))
            self._inflight[link.info_hash] = task
            task.add_done_callback(self._swarm_done(link.info_hash))
        # Shielded: a cancelled caller must not interrupt the clean-up (removing the
        # torrent); the attempt ends by itself within its timeout.
        return await asyncio.shield(task)

    def _swarm_done(self, info_hash: str) -> Callable[[asyncio.Future[FetchedMetadata]], None]:
        def done(task: asyncio.Future[FetchedMetadata]) -> None:
            if self._inflight.get(info_hash) is task:
                del self._inflight[info_hash]
            if not task.cancelled():
                task.exception()  # retrieved: callers that left early do not warn
        return done

    async def _swarm(self, engine: TorrentEngine, link: Magnet,
                     peers: Sequence[tuple[str, int]], timeout: float) -> FetchedMetadata:
        ih = link.info_hash
        ours = engine.get(ih) is None
        try:
            torrent = await engine.add(TorrentSpec(
                magnet=to_uri(link, default_trackers=self._default_trackers),
                peers=tuple(peers)))
        except TorrentError as exc:
            raise MetadataUnavailable(f"swarm: {exc}") from exc
        if ours:
            # Metadata only: without this, libtorrent starts downloading the content the
            # moment the info dictionary arrives. Nothing can be downloaded before that,
            # so setting it right after add (same loop turn) is early enough.
            torrent.handle.set_flags(lt.torrent_flags.upload_mode)
        try:
            try:
                await asyncio.wait_for(torrent.metadata(), timeout)
            except TimeoutError as exc:
                log.info("swarm: no metadata for %s within %.1fs", ih, timeout)
                raise MetadataTimeout(f"swarm: no metadata within {timeout:g}s") from exc
            except TorrentError as exc:
                raise MetadataUnavailable(f"swarm: {exc}") from exc
            ti = torrent.handle.torrent_file()
            if ti is None:  # pragma: no cover - metadata() resolved, so libtorrent has it
                raise MetadataUnavailable("swarm: the engine lost the metadata")
            data = torrent_from_info(bytes(ti.info_section()), link.trackers)
            checked = check_torrent(data, self._limits)
            if checked.info_hash != ih:  # pragma: no cover - libtorrent verifies the hash
                raise MetadataUnavailable(f"swarm: metadata hashes to {checked.info_hash}")
            log.info("metadata for %s (%s) from the swarm", ih, checked.name)
            return FetchedMetadata(checked, data, "swarm")
        finally:
            if ours:
                # Files stay: in upload mode nothing was written for this torrent.
                await engine.remove(ih)


def _with_trackers(torrent_bytes: bytes, trackers: Sequence[str]) -> bytes:
    """The cache's .torrent, plus the magnet's trackers when it names none itself."""
    if not trackers:
        return torrent_bytes
    try:
        decoded = lt.bdecode(torrent_bytes)
    except RuntimeError:  # pragma: no cover - check_torrent parsed it already
        return torrent_bytes
    if not isinstance(decoded, dict) or b"announce" in decoded or b"announce-list" in decoded:
        return torrent_bytes
    info = lt.torrent_info(torrent_bytes).info_section()
    return torrent_from_info(bytes(info), tuple(trackers))


__all__ = [
    "FetchedMetadata",
    "MetadataFetcher",
    "MetadataTimeout",
    "MetadataUnavailable",
    "cache_url",
]
