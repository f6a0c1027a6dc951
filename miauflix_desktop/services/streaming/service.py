"""StreamService: turns "play media X" into a signed stream URL backed by a torrent file."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from miauflix_desktop.core.errors import StreamError, TokenError, TorrentError
from miauflix_desktop.core.media import (
    WATCHED_FRACTION,
    PlayTarget,
    SourceItem,
    StreamStatus,
)
from miauflix_desktop.services.storage.repositories import MovieRepository, SourceRecord
from miauflix_desktop.services.streaming.tokens import StreamClaim, TokenSigner
from miauflix_desktop.services.torrent.reader import FileReader
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.torrent import Torrent, downloaded_ranges

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = {".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".ts", ".m2ts", ".wmv"}
# mimetypes on minimal systems does not know Matroska; players and TVs key off these.
EXTRA_TYPES = {".mkv": "video/x-matroska", ".webm": "video/webm", ".ts": "video/mp2t",
               ".m2ts": "video/mp2t", ".m4v": "video/mp4"}
# Finishing a resume position this close to the end means "watched": start over next time.
RESTART_IF_WITHIN_S = 30.0

# How the UI names each provider (MovieSource.source holds the short key).
PROVIDER_NAMES = {"demo": "Demo swarm", "yts": "YTS", "therarbg": "TheRARBG",
                  "adhoc": "Added by you"}

PeerHints = Callable[[str], tuple[tuple[str, int], ...]]
Discover = Callable[[int, Callable[[str], None]], Awaitable[int]]


@dataclass(frozen=True)
class OpenFile:
    """A torrent file ready to serve: its reader factory, size and content type."""

    torrent: Torrent
    file_index: int
    size: int
    name: str
    content_type: str

    def reader(self) -> FileReader:
        return self.torrent.open_file(self.file_index)


def resume_start(position: float, duration: float) -> float:
    """Where a title resumes: 0 when never started or watched (>= 90 %, or within 30 s of
    the end), else the saved position."""
    if position <= 0:
        return 0.0
    if duration > 0 and (position >= duration * WATCHED_FRACTION
                         or position >= duration - RESTART_IF_WITHIN_S):
        return 0.0
    return position


def quality_lines(quality: str) -> int | None:
    """"1080p" -> 1080, "4K" -> 2160; None for "auto" or anything unknown."""
    text = quality.strip().lower()
    if text in ("4k", "uhd"):
        return 2160
    digits = text.removesuffix("p")
    return int(digits) if digits.isdigit() else None


def content_type_for(name: str) -> str:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return EXTRA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class StreamService:
    """Implements the UI's PlayPort and resolves tokens for the HTTP routes."""

    def __init__(self, movies: MovieRepository, engine: TorrentEngine, signer: TokenSigner,
                 base_url: Callable[[], str], token_ttl: int,
                 peer_hints: PeerHints | None = None,
                 discover: Discover | None = None, quality: str = "auto") -> None:
        self._movies = movies
        self._max_lines = quality_lines(quality)
        self._engine = engine
        self._signer = signer
        self._base_url = base_url
        self._ttl = token_ttl
        self._peer_hints = peer_hints or (lambda _h: ())
        # Source discovery's on-demand search (None: demo/offline, nothing to search).
        self._discover = discover
        self._open: dict[tuple[int, int], OpenFile] = {}
        self._playing: dict[int, OpenFile] = {}  # media id -> the file open() handed out
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._open.clear()
        self._playing.clear()

    async def sources(self, media_id: int) -> list[SourceItem]:
        records = await asyncio.to_thread(self._movies.sources, media_id)
        return [SourceItem(id=r.id, provider=PROVIDER_NAMES.get(r.source, r.source),
                           quality=r.quality or "", video_codec=r.video_codec or "",
                           size_bytes=r.size, seeds=r.seeds, peers=r.peers, score=r.score,
                           audio=r.audio, languages=r.languages, explanation=r.explanation,
                           playable=r.playable)
                for r in records]

    async def search_sources(self, media_id: int,
                             progress: Callable[[str], None]) -> list[SourceItem]:
        if self._discover is None:
            return await self.sources(media_id)
        await self._discover(media_id, progress)
        return await self.sources(media_id)

    async def open(self, media_id: int, source_id: int | None = None) -> PlayTarget:
        movie = await asyncio.to_thread(self._movies.get, media_id)
        if movie is None:
            raise StreamError(f"No film with id {media_id}.")
        if source_id is None:
            source = await self._choose(media_id)
        else:
            source = await asyncio.to_thread(self._movies.get_source, source_id)
            if source is not None and source.movie_id != media_id:
                source = None
        if source is None:
            raise StreamError(f"No source found yet for “{movie.title}”.")
        opened = await self._open_source(source.id)
        self._playing[media_id] = opened
        token = self._signer.issue(media_id, source.id, opened.file_index, self._ttl)
        progress = await asyncio.to_thread(self._movies.progress, media_id)
        start = resume_start(progress.position, progress.duration) if progress else 0.0
        return PlayTarget(media_id, movie.title, f"{self._base_url()}/stream/{token}", start)

    async def _choose(self, media_id: int) -> SourceRecord | None:
        """The best source within the quality setting (best first = playable, then score);
        the best of all when none fits, so Play never fails because of the setting."""
        records = await asyncio.to_thread(self._movies.sources, media_id)
        if not records:
            return None
        if self._max_lines is None:
            return records[0]
        fitting = [r for r in records
                   if (quality_lines(r.quality or "") or 0) <= self._max_lines]
        return fitting[0] if fitting else records[0]

    async def prepare(self, media_id: int) -> None:
        """Add the best source's torrent and fetch its first piece before Play is pressed.

        Connecting to peers is the slow part of a cold start (libtorrent dials new peers
        on its own schedule, ~75 ms even on loopback, seconds on the internet); doing it
        while the viewer reads the Details screen takes it off the Play path.
        """
        try:
            source = await self._choose(media_id)
            if source is None:
                return
            opened = await self._open_source(source.id)
            reader = opened.reader()
            try:
                await reader.read(0, 1)
            finally:
                reader.close()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed warm-up only costs speed; Play reports errors
            log.info("could not prepare media %s: %s", media_id, exc)

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        await asyncio.to_thread(self._movies.save_progress, media_id, position, duration)

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        """Peers, speed and the downloaded parts of the file open(media_id) handed out."""
        opened = self._playing.get(media_id)
        if opened is None:
            return None
        return file_status(opened)

    async def _open_source(self, source_id: int, file_index: int | None = None) -> OpenFile:
        async with self._lock:
            key_any = next((k for k in self._open if k[0] == source_id
                            and (file_index is None or k[1] == file_index)), None)
            if key_any is not None:
                cached = self._open[key_any]
                # The cache may have evicted it (or the seeding policy removed it): a dead
                # torrent would fail every read, so add it again below.
                if self._engine.get(cached.torrent.info_hash) is cached.torrent:
                    return cached
                del self._open[key_any]
            source = await asyncio.to_thread(self._movies.get_source, source_id)
            if source is None:
                raise StreamError("This source no longer exists.")
            spec = TorrentSpec(torrent_bytes=source.torrent,
                               magnet=None if source.torrent else source.magnet_link,
                               peers=self._peer_hints(source.hash))
            try:
                torrent = await self._engine.add(spec)
                meta = await torrent.metadata()
            except TorrentError as exc:
                raise StreamError(f"The source cannot be opened: {exc}") from exc
            if file_index is None:
                videos = [f for f in meta.files if _ext(f.path) in VIDEO_EXTENSIONS] or list(
                    meta.files)
                chosen = max(videos, key=lambda f: f.size)
            else:
                matches = [f for f in meta.files if f.index == file_index]
                if not matches:
                    raise StreamError("The token names a file that is not in the torrent.")
                chosen = matches[0]
            name = chosen.path.rsplit("/", 1)[-1]
            opened = OpenFile(torrent, chosen.index, chosen.size, name, content_type_for(name))
            self._open[(source_id, chosen.index)] = opened
            return opened

    async def resolve(self, token: str) -> OpenFile:
        """Verify a token and return the file it grants; TokenError for anything forged."""
        claim: StreamClaim = self._signer.verify(token)
        source = await asyncio.to_thread(self._movies.get_source, claim.source_id)
        if source is None or source.movie_id != claim.media_id:
            raise TokenError("token names a source of another film")
        return await self._open_source(claim.source_id, claim.file_index)

    def issue_token(self, media_id: int, source_id: int, file_index: int) -> str:
        return self._signer.issue(media_id, source_id, file_index, self._ttl)


def file_status(opened: OpenFile) -> StreamStatus:
    """A StreamStatus of one open file from its torrent's last status and piece map."""
    torrent = opened.torrent
    status = torrent.status()
    meta = torrent.meta
    ranges: list[tuple[int, int]] = []
    if meta is not None and opened.size > 0:
        try:
            ranges = downloaded_ranges(meta, meta.file(opened.file_index), torrent.have_pieces())
        except Exception as exc:  # a status poll must never take the player down
            log.debug("piece map of %s unavailable: %s", torrent.info_hash, exc)
    size = max(opened.size, 1)
    return StreamStatus(
        peers=status.num_peers,
        download_rate=status.download_rate,
        size=opened.size,
        downloaded=sum(end - start for start, end in ranges),
        buffered=tuple((start / size, end / size) for start, end in ranges),
    )


def _ext(path: str) -> str:
    return "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""


__all__ = ["OpenFile", "StreamService", "TokenError", "content_type_for", "file_status",
           "resume_start"]
