"""SourceDiscovery: find, score, validate and keep fresh the BitTorrent sources of films.

The seed's background tasks are methods here, each handling a small batch per tick so
the scheduler can run them on short intervals without hogging anything:

- movieSourceSearch (search_next): ask every provider about the next film that has never
  been searched (most popular first) or was searched long ago;
- dataFileSearch (fetch_next_file): fetch and validate the metadata (.torrent) of the
  best source that has none yet, from cache URLs or the swarm;
- updateSourcesStats (update_stats): scrape trackers for sources due a check, re-score,
  and schedule the next check adaptively (hours when stable, minutes when changing);
- resyncMovieSources (resync): walk all sources in pages, re-parse and re-score them
  (ages change scores), and drop sources that have had no seeds for too long.

search_title() is also the on-demand path the Details screen uses; search_episode() is
the Episodes screen's (a series' single-episode releases and the season packs holding
the episode, stored as EpisodeSource rows; packs are mapped to files at play time).
Parsing and scoring run in a worker thread (parsett costs milliseconds per name), so a
search of many releases never stalls the event loop. With the VPN gate closed, background ticks do
nothing and an on-demand search says why instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.clock import Clock, LoopClock
from miauflix_desktop.services.scheduler import Job
from miauflix_desktop.services.sources.magnets import DEFAULT_TRACKERS, build_magnet
from miauflix_desktop.services.sources.metadata import MetadataFetcher, MetadataUnavailable
from miauflix_desktop.services.sources.profiles import PC_PROFILE
from miauflix_desktop.services.sources.providers.base import (
    ProviderError,
    ProviderQuery,
    SourceProvider,
)
from miauflix_desktop.services.sources.release import merge_declared, parse_release
from miauflix_desktop.services.sources.scoring import rank, score_release
from miauflix_desktop.services.sources.torrent_check import TorrentRejected
from miauflix_desktop.services.sources.trackers import next_check_interval, tracker_stats
from miauflix_desktop.services.sources.types import (
    ProviderRelease,
    ReleaseInfo,
    Score,
    TargetProfile,
    TrackerStats,
)
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRepository,
    EpisodeToSearch,
    FoundEpisodeSource,
    FoundSource,
    SourceRef,
    SourceRefs,
    SourceRepository,
    TitleToSearch,
)

log = logging.getLogger(__name__)

# The seed's task names and default intervals (seconds); settings may override them.
MOVIE_SOURCE_SEARCH, DATA_FILE_SEARCH, UPDATE_SOURCES_STATS, RESYNC_MOVIE_SOURCES = (
    "movieSourceSearch", "dataFileSearch", "updateSourcesStats", "resyncMovieSources")
DEFAULT_INTERVALS = {
    MOVIE_SOURCE_SEARCH: 0.1,
    DATA_FILE_SEARCH: 0.2,
    UPDATE_SOURCES_STATS: 2.0,
    RESYNC_MOVIE_SOURCES: 5.0,
}

ImdbLookup = Callable[[int], Awaitable[str | None]]
Progress = Callable[[str], None]
StatsFetcher = Callable[[Sequence[str], Sequence[str]], Awaitable[dict[str, TrackerStats | None]]]


class Gate(Protocol):
    """The VPN gate as discovery sees it (services.network.vpn.VpnGate)."""

    @property
    def is_open(self) -> bool: ...

    @property
    def status(self) -> object: ...


class SourceSearchFailed(MiauflixError):
    """Every provider failed for a title (nothing was stored, the search will be retried)."""


class SearchPaused(MiauflixError):
    """The VPN gate is closed: no provider is asked."""


@dataclass(frozen=True)
class DiscoverySettings:
    trackers: tuple[str, ...] = DEFAULT_TRACKERS
    research_after_s: float = 24 * 3600.0  # a searched title is asked again a day later
    dead_after_s: float = 7 * 24 * 3600.0  # no seeds for a week: the source is dropped
    stats_batch: int = 20  # sources per updateSourcesStats tick (one scrape request)
    resync_batch: int = 50
    metadata_timeout_s: float = 30.0
    tracker_timeout_s: float = 5.0
    # After a tick that found nothing to do, the next ticks skip the database this long.
    idle_rest_s: float = 5.0


async def _default_stats(trackers: Sequence[str],
                         hashes: Sequence[str]) -> dict[str, TrackerStats | None]:
    return await tracker_stats(trackers, hashes)


async def _once_at_a_time(running: dict[int, asyncio.Task[int]], key: int,
                          start: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """One search per key at a time: a caller asking while one runs awaits that one.

    Shielded, so a caller that gives up (the screen closed) does not cancel the search
    the others (or the scheduler) still wait for.
    """
    task = running.get(key)
    if task is None or task.done():
        task = asyncio.get_running_loop().create_task(start())
        running[key] = task
    try:
        return await asyncio.shield(task)
    finally:
        if task.done() and running.get(key) is task:
            running.pop(key, None)


class SourceDiscovery:
    def __init__(self, repo: SourceRepository, providers: Sequence[SourceProvider], *,
                 gate: Gate | None = None, imdb_lookup: ImdbLookup | None = None,
                 profile: TargetProfile = PC_PROFILE, metadata: MetadataFetcher | None = None,
                 stats: StatsFetcher | None = None,
                 settings: DiscoverySettings | None = None, clock: Clock | None = None,
                 episodes: EpisodeSourceRepository | None = None,
                 show_imdb_lookup: ImdbLookup | None = None) -> None:
        self._repo = repo
        self._episodes = episodes
        self._show_imdb_lookup = show_imdb_lookup
        self._episode_searches: dict[int, asyncio.Task[int]] = {}
        self._providers = list(providers)
        self._gate = gate
        self._imdb_lookup = imdb_lookup
        self._profile = profile
        self._metadata = metadata
        self._stats = stats
        self._settings = settings or DiscoverySettings()
        self._clock = clock or LoopClock()
        self._resync_cursor = 0
        # Ticks that found nothing to do rest until this clock time (seconds since epoch
        # of clock.now()): the 0.1 s search tick would otherwise cost a worker-thread
        # round trip and a query ten times a second on an idle machine (~5 % of a core).
        self._idle_until: dict[str, float] = {}
        # One search per title at a time: the job and the Details screen may ask together.
        self._searches: dict[int, asyncio.Task[int]] = {}

    @property
    def provider_keys(self) -> list[str]:
        return [p.key for p in self._providers]

    def _open(self) -> bool:
        return self._gate is None or self._gate.is_open

    def _resting(self, job: str) -> bool:
        return self._clock.now().timestamp() < self._idle_until.get(job, 0.0)

    def _rest(self, job: str) -> None:
        self._idle_until[job] = self._clock.now().timestamp() + self._settings.idle_rest_s

    def wake(self) -> None:
        """New titles or sources exist (catalog sync, a search): idle ticks look again."""
        self._idle_until.clear()

    # -- jobs -----------------------------------------------------------------------

    def jobs(self, intervals: dict[str, float] | None = None) -> list[Job]:
        chosen = {**DEFAULT_INTERVALS, **(intervals or {})}
        # Fast ticks back off to minutes when their network keeps failing.
        return [
            Job(MOVIE_SOURCE_SEARCH, self.search_next, chosen[MOVIE_SOURCE_SEARCH],
                initial_delay_s=3.0, retry_base_s=5.0, max_backoff_s=600.0),
            Job(DATA_FILE_SEARCH, self.fetch_next_file, chosen[DATA_FILE_SEARCH],
                initial_delay_s=4.0, retry_base_s=5.0, max_backoff_s=600.0),
            Job(UPDATE_SOURCES_STATS, self.update_stats, chosen[UPDATE_SOURCES_STATS],
                initial_delay_s=5.0, retry_base_s=10.0, max_backoff_s=600.0),
            Job(RESYNC_MOVIE_SOURCES, self.resync, chosen[RESYNC_MOVIE_SOURCES],
                initial_delay_s=6.0, retry_base_s=10.0, max_backoff_s=600.0),
        ]

    async def search_next(self) -> int:
        """movieSourceSearch: one title per tick."""
        if not self._providers or not self._open() or self._resting(MOVIE_SOURCE_SEARCH):
            return 0
        stale = self._clock.now() - timedelta(seconds=self._settings.research_after_s)
        titles = await asyncio.to_thread(self._repo.titles_to_search, stale, 1)
        if not titles:
            self._rest(MOVIE_SOURCE_SEARCH)
            return 0
        await self.search_title(titles[0].movie_id)
        return 1

    # -- searching ------------------------------------------------------------------

    async def search_title(self, movie_id: int, progress: Progress | None = None) -> int:
        """Ask every provider about one film, score and store what they list; returns
        how many sources the film has from this search. Raises SearchPaused when the VPN
        gate is closed and SourceSearchFailed when every provider failed."""
        return await _once_at_a_time(self._searches, movie_id,
                                     lambda: self._search_title(movie_id, progress))

    async def _search_title(self, movie_id: int, progress: Progress | None) -> int:
        say = progress or (lambda _text: None)
        if not self._open():
            raise SearchPaused("Source search is paused: the VPN is down.")
        title = await asyncio.to_thread(self._repo.title, movie_id)
        if title is None:
            return 0
        if not self._providers:
            return 0
        query = await self._query(title)
        if query is None:
            await asyncio.to_thread(self._repo.mark_searched, movie_id, self._clock.now(), 0)
            return 0
        names = ", ".join(_provider_name(p) for p in self._providers)
        say(f"Asking {names}…")
        answers = await asyncio.gather(*(self._ask(p, query) for p in self._providers))
        releases: dict[str, ProviderRelease] = {}
        failures: list[str] = []
        for provider, answer in zip(self._providers, answers, strict=True):
            if isinstance(answer, ProviderError):
                failures.append(f"{_provider_name(provider)}: {answer}")
                continue
            for release in answer:
                known = releases.get(release.info_hash)
                if known is None or (release.seeds or 0) > (known.seeds or 0):
                    releases[release.info_hash] = release
        if failures and len(failures) == len(self._providers):
            raise SourceSearchFailed("No provider answered — " + "; ".join(failures))
        say(f"Scoring {len(releases)} releases…")
        found = await asyncio.to_thread(self._score_all, list(releases.values()))
        now = self._clock.now()
        await asyncio.to_thread(self._repo.save_found, movie_id, found, now)
        await asyncio.to_thread(self._repo.mark_searched, movie_id, now, len(found))
        if found:
            # New sources: their metadata and tracker stats are due now.
            self._idle_until.pop(DATA_FILE_SEARCH, None)
            self._idle_until.pop(UPDATE_SOURCES_STATS, None)
        log.info("source search for %s (%s): %d releases, %d providers failed", movie_id,
                 title.title, len(found), len(failures))
        return len(found)

    async def _query(self, title: TitleToSearch) -> ProviderQuery | None:
        imdb_id = title.imdb_id
        if not imdb_id and self._imdb_lookup is not None:
            try:
                imdb_id = await self._imdb_lookup(title.tmdb_id)
            except MiauflixError as exc:
                log.info("no IMDb id for %s: %s", title.title, exc)
            if imdb_id:
                await asyncio.to_thread(self._repo.set_imdb_id, title.movie_id, imdb_id)
        try:
            return ProviderQuery(imdb_id=imdb_id or None, title=title.title, year=title.year)
        except ValueError as exc:  # no id and no usable title
            log.info("cannot search for %s: %s", title.movie_id, exc)
            return None

    async def _ask(self, provider: SourceProvider,
                   query: ProviderQuery) -> list[ProviderRelease] | ProviderError:
        try:
            return await provider.search(query)
        except ProviderError as exc:
            return exc
        except Exception as exc:  # a provider bug must not stop the others
            log.exception("provider %s failed unexpectedly", provider.key)
            return ProviderError(provider.key, f"unexpected error: {exc}")

    def _score_all(self, releases: list[ProviderRelease]) -> list[FoundSource]:
        now = self._clock.now()
        candidates = [(merge_declared(parse_release(r.name), r), r) for r in releases]
        out: list[FoundSource] = []
        for ranked in rank(candidates, self._profile, now):
            info, r, score = ranked.info, ranked.release, ranked.score
            magnet = r.magnet or build_magnet(r.info_hash, r.name, (),
                                              default_trackers=self._settings.trackers)
            out.append(FoundSource(
                info_hash=r.info_hash, provider=r.provider, release_name=r.name,
                magnet=magnet, torrent_url=r.torrent_url, size_bytes=r.size_bytes,
                seeds=r.seeds, peers=r.peers, uploaded_at=r.uploaded_at,
                quality=info.resolution or r.quality, video_codec=info.video_codec,
                release_type=info.source or r.release_type, audio=_audio(info),
                languages=",".join(info.languages), hdr=",".join(info.hdr),
                bit_depth=info.bit_depth, score=score.total,
                explanation=score.explanation, playable=score.playable))
        return out

    # -- episodes of series ---------------------------------------------------------

    async def search_episode(self, episode_id: int, progress: Progress | None = None) -> int:
        """Ask every provider that lists series about one episode; store single-episode
        releases and season packs holding it. Returns how many releases hold it. Raises
        SearchPaused / SourceSearchFailed like search_title()."""
        return await _once_at_a_time(self._episode_searches, episode_id,
                                     lambda: self._search_episode(episode_id, progress))

    async def _search_episode(self, episode_id: int, progress: Progress | None) -> int:
        say = progress or (lambda _text: None)
        if not self._open():
            raise SearchPaused("Source search is paused: the VPN is down.")
        repo = self._episodes
        if repo is None or not self._providers:
            return 0
        ep = await asyncio.to_thread(repo.episode, episode_id)
        if ep is None:
            return 0
        query = await self._episode_query(ep, repo)
        if query is None:
            return 0
        # YTS lists films only: ask the providers that list series.
        providers = [p for p in self._providers
                     if getattr(p, "supports", lambda _q: True)(query)]
        if not providers:
            return 0
        say(f"Asking {', '.join(_provider_name(p) for p in providers)}…")
        answers = await asyncio.gather(*(self._ask(p, query) for p in providers))
        releases: dict[str, ProviderRelease] = {}
        failures: list[str] = []
        for provider, answer in zip(providers, answers, strict=True):
            if isinstance(answer, ProviderError):
                failures.append(f"{_provider_name(provider)}: {answer}")
                continue
            for release in answer:
                known = releases.get(release.info_hash)
                if known is None or (release.seeds or 0) > (known.seeds or 0):
                    releases[release.info_hash] = release
        if failures and len(failures) == len(providers):
            raise SourceSearchFailed("No provider answered — " + "; ".join(failures))
        say(f"Scoring {len(releases)} releases…")
        found = await asyncio.to_thread(self._score_episode_releases,
                                        list(releases.values()), ep.season, ep.episode)
        await asyncio.to_thread(repo.save_found, ep.show_id, found)
        log.info("source search for %s S%02dE%02d: %d of %d releases hold it, "
                 "%d providers failed", ep.show_title, ep.season, ep.episode, len(found),
                 len(releases), len(failures))
        return len(found)

    async def _episode_query(self, ep: EpisodeToSearch,
                             repo: EpisodeSourceRepository) -> ProviderQuery | None:
        imdb_id = ep.imdb_id
        if not imdb_id and self._show_imdb_lookup is not None:
            try:
                imdb_id = await self._show_imdb_lookup(ep.show_tmdb_id)
            except MiauflixError as exc:
                log.info("no IMDb id for %s: %s", ep.show_title, exc)
            if imdb_id:
                await asyncio.to_thread(repo.set_show_imdb_id, ep.show_id, imdb_id)
        try:
            return ProviderQuery(imdb_id=imdb_id or None, title=ep.show_title, kind="tv",
                                 season=ep.season, episode=ep.episode)
        except ValueError as exc:
            log.info("cannot search for episode %s: %s", ep.episode_id, exc)
            return None

    def _score_episode_releases(self, releases: list[ProviderRelease], season: int,
                                episode: int) -> list[FoundEpisodeSource]:
        """The releases that hold (season, episode), scored; what else each holds comes
        along (a pack's other seasons, the second episode of an S01E01E02 file)."""
        holding = {r.info_hash: holds for r in releases
                   if (holds := episode_holdings(parse_release(r.name), season, episode))}
        found = self._score_all([r for r in releases if r.info_hash in holding])
        return [FoundEpisodeSource(f, holding[f.info_hash][0], holding[f.info_hash][1])
                for f in found]

    # -- metadata -------------------------------------------------------------------

    async def fetch_next_file(self) -> int:
        """dataFileSearch: fetch and validate one source's metadata per tick."""
        if self._metadata is None or not self._open() or self._resting(DATA_FILE_SEARCH):
            return 0
        refs = await asyncio.to_thread(self._repo.sources_without_file, 1)
        if not refs:
            self._rest(DATA_FILE_SEARCH)
            return 0
        ref = refs[0]
        magnet = ref.magnet or build_magnet(ref.info_hash, ref.release_name, (),
                                            default_trackers=self._settings.trackers)
        try:
            fetched = await self._metadata.fetch(
                magnet, swarm_timeout_s=self._settings.metadata_timeout_s)
        except TorrentRejected as exc:
            log.warning("source %s rejected: %s", ref.id, exc)
            await asyncio.to_thread(self._repo.mark_file_rejected, ref.id)
            return 1
        except (MetadataUnavailable, MiauflixError) as exc:
            log.info("no metadata yet for source %s: %s", ref.id, exc)
            await asyncio.to_thread(self._repo.mark_file_unavailable, ref.id)
            return 1
        checked = fetched.checked
        await asyncio.to_thread(self._repo.save_file, ref.id, fetched.torrent_bytes,
                                checked.file_index, len(checked.files), checked.total_size)
        return 1

    # -- tracker stats --------------------------------------------------------------

    async def update_stats(self) -> int:
        """updateSourcesStats: scrape the sources due a check (one request per tracker)."""
        if not self._open() or self._resting(UPDATE_SOURCES_STATS):
            return 0
        now = self._clock.now()
        refs = await asyncio.to_thread(self._repo.sources_due_for_stats, now,
                                       self._settings.stats_batch)
        if not refs:
            self._rest(UPDATE_SOURCES_STATS)
            return 0
        fetch = self._stats or self._scrape
        answers = await fetch(self._settings.trackers, [r.info_hash for r in refs])
        rescored = await asyncio.to_thread(self._rescore_with_stats, refs, answers, now)
        return rescored

    async def _scrape(self, trackers: Sequence[str],
                      hashes: Sequence[str]) -> dict[str, TrackerStats | None]:
        return await tracker_stats(trackers, hashes, timeout_s=self._settings.tracker_timeout_s)

    def _rescore_with_stats(self, refs: SourceRefs, answers: dict[str, TrackerStats | None],
                            now: datetime) -> int:
        done = 0
        for ref in refs:
            current = answers.get(ref.info_hash)
            previous = (TrackerStats(ref.seeds or 0, ref.peers or 0)
                        if ref.last_stats_check is not None else None)
            last_interval = ((now - ref.last_stats_check).total_seconds()
                             if ref.last_stats_check is not None else 0.0)
            wait = next_check_interval(previous, current, last_interval)
            next_at = now + timedelta(seconds=wait)
            if current is None:
                self._repo.postpone_stats(ref.id, next_at)
                continue
            _info, score = self._rescore(ref, current, now)
            self._repo.save_stats(ref.id, current.seeds, current.peers, now, next_at,
                                  score.total, score.explanation, score.playable)
            done += 1
        return done

    def _rescore(self, ref: SourceRef, stats: TrackerStats | None,
                 now: datetime) -> tuple[ReleaseInfo, Score]:
        """A stored source scored again (fresh tracker counts when given, and its age)."""
        release = _release_of(ref, stats)
        info = merge_declared(parse_release(ref.release_name), release)
        return info, score_release(info, release, self._profile, now)

    # -- resync ---------------------------------------------------------------------

    async def resync(self) -> int:
        """resyncMovieSources: one page of sources per tick, round and round."""
        now = self._clock.now()
        refs = await asyncio.to_thread(self._repo.page_of_sources, self._resync_cursor,
                                       self._settings.resync_batch)
        if not refs:
            self._resync_cursor = 0  # next tick starts the next pass
            # Metadata that could not be fetched last pass is worth another try now.
            await asyncio.to_thread(self._repo.retry_unavailable_files)
            return 0
        self._resync_cursor = refs[-1].id
        return await asyncio.to_thread(self._resync_page, refs, now)

    def _resync_page(self, refs: SourceRefs, now: datetime) -> int:
        dead_after = timedelta(seconds=self._settings.dead_after_s)
        for ref in refs:
            if ref.dead_since is not None and now - _aware(ref.dead_since) > dead_after:
                log.info("dropping source %s: no seeds since %s", ref.id, ref.dead_since)
                self._repo.drop_source(ref.id)
                continue
            info, score = self._rescore(ref, None, now)
            self._repo.rescore(ref.id, score.total, score.explanation, score.playable,
                               info.resolution or ref.quality, info.video_codec)
        return len(refs)


def episode_holdings(info: ReleaseInfo, season: int,
                     episode: int) -> tuple[tuple[tuple[int, int], ...], bool] | None:
    """What a parsed release holds if it holds (season, episode): its (season, episode)
    pairs (episode 0 = a whole season) and whether it is a season pack; None otherwise."""
    if info.episodes:
        seasons = info.seasons or (season,)
        if season in seasons and episode in info.episodes and len(seasons) == 1:
            return tuple((season, e) for e in info.episodes), False
        return None
    if season in info.seasons:  # no episode named: one or more whole seasons
        return tuple((s, 0) for s in info.seasons), True
    return None


def _provider_name(provider: SourceProvider) -> str:
    return str(getattr(provider, "name", "") or provider.key)


def _audio(info: ReleaseInfo) -> str:
    parts = list(info.audio_codecs)
    if info.channels:
        parts.append(info.channels)
    return " ".join(parts)


def _aware(when: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they are UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _release_of(ref: SourceRef, stats: TrackerStats | None) -> ProviderRelease:
    """A stored source as the scorer's input (with fresh tracker counts when given)."""
    return ProviderRelease(
        provider=ref.provider, name=ref.release_name, info_hash=ref.info_hash,
        size_bytes=ref.size_bytes,
        seeds=stats.seeds if stats is not None else ref.seeds,
        peers=stats.peers if stats is not None else ref.peers,
        uploaded_at=_aware(ref.uploaded_at) if ref.uploaded_at else None,
        quality=ref.quality, release_type=ref.release_type, torrent_url=ref.torrent_url,
        magnet=ref.magnet or None)
