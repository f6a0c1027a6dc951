"""StreamService: turns "play media X" into a signed stream URL backed by a torrent file."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace

from miauflix_desktop.core.errors import StreamError, TokenError, TorrentError
from miauflix_desktop.core.media import (
    WATCHED_FRACTION,
    PlayTarget,
    SourceItem,
    StreamStatus,
)
from miauflix_desktop.core.preload import WarmResult
from miauflix_desktop.services.sources.profiles import PC_PROFILE, basic_tv, samsung_tv
from miauflix_desktop.services.sources.types import TargetProfile
from miauflix_desktop.services.storage.repositories import MovieRepository, SourceRecord
from miauflix_desktop.services.streaming.opening import SharedOpens
from miauflix_desktop.services.streaming.tokens import DEFAULT_TARGET, StreamClaim, TokenSigner
from miauflix_desktop.services.torrent.priorities import DEFAULT_PRIORITY, pieces_for_range
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

# Playback targets open() knows by name (the token carries the name): what each decodes.
TARGETS: dict[str, TargetProfile] = {
    p.name: p for p in (PC_PROFILE, samsung_tv(), samsung_tv(hevc=False), basic_tv())}
TARGETS["tv"] = samsung_tv()

NO_VIDEO_TEXT = "This source has no video file."
# How SourceRecord.video_codec may name HEVC (parsett says "x265"; providers vary).
HEVC_NAMES = frozenset({"x265", "h265", "h.265", "hevc"})
H264_NAMES = frozenset({"x264", "h264", "h.264", "avc"})
# A switch must not leave the viewer waiting forever on a source whose metadata never
# comes (a magnet without peers): give up on it after this long and try the next.
SWITCH_OPEN_TIMEOUT_S = 20.0
# A download (open_source) waits this long for a magnet's metadata before it is reported
# as failed: long, a cold swarm may take minutes, but not forever.
OPEN_SOURCE_TIMEOUT_S = 180.0
# prepare() (the Details screen's warm-up) gives up after this long: it only saves time.
PREPARE_TIMEOUT_S = 30.0
NO_ANSWER_TEXT = "The source did not answer: no peer sent its file list."
REMOVED_TEXT = "The torrent of this film was removed while it played."

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
        # A finished or running download of the title (services/downloads.py): Play uses
        # that source, whose pieces are on disk, over a "better" one that is not.
        self._preferred: Callable[[int], int | None] | None = None
        self._playing: dict[int, OpenFile] = {}  # media id -> the file open() handed out
        # Per media id while it plays: the target it plays on, the source in use and the
        # sources that failed (stalled, no video) this session, so a switch skips them.
        self._sessions: dict[int, _PlaySession] = {}
        # Opens in progress (add + metadata), one per (source id, file index), never
        # under a lock: see _open_source.
        self._opens: SharedOpens[tuple[int, int | None], OpenFile] = SharedOpens("open")
        # Torrents kept on disk (downloads for later, TorrentCache.is_kept): a stall
        # switch never pauses one, and the preload never treats one as its own.
        self._kept: Callable[[str], bool] = lambda _h: False
        # Info hashes open_source() handed to a download (or Play) while a warm-up
        # waited: never marked preload-only afterwards.
        self._claimed: set[str] = set()
        # Torrents added by the viewport preload (warm) and not played since: only their
        # warmed pieces are wanted. open() claims them back (spec: to resume one the
        # seeding policy paused). Info hash -> spec.
        self._warm_only: dict[str, TorrentSpec] = {}
        self._warm_readers: dict[str, int] = {}  # info hash -> open warm-up readers

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._opens.cancel_all()
        self._open.clear()
        self._playing.clear()
        self._sessions.clear()

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

    async def open(self, media_id: int, source_id: int | None = None,
                   target: str = DEFAULT_TARGET) -> PlayTarget:
        """Stream source_id, or the best source for ``target`` (a TARGETS name: "pc",
        "tv", "basic-tv", ...): one it can decode, within the quality setting. A chosen
        source without a video file is skipped for the next best."""
        profile = target_profile(target)
        movie = await asyncio.to_thread(self._movies.get, media_id)
        if movie is None:
            raise StreamError(f"No film with id {media_id}.")
        session = _PlaySession(target=profile.name)
        if source_id is None:
            source, opened = await self._open_best(media_id, profile, session)
            if source is None or opened is None:
                if session.last_error:
                    raise StreamError(session.last_error)
                if await self._choose(media_id) is None:
                    raise StreamError(f"No source found yet for “{movie.title}”.")
                raise StreamError(f"None of the sources of “{movie.title}” plays on "
                                  f"{profile.label}.")
        else:
            source = await asyncio.to_thread(self._movies.get_source, source_id)
            if source is not None and source.movie_id != media_id:
                source = None
            if source is None:
                raise StreamError(f"No source found yet for “{movie.title}”.")
            opened = await self._open_source(source.id)
        session.source_id = source.id
        self._sessions[media_id] = session
        await self._wake(source, opened)
        await self._claim_warm(opened)
        set_bitrate(opened, movie.runtime)
        self._playing[media_id] = opened
        token = self._signer.issue(media_id, source.id, opened.file_index, self._ttl,
                                   target=profile.name)
        progress = await asyncio.to_thread(self._movies.progress, media_id)
        start = resume_start(progress.position, progress.duration) if progress else 0.0
        return PlayTarget(media_id, movie.title, f"{self._base_url()}/stream/{token}", start)

    async def _choose(self, media_id: int, target: str = DEFAULT_TARGET,
                      exclude: Collection[int] = ()) -> SourceRecord | None:
        """The best source for ``target`` within the quality setting (best first =
        playable, then score), skipping the ids in ``exclude``; see ``pick_source``."""
        records = await asyncio.to_thread(self._movies.sources, media_id)
        records = [r for r in records if r.id not in exclude]
        if not records:
            return None
        profile = target_profile(target)
        preferred = self._preferred(media_id) if self._preferred is not None else None
        if preferred is not None:
            kept = [r for r in records if r.id == preferred and decodes(profile, r)]
            if kept:
                return kept[0]
        return pick_source(records, profile, self._max_lines)

    async def _open_best(self, media_id: int, profile: TargetProfile, session: _PlaySession,
                         *, skip_errors: bool = False
                         ) -> tuple[SourceRecord | None, OpenFile | None]:
        """Open the best source not yet failed this session. A source without a video
        file (or, with ``skip_errors``, one that cannot be opened at all) is marked
        failed and the next one tried."""
        while True:
            source = await self._choose(media_id, profile.name, session.failed)
            if source is None:
                return None, None
            try:
                if skip_errors:
                    opened = await self._open_in_time(source.id, source.hash)
                else:
                    opened = await self._open_source(source.id)
            except NoVideoError as exc:
                log.warning("source %s of media %s: %s", source.id, media_id, exc)
            except (StreamError, TimeoutError) as exc:
                if not skip_errors:
                    raise
                log.warning("source %s of media %s cannot be opened: %s", source.id,
                            media_id, exc or "metadata timed out")
                exc_text = str(exc) or "The next source did not answer."
                session.failed.add(source.id)
                session.last_error = exc_text
                continue
            else:
                return source, opened
            session.failed.add(source.id)
            session.last_error = NO_VIDEO_TEXT

    async def _open_in_time(self, source_id: int, info_hash: str) -> OpenFile:
        """_open_source within SWITCH_OPEN_TIMEOUT_S; on a timeout the torrent this
        added (a magnet with no seed) is removed again, so it does not go on
        downloading a film nobody watches."""
        before = self._engine.get(info_hash) is not None
        try:
            return await asyncio.wait_for(self._open_source(source_id), SWITCH_OPEN_TIMEOUT_S)
        except TimeoutError:
            if not before and not self._opens.running((source_id, None)):
                await drop_unanswered(self._engine, info_hash, self._kept,
                                      self._playing_hashes())
            raise

    def _playing_hashes(self) -> set[str]:
        return {o.torrent.info_hash for o in self._playing.values()}

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        """Give up the source media_id plays from (it stalled) and stream the next best
        one for the same target from ``position``; None when none is left."""
        session = self._sessions.setdefault(media_id, _PlaySession(DEFAULT_TARGET))
        if session.source_id is not None:
            session.failed.add(session.source_id)
        movie = await asyncio.to_thread(self._movies.get, media_id)
        if movie is None:
            return None
        old = self._playing.get(media_id)
        source, opened = await self._open_best(media_id, target_profile(session.target),
                                               session, skip_errors=True)
        if source is None or opened is None:
            log.warning("no other source for media %s (%d failed)", media_id,
                        len(session.failed))
            return None
        await self._claim_warm(opened)
        await self._wake(source, opened)
        session.source_id = source.id
        self._playing[media_id] = opened
        if old is not None and old.torrent is not opened.torrent:
            self._pause_abandoned(old)
        token = self._signer.issue(media_id, source.id, opened.file_index, self._ttl,
                                   target=session.target)
        log.info("media %s switched to source %s at %.0f s", media_id, source.id, position)
        return PlayTarget(media_id, movie.title, f"{self._base_url()}/stream/{token}",
                          max(0.0, position), source_label=switch_label(source))

    async def _wake(self, source: SourceRecord, opened: OpenFile) -> None:
        """Play of a torrent that was paused (a stalled source given up earlier) or
        stopped by an error (space freed since?): adding it again resumes it."""
        info_hash = opened.torrent.info_hash
        if self._engine.seeding_stopped(info_hash) or self._engine.failure(info_hash):
            await self._engine.add(TorrentSpec(
                torrent_bytes=source.torrent,
                magnet=None if source.torrent else source.magnet_link,
                peers=self._peer_hints(source.hash)))

    def _pause_abandoned(self, old: OpenFile) -> None:
        """Stop the stalled torrent competing with the new source for bandwidth (unless
        something else plays it); playing it again resumes it."""
        if any(o.torrent is old.torrent for o in self._playing.values()):
            return
        if self._kept(old.torrent.info_hash):
            # A download for later (Play prefers it): it must go on downloading.
            return
        try:
            self._engine.stop_seeding(old.torrent.info_hash)
        except Exception as exc:  # a stalled torrent left running only costs bandwidth
            log.info("could not pause %s: %s", old.torrent.info_hash, exc)

    def keep_check(self, is_kept: Callable[[str], bool]) -> None:
        """``is_kept(info_hash)``: a torrent kept on disk (a download for later), which
        a stall switch never pauses and the preload never takes as its own."""
        self._kept = is_kept

    def is_kept(self, info_hash: str) -> bool:
        """True for a torrent kept on disk (see keep_check)."""
        return self._kept(info_hash.lower())

    def prefer_sources(self, preferred: Callable[[int], int | None]) -> None:
        """Play picks ``preferred(media_id)`` (a source id, or None) over the best one."""
        self._preferred = preferred

    async def choose_source(self, media_id: int) -> SourceRecord | None:
        """The source Play would use for a title (see ``_choose``)."""
        return await self._choose(media_id)

    async def open_source(self, source_id: int) -> OpenFile:
        """Add a source's torrent (with the same peer hints as Play) and its metadata;
        StreamError (NO_ANSWER_TEXT) when no peer sends the metadata in
        OPEN_SOURCE_TIMEOUT_S (the torrent stays added: a kept one goes on trying)."""
        try:
            opened = await asyncio.wait_for(self._open_source(source_id),
                                            OPEN_SOURCE_TIMEOUT_S)
        except TimeoutError:
            raise StreamError(NO_ANSWER_TEXT) from None
        source = await asyncio.to_thread(self._movies.get_source, source_id)
        if source is not None:
            await self._wake(source, opened)  # paused unfinished (a stall switch): resume
        self._claimed.add(opened.torrent.info_hash)
        await self._claim_warm(opened)
        return opened

    async def prepare(self, media_id: int) -> None:
        """Add the best source's torrent and fetch its first piece before Play is pressed.

        Connecting to peers is the slow part of a cold start (libtorrent dials new peers
        on its own schedule, ~75 ms even on loopback, seconds on the internet); doing it
        while the viewer reads the Details screen takes it off the Play path.
        """
        try:
            await asyncio.wait_for(self._prepare(media_id), PREPARE_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed warm-up only costs speed; Play reports errors
            log.info("could not prepare media %s: %s", media_id, exc)

    async def _prepare(self, media_id: int) -> None:
        source = await self._choose(media_id)
        if source is None:
            return
        opened = await self._open_source(source.id)
        reader = opened.reader()
        try:
            await reader.read(0, 1)
        finally:
            reader.close()

    # ------------------------------------- viewport preload (services/preload.py)

    async def warm(self, media_id: int, header_bytes: int, footer_bytes: int, *,
                   add_torrent: bool = True) -> WarmResult | None:
        """Preload a title the viewer is looking at: its best source; with add_torrent its
        torrent and metadata (only for a source whose .torrent is stored: the result then
        has no info hash); and the pieces holding the first ``header_bytes`` and the
        last ``footer_bytes`` of its main video, so Play starts from local pieces.

        A torrent added here wants only those pieces (nothing else downloads, so the
        preload never competes with a stream) until open() claims it. None when the
        title has no source yet. Raises StreamError; cancellable (deadlines given back).
        """
        source = await self._choose(media_id)
        if source is None:
            return None
        if not add_torrent or not source.torrent:
            # A magnet without its .torrent yet: fetching metadata from the swarm takes
            # seconds and holds the open lock (Play would wait behind it), and a torrent
            # left behind by a cancelled wait would then download in full. Discovery
            # fetches the .torrent (dataFileSearch); the preload tries again later.
            return WarmResult(media_id, source.id)
        before = {t.info_hash for t in self._engine.torrents()}
        # A claim only matters while its torrent is in the engine: one removed since
        # (an unmarked download) may be preloaded like any other.
        self._claimed &= before
        # Resume data: a torrent from an earlier run (played then), never "preload only".
        known = self._engine.resume_path(source.hash).exists()
        opened = await self._open_source(source.id)
        torrent = opened.torrent
        key = torrent.info_hash
        known = known or self._engine.resume_path(key).exists()
        # Not when Play opened it while this call waited for the add: it is being played.
        # Nor when a download claimed it (open_source) or keeps it: release_warm would
        # delete its files.
        if (key not in before and not known and key not in self._claimed
                and not self._kept(key)
                and all(o.torrent is not torrent for o in self._playing.values())):
            self._warm_only[key] = TorrentSpec(torrent_bytes=source.torrent,
                                               peers=self._peer_hints(source.hash))
        if key in self._warm_only:
            _hold_back(torrent)
        meta = torrent.meta
        if meta is None:
            raise StreamError("The source has no metadata.")
        entry = meta.file(opened.file_index)
        wanted = warm_pieces(meta.piece_length, entry.offset, entry.size, header_bytes,
                             footer_bytes)
        have = torrent.have_pieces()
        missing = [p for p in wanted if not (p < len(have) and have[p])]
        if missing:
            reader = opened.reader()
            self._warm_readers[key] = self._warm_readers.get(key, 0) + 1
            try:
                for piece in missing:  # wanted even while the rest stays at priority 0
                    torrent.handle.piece_priority(piece, WARM_PRIORITY)
                torrent.set_wants(reader, {p: i * WARM_STEP_MS for i, p in enumerate(missing)})
                await asyncio.gather(*(torrent.wait_piece(p) for p in missing))
            except TorrentError as exc:
                raise StreamError(f"The source cannot be preloaded: {exc}") from exc
            finally:
                reader.close()
                left = self._warm_readers.pop(key, 1) - 1
                if left > 0:
                    self._warm_readers[key] = left
                if key in self._warm_only:
                    _hold_back(torrent)  # closing the reader put its pieces back to normal
        return WarmResult(media_id, source.id, key,
                          sum(meta.piece_size(p) for p in missing),
                          key in self._warm_only, pieces_local=True)

    def is_warm_only(self, info_hash: str) -> bool:
        """True for a torrent the preload added that nobody has played since."""
        return info_hash.lower() in self._warm_only

    def warm_only_hashes(self) -> list[str]:
        """Those torrents, oldest first."""
        return list(self._warm_only)

    def streaming(self) -> bool:
        """True while any torrent has a reader open that is not a warm-up's (a stream)."""
        return any(self._engine.is_streaming(t.info_hash) for t in self._engine.torrents()
                   if t.info_hash not in self._warm_readers)

    async def release_warm(self, info_hash: str) -> bool:
        """Remove a preloaded torrent nobody played, with its files. False when it was
        played (claimed) meanwhile or is being read."""
        key = info_hash.lower()
        if key in self._warm_only and (self._kept(key) or key in self._claimed):
            del self._warm_only[key]  # a download took it over: never delete its files
            return False
        if (key not in self._warm_only or key in self._warm_readers
                or self._engine.is_streaming(key)):
            return False
        del self._warm_only[key]
        await self._engine.remove(key, delete_files=True)
        return True

    async def _claim_warm(self, opened: OpenFile) -> None:
        """Play (or a download) of a preloaded torrent: every piece is wanted again."""
        spec = self._warm_only.pop(opened.torrent.info_hash, None)
        if spec is None:
            return
        torrent = opened.torrent
        if torrent.meta is not None and torrent.handle.is_valid():
            torrent.handle.prioritize_pieces([DEFAULT_PRIORITY] * torrent.meta.num_pieces)
        await self._engine.add(spec)  # resumes it if the seeding policy paused it

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        await asyncio.to_thread(self._movies.save_progress, media_id, position, duration)

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        """Peers, speed and the downloaded parts of the file open(media_id) handed out;
        ``error`` says when its torrent has stopped for good (removed, disk full)."""
        opened = self._playing.get(media_id)
        if opened is None:
            return None
        return status_with_failure(self._engine, opened)

    async def _open_source(self, source_id: int, file_index: int | None = None) -> OpenFile:
        """The open file of a source (``file_index`` None: its main video), cached.

        Adding the torrent and awaiting its metadata runs outside any lock, shared by
        every caller asking for the same (source, file) at once: a magnet without seeds
        (a switch candidate, a download, a warm-up) never holds up a stream of another
        source. No await between the cache lookup and the in-flight lookup, so two
        callers cannot both start the work."""
        key_any = next((k for k in self._open if k[0] == source_id
                        and (file_index is None or k[1] == file_index)), None)
        if key_any is not None:
            cached = self._open[key_any]
            # The cache may have evicted it (or the seeding policy removed it): a dead
            # torrent would fail every read, so add it again below.
            if self._engine.get(cached.torrent.info_hash) is cached.torrent:
                return cached
            del self._open[key_any]
        return await self._opens.run((source_id, file_index),
                                     lambda: self._add_and_open(source_id, file_index))

    async def _add_and_open(self, source_id: int, file_index: int | None) -> OpenFile:
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
            # Only a video will do: the largest other file (an .iso, a .rar, a
            # sample-less .nfo pack) would reach the player as garbage.
            videos = [f for f in meta.files if _ext(f.path) in VIDEO_EXTENSIONS]
            if not videos:
                raise NoVideoError(NO_VIDEO_TEXT)
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
        return check_alive(self._engine,
                           await self._open_source(claim.source_id, claim.file_index))

    def issue_token(self, media_id: int, source_id: int, file_index: int) -> str:
        return self._signer.issue(media_id, source_id, file_index, self._ttl)


class NoVideoError(StreamError):
    """The source's torrent holds no video file."""


@dataclass
class _PlaySession:
    """One title's playback: on which target, from which source, which ones failed."""

    target: str
    source_id: int | None = None
    failed: set[int] = field(default_factory=set)
    last_error: str = ""


def target_profile(target: str) -> TargetProfile:
    """The TargetProfile of a target name; StreamError for a name nobody knows."""
    try:
        return TARGETS[target]
    except KeyError:
        raise StreamError(f"Unknown playback target “{target}”.") from None


def decodes(profile: TargetProfile, record: SourceRecord) -> bool:
    """Whether ``profile`` can play the release (codec, bit depth, HDR, audio, lines)."""
    if profile.name == PC_PROFILE.name and not record.playable:
        return False  # scoring judged it for this PC already
    codec = (record.video_codec or "").lower()
    if codec in HEVC_NAMES and not profile.hevc:
        return False
    if codec == "av1" and not profile.av1:
        return False
    # Hi10P: 10-bit H.264, which no TV's hardware decoder handles.
    if codec in H264_NAMES and (record.bit_depth or 8) >= 10 and not profile.hi10p:
        return False
    if record.hdr and not profile.hdr:
        return False  # an SDR panel shows HDR10/DV washed out (or not at all)
    if any(part in profile.unsupported_audio for part in record.audio.split()):
        return False
    lines = quality_lines(record.quality or "")
    return lines is None or lines <= profile.max_resolution


def pick_source(records: Sequence[SourceRecord], profile: TargetProfile,
                max_lines: int | None) -> SourceRecord | None:
    """The first (best) record the target decodes, within ``max_lines`` when one fits.

    The PC falls back to the best of all when it decodes none (mpv tries anything, and
    Play never fails because of the setting); another target gets None instead of a
    release it cannot play.
    """
    pool = [r for r in records if decodes(profile, r)]
    if not pool:
        pool = list(records) if profile.name == PC_PROFILE.name else []
    if not pool:
        return None
    if max_lines is None:
        return pool[0]
    fitting = [r for r in pool if (quality_lines(r.quality or "") or 0) <= max_lines]
    return fitting[0] if fitting else pool[0]


def switch_label(record: SourceRecord) -> str:
    """"720p · x264 from YTS": what the player switched to."""
    what = " · ".join(p for p in (record.quality or "", record.video_codec or "") if p)
    provider = PROVIDER_NAMES.get(record.source, record.source)
    return f"{what} from {provider}" if what else f"a source from {provider}"


def stream_failure(engine: TorrentEngine, opened: OpenFile) -> str | None:
    """Why the torrent of a playing file has stopped for good (libtorrent's error:
    disk full, ...; or it was removed), None while it runs."""
    info_hash = opened.torrent.info_hash
    failure = engine.failure(info_hash)
    if failure is None and engine.get(info_hash) is not opened.torrent:
        failure = REMOVED_TEXT
    return failure


def status_with_failure(engine: TorrentEngine, opened: OpenFile) -> StreamStatus:
    """file_status, with ``error`` set when the torrent has stopped for good."""
    status = file_status(opened)
    failure = stream_failure(engine, opened)
    return replace(status, error=failure) if failure else status


def check_alive(engine: TorrentEngine, opened: OpenFile) -> OpenFile:
    """``opened``, or StreamError when libtorrent stopped its torrent (disk full): a new
    request would wait forever (the route answers 503 with the reason)."""
    failure = engine.failure(opened.torrent.info_hash)
    if failure:
        raise StreamError(failure)
    return opened


async def drop_unanswered(engine: TorrentEngine, info_hash: str,
                          is_kept: Callable[[str], bool], playing: Collection[str]) -> None:
    """Remove a torrent a switch added whose metadata never came (no seed), unless it is
    kept (a download), played or read meanwhile: at normal priorities it would download a
    whole film nobody watches once a peer shows up."""
    key = info_hash.lower()
    if (engine.get(key) is None or is_kept(key) or key in playing
            or engine.is_streaming(key)):
        return
    log.info("removing %s: its metadata did not come in time", key)
    try:
        await engine.remove(key)
    except Exception as exc:  # left behind, it only costs bandwidth
        log.info("could not remove %s: %s", key, exc)


def set_bitrate(opened: OpenFile, runtime_minutes: int | None) -> None:
    """Tell the torrent the file's average bitrate (size / duration), so its readers size
    their deadline window in seconds of playback rather than a fixed byte count."""
    if runtime_minutes and runtime_minutes > 0 and opened.size > 0:
        opened.torrent.set_bitrate(opened.file_index, opened.size / (runtime_minutes * 60))


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


# Warm-up pieces are due one after another in this step, header first: the first bytes
# matter most (a player reads them before anything else).
WARM_STEP_MS = 50
# Above the normal priority (4) of a played torrent's pieces, below time-critical (7).
WARM_PRIORITY = 6


def warm_pieces(piece_length: int, file_offset: int, file_size: int, header_bytes: int,
                footer_bytes: int) -> list[int]:
    """Pieces holding a file's first ``header_bytes`` and last ``footer_bytes``, header
    first, each once."""
    if file_size <= 0 or piece_length <= 0:
        return []
    pieces: list[int] = []
    if header_bytes > 0:
        pieces += pieces_for_range(piece_length, file_offset, 0,
                                   min(header_bytes, file_size) - 1)
    if footer_bytes > 0:
        pieces += pieces_for_range(piece_length, file_offset,
                                   max(0, file_size - footer_bytes), file_size - 1)
    return list(dict.fromkeys(pieces))


def _hold_back(torrent: Torrent) -> None:
    """Only the pieces a preloaded torrent already has stay wanted: libtorrent fetches
    nothing else for it until Play claims it."""
    meta = torrent.meta
    if meta is None or not torrent.handle.is_valid():
        return
    have = torrent.have_pieces()
    if len(have) == meta.num_pieces:
        torrent.handle.prioritize_pieces([DEFAULT_PRIORITY if h else 0 for h in have])


def _ext(path: str) -> str:
    return "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""


__all__ = ["OpenFile", "StreamService", "TokenError", "content_type_for", "file_status",
           "resume_start"]
