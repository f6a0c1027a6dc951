"""EpisodeStreams: turns "play episode X" into a signed stream URL of the right torrent file.

The UI's EpisodePort. An episode plays from an EpisodeSource: a single-episode release
(its largest video file) or a season pack, whose file for the episode is found from the
torrent's file list the first time the pack is opened (SxxEyy parsed from the file names
with services.sources.release) and stored for every episode it holds, so the next episode
from the same pack opens without parsing again.

Stream tokens carry episode_media_id(episode_id) (negative) as their media id; resolve()
serves those and hands film tokens to StreamService.resolve, so one HTTP route serves
both. Progress is per episode (EpisodeProgress).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath

from miauflix_desktop.core.errors import StreamError, TokenError, TorrentError
from miauflix_desktop.core.media import (
    EpisodeRef,
    PlayTarget,
    SourceItem,
    StreamStatus,
    episode_media_id,
    episode_of,
)
from miauflix_desktop.services.sources.release import parse_release
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRecord,
    EpisodeSourceRepository,
    EpisodeToSearch,
)
from miauflix_desktop.services.streaming.opening import SharedOpens
from miauflix_desktop.services.streaming.service import (
    PROVIDER_NAMES,
    SWITCH_OPEN_TIMEOUT_S,
    VIDEO_EXTENSIONS,
    OpenFile,
    StreamService,
    check_alive,
    content_type_for,
    drop_unanswered,
    quality_lines,
    resume_start,
    status_with_failure,
)
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.torrent import FileEntry, Torrent, TorrentMeta

log = logging.getLogger(__name__)

PeerHints = Callable[[str], tuple[tuple[str, int], ...]]
PreferSource = Callable[[int, int, int], int | None]
# The next episode is prefetched ~60 s before the end: an open that takes longer than
# this is reported as failed (the countdown then says the next one has no source yet).
PREFETCH_TIMEOUT_S = 45.0
DiscoverEpisode = Callable[[int, Callable[[str], None]], Awaitable[int]]


def episode_code(season: int, episode: int) -> str:
    return f"S{season:02d}E{episode:02d}"


def map_episode_files(meta: TorrentMeta) -> dict[tuple[int, int], int]:
    """(season, episode) -> file index for every video file whose name says which
    episode it is. The folder names the season when the file does not ("Season 2/03.mkv").
    A file holding two episodes (S01E01E02) maps both; a sample never wins over the
    episode itself (the larger file is kept)."""
    mapping: dict[tuple[int, int], FileEntry] = {}
    for entry in meta.files:
        path = PurePosixPath(entry.path)
        if path.suffix.lower() not in VIDEO_EXTENSIONS:
            continue
        info = parse_release(path.name)
        seasons = info.seasons
        if not seasons:
            for folder in reversed(path.parts[:-1]):
                seasons = parse_release(folder).seasons
                if seasons:
                    break
        if not info.episodes or len(seasons) != 1:
            continue
        for number in info.episodes:
            key = (seasons[0], number)
            known = mapping.get(key)
            if known is None or entry.size > known.size:
                mapping[key] = entry
    return {key: entry.index for key, entry in mapping.items()}


def _largest_video(meta: TorrentMeta) -> FileEntry:
    videos = [f for f in meta.files if PurePosixPath(f.path).suffix.lower()
              in VIDEO_EXTENSIONS] or list(meta.files)
    return max(videos, key=lambda f: f.size)


class EpisodeStreams:
    """Implements the UI's EpisodePort; resolve() is the stream server's resolver."""

    def __init__(self, repo: EpisodeSourceRepository, engine: TorrentEngine,
                 signer: TokenSigner, films: StreamService, base_url: Callable[[], str],
                 token_ttl: int, peer_hints: PeerHints | None = None,
                 discover: DiscoverEpisode | None = None, quality: str = "auto") -> None:
        self._repo = repo
        self._engine = engine
        self._signer = signer
        self._films = films
        self._base_url = base_url
        self._ttl = token_ttl
        self._peer_hints = peer_hints or (lambda _h: ())
        self._discover = discover
        self._max_lines = quality_lines(quality)
        # (show id, season, episode) -> the source downloaded for it (DownloadsService):
        # what plays first, from disk, with no peers needed.
        self._prefer: PreferSource = lambda _show, _season, _episode: None
        self._open: dict[tuple[int, int], OpenFile] = {}
        self._playing: dict[int, OpenFile] = {}  # episode media id -> what open handed out
        # Per episode media id while it plays: the source in use and the ones that
        # stalled this session (a switch skips them).
        self._using: dict[int, int] = {}
        self._failed: dict[int, set[int]] = {}
        # Opens in progress, one per (source id, file index), never under a lock: a
        # magnet without seeds must not hold up the stream route (see opening.py).
        self._opens: SharedOpens[tuple[int, int], OpenFile] = SharedOpens("episode-open")
        self._metas: SharedOpens[int, TorrentMeta] = SharedOpens("episode-meta")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._opens.cancel_all()
        self._metas.cancel_all()
        self._open.clear()
        self._playing.clear()

    # -- sources --------------------------------------------------------------------

    async def episode_sources(self, episode_id: int) -> list[SourceItem]:
        ep = await asyncio.to_thread(self._repo.episode, episode_id)
        if ep is None:
            return []
        records = await asyncio.to_thread(self._repo.sources_for, ep.show_id, ep.season,
                                          ep.episode)
        return [_item(r) for r in records]

    async def search_episode_sources(self, episode_id: int,
                                     progress: Callable[[str], None]) -> list[SourceItem]:
        if self._discover is not None:
            await self._discover(episode_id, progress)
        return await self.episode_sources(episode_id)

    async def next_episode(self, episode_id: int) -> EpisodeRef | None:
        nxt = await asyncio.to_thread(self._repo.next_episode, episode_id)
        return _ref(nxt) if nxt is not None else None

    async def episode_ref(self, episode_id: int) -> EpisodeRef | None:
        ep = await asyncio.to_thread(self._repo.episode, episode_id)
        return _ref(ep) if ep is not None else None

    async def episode_resume_point(self, episode_id: int) -> float | None:
        saved = await asyncio.to_thread(self._repo.progress, episode_id)
        # The rule open_episode() starts by, so the button never promises what OK won't do.
        start = resume_start(*saved) if saved else 0.0
        return start if start > 0 else None

    async def episode_start_over(self, episode_id: int) -> None:
        await asyncio.to_thread(self._repo.forget_progress, episode_id)

    # -- downloads ------------------------------------------------------------------

    def prefer_sources(self, prefer: PreferSource) -> None:
        """Play an episode from its downloaded source when there is one."""
        self._prefer = prefer

    async def season_sources(self, show_id: int, season: int
                             ) -> tuple[list[tuple[EpisodeSourceRecord, tuple[int, ...]]],
                                        list[int]]:
        """What downloading a season takes: each episode's best source (the one Play
        would pick), grouped so a season pack holding several episodes comes once with
        all of them; and the episode numbers no source is known for yet."""
        numbers = await asyncio.to_thread(self._repo.season_episode_numbers, show_id, season)
        picked: dict[int, tuple[EpisodeSourceRecord, list[int]]] = {}
        missing: list[int] = []
        for number in numbers:
            records = await asyncio.to_thread(self._repo.sources_for, show_id, season, number)
            best = self._pick(records)
            if best is None:
                missing.append(number)
                continue
            picked.setdefault(best.id, (best, []))[1].append(number)
        return [(record, tuple(eps)) for record, eps in picked.values()], missing

    async def open_download(self, source_id: int) -> Torrent:
        """Add an episode source's torrent for a download (with the peer hints streaming
        uses); returns once its metadata is known."""
        record = await asyncio.to_thread(self._repo.source, source_id)
        if record is None:
            raise StreamError("The source of this download is gone.")
        spec = TorrentSpec(torrent_bytes=record.torrent,
                           magnet=None if record.torrent else record.magnet_link,
                           peers=self._peer_hints(record.hash))
        try:
            torrent = await self._engine.add(spec)
            meta = await torrent.metadata()
        except TorrentError as exc:
            raise StreamError(f"The source cannot be opened: {exc}") from exc
        if record.season_pack and not record.files_mapped:
            # Which episodes the pack really holds: season_sources() counts on it now
            # (a pack listed for a whole season may lack some episodes).
            await asyncio.to_thread(self._repo.save_file_map, record.id,
                                    map_episode_files(meta))
        return torrent

    # -- playing --------------------------------------------------------------------

    async def open_episode(self, episode_id: int,
                           source_id: int | None = None) -> PlayTarget:
        ep = await asyncio.to_thread(self._repo.episode, episode_id)
        if ep is None:
            raise StreamError(f"No episode with id {episode_id}.")
        record = await self._choose(ep, source_id)
        if record is None:
            raise StreamError(f"No source found yet for {episode_code(ep.season, ep.episode)}"
                              f" of “{ep.show_title}”.")
        opened = await self._open_record(record, ep.season, ep.episode)
        media_id = episode_media_id(episode_id)
        self._playing[media_id] = opened
        self._using[media_id] = record.id
        self._failed.pop(media_id, None)
        token = self._signer.issue(media_id, record.id, opened.file_index, self._ttl)
        saved = await asyncio.to_thread(self._repo.progress, episode_id)
        start = resume_start(*saved) if saved else 0.0
        title = f"{ep.show_title} — {_ref(ep).label}"
        return PlayTarget(media_id, title, f"{self._base_url()}/stream/{token}", start)

    async def switch_source(self, media_id: int, position: float) -> PlayTarget | None:
        """The episode's stream stalled: give up its source for this session and stream
        the next best one from ``position``; None when no other source is left (or it
        cannot be opened either)."""
        episode_id = episode_of(media_id)
        if episode_id is None:
            return await self._films.switch_source(media_id, position)
        failed = self._failed.setdefault(media_id, set())
        if media_id in self._using:
            failed.add(self._using[media_id])
        ep = await asyncio.to_thread(self._repo.episode, episode_id)
        if ep is None:
            return None
        records = await asyncio.to_thread(self._repo.sources_for, ep.show_id, ep.season,
                                          ep.episode)
        for record in records:
            if record.id in failed:
                continue
            # As for films: a candidate whose metadata never comes (a magnet without
            # seeds) is given up after SWITCH_OPEN_TIMEOUT_S, not waited on forever.
            before = self._engine.get(record.hash) is not None
            try:
                opened = await asyncio.wait_for(
                    self._open_record(record, ep.season, ep.episode), SWITCH_OPEN_TIMEOUT_S)
            except (StreamError, TimeoutError) as exc:
                log.info("episode %s: source %s cannot be opened: %s", episode_id,
                         record.id, exc or "metadata timed out")
                failed.add(record.id)
                if (isinstance(exc, TimeoutError) and not before
                        and not self._metas.running(record.id)
                        and (record.file_index is None
                             or not self._opens.running((record.id, record.file_index)))):
                    await drop_unanswered(
                        self._engine, record.hash, self._films.is_kept,
                        {o.torrent.info_hash for o in self._playing.values()})
                continue
            self._playing[media_id] = opened
            self._using[media_id] = record.id
            token = self._signer.issue(media_id, record.id, opened.file_index, self._ttl)
            what = " · ".join(p for p in (record.quality or "", record.video_codec or "")
                              if p)
            provider = PROVIDER_NAMES.get(record.source, record.source)
            label = f"{what} from {provider}" if what else f"a source from {provider}"
            return PlayTarget(media_id, f"{ep.show_title} — {_ref(ep).label}",
                              f"{self._base_url()}/stream/{token}", max(0.0, position),
                              source_label=label)
        log.warning("no other source for episode %s (%d failed)", episode_id, len(failed))
        return None

    async def prefetch_episode(self, episode_id: int) -> bool:
        """Open the best source of the episode (searching first when it has none) and
        fetch the first piece of its file, so autoplay starts without the cold start."""
        try:
            ep = await asyncio.to_thread(self._repo.episode, episode_id)
            if ep is None:
                return False
            record = await self._choose(ep, None)
            if record is None and self._discover is not None:
                await self._discover(episode_id, lambda _text: None)
                record = await self._choose(ep, None)
            if record is None:
                return False
            # Before the end of the episode, or autoplay would wait on it anyway.
            opened = await asyncio.wait_for(
                self._open_record(record, ep.season, ep.episode), PREFETCH_TIMEOUT_S)
            reader = opened.reader()
            try:
                await reader.read(0, 1)
            finally:
                reader.close()
            log.info("prefetched %s %s", ep.show_title, episode_code(ep.season, ep.episode))
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed warm-up only costs speed; open reports errors
            log.info("could not prefetch episode %s: %s", episode_id, exc)
            return False

    async def save_position(self, media_id: int, position: float, duration: float) -> None:
        episode_id = episode_of(media_id)
        if episode_id is None:
            await self._films.save_position(media_id, position, duration)
            return
        await asyncio.to_thread(self._repo.save_progress, episode_id, position, duration)

    async def stream_status(self, media_id: int) -> StreamStatus | None:
        if episode_of(media_id) is None:
            return await self._films.stream_status(media_id)
        opened = self._playing.get(media_id)
        # Removed, disk full: the same error the film path reports (not a stall).
        return status_with_failure(self._engine, opened) if opened is not None else None

    async def resolve(self, token: str) -> OpenFile:
        """The stream server's resolver: episode tokens here, film tokens to films."""
        claim = self._signer.verify(token)
        episode_id = episode_of(claim.media_id)
        if episode_id is None:
            return await self._films.resolve(token)
        ep = await asyncio.to_thread(self._repo.episode, episode_id)
        record = (await asyncio.to_thread(self._repo.get, claim.source_id, ep.season,
                                          ep.episode) if ep is not None else None)
        if record is None or ep is None or record.show_id != ep.show_id:
            raise TokenError("token names a source of another episode")
        return check_alive(self._engine, await self._open_file(record, claim.file_index))

    # -- internals ------------------------------------------------------------------

    async def _choose(self, ep: EpisodeToSearch,
                      source_id: int | None) -> EpisodeSourceRecord | None:
        records = await asyncio.to_thread(self._repo.sources_for, ep.show_id, ep.season,
                                          ep.episode)
        if source_id is not None:
            return next((r for r in records if r.id == source_id), None)
        preferred = self._prefer(ep.show_id, ep.season, ep.episode)
        downloaded = next((r for r in records if r.id == preferred), None)
        return downloaded if downloaded is not None else self._pick(records)

    def _pick(self, records: list[EpisodeSourceRecord]) -> EpisodeSourceRecord | None:
        """The best source under the quality setting (else the best there is)."""
        if not records or self._max_lines is None:
            return records[0] if records else None
        fitting = [r for r in records
                   if (quality_lines(r.quality or "") or 0) <= self._max_lines]
        return fitting[0] if fitting else records[0]

    async def _open_record(self, record: EpisodeSourceRecord, season: int,
                           episode: int) -> OpenFile:
        if record.file_index is not None:
            return await self._open_file(record, record.file_index)
        meta = await self._metadata(record)
        mapping = map_episode_files(meta)
        index = mapping.get((season, episode))
        if index is None and not record.season_pack:
            # A single-episode release whose file name does not say: its main video.
            index = _largest_video(meta).index
            mapping[(season, episode)] = index
        if not record.season_pack:
            # Only the episodes it was listed for (a sample named S01E01 is no reason to
            # offer the release for other episodes).
            mapping = {k: v for k, v in mapping.items() if k == (season, episode)}
        await asyncio.to_thread(self._repo.save_file_map, record.id, mapping)
        if index is None:
            raise StreamError(f"This season pack has no file for "
                              f"{episode_code(season, episode)}.")
        return await self._open_file(record, index)

    async def _metadata(self, record: EpisodeSourceRecord) -> TorrentMeta:
        return await self._metas.run(record.id, lambda: self._add_for_meta(record))

    async def _add_for_meta(self, record: EpisodeSourceRecord) -> TorrentMeta:
        spec = TorrentSpec(torrent_bytes=record.torrent,
                           magnet=None if record.torrent else record.magnet_link,
                           peers=self._peer_hints(record.hash))
        try:
            torrent = await self._engine.add(spec)
            return await torrent.metadata()
        except TorrentError as exc:
            raise StreamError(f"The source cannot be opened: {exc}") from exc

    async def _open_file(self, record: EpisodeSourceRecord, file_index: int) -> OpenFile:
        key = (record.id, file_index)
        cached = self._open.get(key)
        if cached is not None:
            if self._engine.get(cached.torrent.info_hash) is cached.torrent:
                return cached
            del self._open[key]  # evicted or removed meanwhile: add it again
        return await self._opens.run(key, lambda: self._add_file(record, file_index))

    async def _add_file(self, record: EpisodeSourceRecord, file_index: int) -> OpenFile:
        spec = TorrentSpec(torrent_bytes=record.torrent,
                           magnet=None if record.torrent else record.magnet_link,
                           peers=self._peer_hints(record.hash))
        try:
            torrent = await self._engine.add(spec)
            meta = await torrent.metadata()
        except TorrentError as exc:
            raise StreamError(f"The source cannot be opened: {exc}") from exc
        entry = next((f for f in meta.files if f.index == file_index), None)
        if entry is None:
            raise StreamError("The episode's file is not in the torrent.")
        name = PurePosixPath(entry.path).name
        opened = OpenFile(torrent, entry.index, entry.size, name, content_type_for(name))
        self._open[(record.id, file_index)] = opened
        return opened


def _ref(ep: EpisodeToSearch) -> EpisodeRef:
    return EpisodeRef(ep.episode_id, ep.season, ep.episode, ep.title)


def _item(r: EpisodeSourceRecord) -> SourceItem:
    provider = PROVIDER_NAMES.get(r.source, r.source)
    explanation = r.explanation
    if r.season_pack:
        # The pack's size is the whole season's; say so rather than look huge.
        explanation = f"Season pack — {explanation}" if explanation else "Season pack"
    return SourceItem(id=r.id, provider=provider, quality=r.quality or "",
                      video_codec=r.video_codec or "", size_bytes=r.size, seeds=r.seeds,
                      peers=r.peers, score=r.score, audio=r.audio, languages=r.languages,
                      explanation=explanation, playable=r.playable)


__all__ = ["EpisodeStreams", "episode_code", "map_episode_files"]
