"""Composition root: the only place services (and, in UI mode, view models) are built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings
from miauflix_desktop.lifecycle import Lifecycle, Service
from miauflix_desktop.services.activity import ActivityService
from miauflix_desktop.services.adhoc import AdhocTorrents
from miauflix_desktop.services.catalog.images import ImageCache
from miauflix_desktop.services.catalog.runtime import JobError, JobOk, TmdbRuntime
from miauflix_desktop.services.catalog.sync import REFRESH_LISTS, CatalogSync, SyncStateStore
from miauflix_desktop.services.catalog.tmdb import TmdbClient
from miauflix_desktop.services.demo.library import DemoLibrary
from miauflix_desktop.services.downloads import DownloadsService
from miauflix_desktop.services.library import LibraryService
from miauflix_desktop.services.network.vpn import VpnConfig, VpnGate
from miauflix_desktop.services.preload import ViewportPreloader
from miauflix_desktop.services.scheduler import Job, Scheduler
from miauflix_desktop.services.security.keys import SecretKeyStore
from miauflix_desktop.services.setup import SetupService, stored_tmdb_key
from miauflix_desktop.services.sources.discovery import DiscoverySettings, SourceDiscovery
from miauflix_desktop.services.sources.magnets import DEFAULT_TRACKERS
from miauflix_desktop.services.sources.metadata import MetadataFetcher
from miauflix_desktop.services.sources.providers import (
    TheRarbgOptions,
    TheRarbgProvider,
    YtsOptions,
    YtsProvider,
)
from miauflix_desktop.services.sources.runtime import ManagedProvider, SourcesRuntime
from miauflix_desktop.services.status import StatusService
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.download_repository import (
    DownloadRepository,
    SeasonDownloadRepository,
)
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.storage.source_repository import (
    EpisodeSourceRepository,
    SourceRepository,
)
from miauflix_desktop.services.storage.storage_repository import StorageRepository
from miauflix_desktop.services.streaming.episodes import EpisodeStreams
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent.cache import TorrentCache
from miauflix_desktop.services.torrent.seeder import LocalSeeder
from miauflix_desktop.services.torrent.session import TorrentEngine

STREAM_SECRET = "stream-token-secret"


@dataclass
class Container:
    """Everything the app runs, wired once. Fields are read-only by convention."""

    paths: AppPaths
    settings: Settings
    secrets: SecretStore
    database: Database
    movies: MovieRepository
    catalog: CatalogRepository
    status: StatusService
    tmdb: TmdbRuntime | None
    images: ImageCache
    engine: TorrentEngine
    seeder: LocalSeeder | None
    demo: DemoLibrary | None
    streams: StreamService
    server: StreamServer
    library: LibraryService
    setup: SetupService
    activity: ActivityService
    sources: SourcesRuntime
    extra_services: list[tuple[str, Service]] = field(default_factory=list)
    # Torrents the user adds by magnet or .torrent file (`serve --add`); not a lifecycle
    # service: it only writes rows and adds torrents to the engine on request.
    adhoc: AdhocTorrents = field(kw_only=True)
    # Download quota (LRU eviction), seeding policy and Storage rows; started after the
    # engine and stopped before it, so its last Storage update sees every torrent.
    cache: TorrentCache | None = field(default=None, kw_only=True)
    # Warm start (the seed's viewport preload): Home and Browse report what has focus.
    preload: ViewportPreloader | None = field(default=None, kw_only=True)
    # Episodes of series (EpisodePort): stateless apart from its open-file cache, so not a
    # lifecycle service; its resolve() serves film tokens too (the server's resolver).
    episodes: EpisodeStreams | None = field(default=None, kw_only=True)
    # Download for later: marked films kept whole on disk (after the VPN gate decided,
    # so nothing it re-adds at start runs ahead of the gate).
    downloads: DownloadsService | None = field(default=None, kw_only=True)

    def lifecycle(self, stop_timeout: float = 5.0) -> Lifecycle:
        """Start order; Lifecycle stops in reverse (player before server before engine)."""
        services: list[tuple[str, Service]] = [
            ("database", self.database), ("status", self.status), ("images", self.images),
            ("engine", self.engine),
        ]
        if self.cache is not None:
            services.append(("torrent-cache", self.cache))
        if self.downloads is not None:
            # Marked downloads kept before the cache's first tick could evict them.
            services.append(("download-marks", self.downloads.keeper))
        if self.seeder is not None:
            services.append(("seeder", self.seeder))
        if self.demo is not None:
            services.append(("demo", self.demo))
        services += [("streams", self.streams), ("server", self.server),
                     ("library", self.library)]
        if self.tmdb is not None:
            # after the database: sync writes to it; stopped before it for the same reason
            services.append(("tmdb", self.tmdb))
        # Sources after the engine (the VPN gate binds it) and the catalog (imdb lookups).
        services += [("setup", self.setup), ("sources", self.sources), *self.extra_services]
        if self.downloads is not None:
            services.append(("downloads", self.downloads))
        if self.preload is not None:
            # After streams, engine and VPN gate; stopped first, so it removes the torrents
            # it preloaded for nobody while the engine still runs.
            services.append(("preload", self.preload))
        return Lifecycle(services, stop_timeout=stop_timeout)


def build_container(paths: AppPaths, settings: Settings, *, demo: bool = True,
                    sync: bool = True, isolated_network: bool | None = None,
                    demo_duration_s: float | None = None,
                    secrets: SecretStore | None = None) -> Container:
    """Build the services.

    demo: the Demo shelf (generated media seeded on loopback). sync: TMDB client and
    sync jobs when a key is configured (off for `serve`). isolated_network defaults to
    "no TMDB key": the torrent engine then stays on 127.0.0.1 with DHT/LSD/UPnP off — the
    demo swarm lives on loopback, and tests must never touch another host.
    """
    paths.ensure()
    secrets = secrets or SecretStore(paths.secrets_dir)
    tmdb_key = stored_tmdb_key(settings, secrets)
    isolated = (not tmdb_key) if isolated_network is None else isolated_network
    signer = TokenSigner(secrets.get_or_create(STREAM_SECRET))
    # The field key (encryption at rest, ADR 0005) lives beside the other secrets.
    database = Database(paths.database, keys=SecretKeyStore(secrets))
    movies = MovieRepository(database)
    catalog = CatalogRepository(database)
    status = StatusService()
    tmdb_cfg = settings.tmdb

    def make_client(key: str, language: str) -> TmdbClient:
        return TmdbClient(key, language, base_url=tmdb_cfg.base_url,
                          rate_per_second=tmdb_cfg.rate_per_second,
                          max_retries=tmdb_cfg.max_retries, timeout_s=tmdb_cfg.timeout_s)

    def make_scheduler(client: TmdbClient, language: str, ok: JobOk,
                       error: JobError) -> Scheduler:
        jobs = CatalogSync(client, catalog, language).jobs(job_intervals(settings))
        return Scheduler(jobs, SyncStateStore(catalog), on_job_ok=ok, on_job_error=error)

    tmdb = (TmdbRuntime(tmdb_key, settings.language, make_client, make_scheduler, status)
            if sync else None)
    images = ImageCache(paths.root / "images", base_url=tmdb_cfg.image_base_url,
                        max_bytes=tmdb_cfg.image_cache_mb * 1024 * 1024)
    engine = TorrentEngine(settings.torrent, paths.downloads, paths.resume, isolated=isolated,
                           folder_per_torrent=True)
    cache = TorrentCache(engine, settings.torrent, StorageRepository(database))
    seeder = LocalSeeder(paths.root / "demo" / "seeder") if demo else None
    demo_library = (
        DemoLibrary(paths.demo_media, paths.demo_torrents, seeder, movies, demo_duration_s)
        if seeder is not None else None
    )
    sources = _build_sources(settings, database, engine, images, status,
                             tmdb_client=lambda: tmdb.client if tmdb else None,
                             isolated=isolated, enabled=sync)
    if tmdb is not None and sources.discovery is not None:
        # New titles from a catalog sync: the idle source-search tick looks again at once.
        discovery = sources.discovery
        tmdb.on_job_done(lambda _job: discovery.wake())
    server_ref: list[StreamServer] = []
    streams = StreamService(
        movies, engine, signer,
        base_url=lambda: server_ref[0].base_url,
        token_ttl=settings.server.token_ttl_seconds,
        peer_hints=demo_library.peers_for if demo_library else None,
        discover=sources.search_now if sources.discovery is not None else None,
        quality=settings.playback.quality,
    )
    episode_streams = EpisodeStreams(
        EpisodeSourceRepository(database), engine, signer, streams,
        base_url=lambda: server_ref[0].base_url,
        token_ttl=settings.server.token_ttl_seconds,
        peer_hints=demo_library.peers_for if demo_library else None,
        discover=sources.discovery.search_episode if sources.discovery is not None else None,
        quality=settings.playback.quality,
    )
    server = StreamServer(settings.server, episode_streams.resolve)
    server_ref.append(server)
    preload = ViewportPreloader(streams, settings.preload, gate=sources.gate,
                                busy=[streams.streaming])
    cache.set_preload_check(streams.is_warm_only)  # preloaded, never played: evicted first
    gate = sources.gate
    downloads = DownloadsService(
        DownloadRepository(database), movies, engine, cache,
        choose=streams.choose_source, open_source=streams.open_source,
        gate_reason=lambda: None if gate.is_open else gate.status.reason,
        wait_open=gate.wait_open,
        seasons=SeasonDownloadRepository(database), episodes=episode_streams)
    # Play of a downloaded film uses the downloaded source (its pieces are on disk).
    streams.prefer_sources(downloads.preferred_source)
    # The same for an episode of a downloaded season.
    episode_streams.prefer_sources(downloads.preferred_episode_source)
    # A stall switch never pauses a download for later; the preload never deletes one.
    streams.keep_check(cache.is_kept)
    library = LibraryService(catalog, demo_library, settings.language,
                             remote=lambda: tmdb.client if tmdb else None)
    setup_runtime = tmdb or TmdbRuntime("", settings.language, make_client, make_scheduler,
                                        status)
    setup = SetupService(settings, paths, secrets, setup_runtime, make_client)
    # The catalog scheduler is replaced when the key changes: ask the runtime each time.
    activity = ActivityService([lambda: setup_runtime.scheduler, lambda: sources.scheduler],
                               [sources.activity_rows])
    return Container(paths, settings, secrets, database, movies, catalog, status, tmdb, images,
                     engine, seeder, demo_library, streams, server, library, setup, activity,
                     sources, adhoc=AdhocTorrents(database, engine), cache=cache,
                     preload=preload,
                     episodes=episode_streams, downloads=downloads)


def job_intervals(settings: Settings) -> dict[str, float]:
    """settings.job_intervals with anything that is not a positive number left out."""
    return {str(k): float(v) for k, v in settings.job_intervals.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0}


CACHE_CLEANUP = "cacheCleanup"
CACHE_CLEANUP_INTERVAL_S = 6 * 3600.0


def _build_sources(settings: Settings, database: Database, engine: TorrentEngine,
                   images: ImageCache, status: StatusService, *,
                   tmdb_client: Callable[[], TmdbClient | None], isolated: bool,
                   enabled: bool) -> SourcesRuntime:
    """Providers, VPN gate, metadata fetcher and the source jobs (with cacheCleanup).

    enabled=False (`serve`, demo-only runs) keeps only the gate: nothing is searched.
    """
    vpn = settings.vpn
    # The demo engine lives on loopback: binding it to a VPN device would cut it off.
    gate = VpnGate(VpnConfig(vpn.require_vpn, vpn.interface, vpn.poll_interval_s,
                             vpn.bind_torrents), binding=None if isolated else engine)
    if not enabled:
        return SourcesRuntime(None, [], gate, None, status)
    cfg = settings.sources
    providers: list[ManagedProvider] = []
    yts = YtsOptions.from_settings(cfg.yts)
    if yts.enabled:
        providers.append(YtsProvider(yts))
    rarbg = TheRarbgOptions.from_settings(cfg.therarbg)
    if rarbg.enabled:
        providers.append(TheRarbgProvider(rarbg))
    trackers = tuple(dict.fromkeys([*cfg.trackers, *DEFAULT_TRACKERS]))

    async def imdb_lookup(tmdb_id: int) -> str | None:
        client = tmdb_client()
        if client is None:
            return None
        return (await client.movie(tmdb_id)).imdb_id

    async def show_imdb_lookup(tmdb_id: int) -> str | None:
        client = tmdb_client()
        if client is None:
            return None
        return (await client.tv(tmdb_id)).imdb_id

    discovery = SourceDiscovery(
        SourceRepository(database), providers,  # type: ignore[arg-type]
        gate=gate, imdb_lookup=imdb_lookup,
        metadata=MetadataFetcher(engine, cache_urls=cfg.cache_urls, default_trackers=trackers,
                                 swarm_timeout_s=cfg.metadata_timeout_s),
        settings=DiscoverySettings(trackers=trackers,
                                   research_after_s=cfg.research_after_hours * 3600,
                                   metadata_timeout_s=cfg.metadata_timeout_s),
        episodes=EpisodeSourceRepository(database), show_imdb_lookup=show_imdb_lookup)
    intervals = job_intervals(settings)
    jobs = discovery.jobs(intervals)

    async def cache_cleanup() -> int:
        return await images.cleanup()

    jobs.append(Job(CACHE_CLEANUP, cache_cleanup,
                    intervals.get(CACHE_CLEANUP, CACHE_CLEANUP_INTERVAL_S), initial_delay_s=60))
    return SourcesRuntime(discovery, providers, gate, Scheduler(jobs), status)


@dataclass
class UiParts:
    """The UI half of the composition root: the player service and the QML shell."""

    player: Service
    shell: object  # ui.shell.UiShell; typed loosely so `serve` never imports Qt


def build_ui(container: Container) -> UiParts:
    """Build PlayerService, the view models and the shell (Qt must already exist)."""
    from miauflix_desktop.config.settings import save_settings
    from miauflix_desktop.services.history import WatchHistory
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.services.streaming.stall import StallThresholds
    from miauflix_desktop.ui.activity import ActivityViewModel
    from miauflix_desktop.ui.add_torrent import AddTorrentViewModel
    from miauflix_desktop.ui.browse import BrowseViewModel
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.downloads import DownloadsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.search import SearchViewModel
    from miauflix_desktop.ui.series import EpisodesViewModel, SeasonsViewModel
    from miauflix_desktop.ui.setup import SetupViewModel
    from miauflix_desktop.ui.shell import UiShell
    from miauflix_desktop.ui.status import StatusViewModel

    catalog = container.library
    audio_langs, sub_langs = player_languages(container.settings)
    player = PlayerService(vo="libmpv", hwdec=container.settings.playback.hwdec,
                           preferred_audio=audio_langs, preferred_sub=sub_langs)
    playback = container.settings.playback
    player_vm = PlayerViewModel(container.streams, player, episodes=container.episodes,
                                subtitle_search=_subtitle_finder(container),
                                stall=StallThresholds(
                                    slow_seconds=playback.stall_switch_seconds,
                                    no_peer_seconds=playback.no_peer_switch_seconds))
    app_vm = AppViewModel(
        HomeViewModel(catalog, preload=container.preload),
        DetailsViewModel(catalog, container.streams, history=WatchHistory(container.movies),
                         downloads=container.downloads),
        player_vm,
        fullscreen=container.settings.ui.fullscreen,
        browse=BrowseViewModel(catalog, preload=container.preload), search=SearchViewModel(catalog),
        seasons=SeasonsViewModel(catalog),
        episodes=EpisodesViewModel(catalog, container.episodes, downloads=container.downloads),
        setup=SetupViewModel(container.setup, subtitles_key=_subtitle_keys(container)),
        status=StatusViewModel(container.status),
        activity=ActivityViewModel(container.activity),
        add_torrent=AddTorrentViewModel(container.adhoc),
        downloads=(DownloadsViewModel(container.downloads, seasons=container.downloads)
                   if container.downloads is not None else None),
    )

    def remember_fullscreen() -> None:
        container.settings.ui.fullscreen = bool(app_vm.fullscreen)
        save_settings(container.paths.settings_file, container.settings)

    app_vm.fullscreenChanged.connect(remember_fullscreen)
    _add_desktop_integration(container, app_vm, player, player_vm)
    if container.preload is not None:
        # Nothing is preloaded while the player has a file (playing, paused, loading).
        container.preload.add_busy_check(lambda: not player.state.idle)
    runtime = container.tmdb
    if runtime is not None:
        # First sync fills the lists Home shows; reload Home when they change.
        home_vm = app_vm.home

        def refresh_home(job: str) -> None:
            if job == REFRESH_LISTS:
                home_vm.reload()  # type: ignore[attr-defined]

        runtime.on_job_done(refresh_home)
    return UiParts(player, UiShell(app_vm, player_vm, images=container.images))


def player_languages(settings: Settings) -> tuple[list[str] | None, list[str]]:
    """mpv's alang/slang: the app language for audio (None: the system's languages),
    settings.subtitles.languages for subtitles. Per profile once profiles exist."""
    audio = [settings.language] if settings.language.strip() else None
    subs = [str(x) for x in settings.subtitles.languages if str(x).strip()]
    return audio, subs


def _subtitle_finder(container: Container) -> object:
    """The Tracks panel's OpenSubtitles search; its client exists while a key is stored."""
    from miauflix_desktop.services.subtitles.finder import OpenSubtitlesRuntime, SubtitleFinder
    from miauflix_desktop.services.subtitles.ids import MediaIdLookup
    from miauflix_desktop.services.subtitles.keys import stored_opensubtitles_key
    from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient

    cfg = container.settings.subtitles
    runtime = OpenSubtitlesRuntime(
        lambda: stored_opensubtitles_key(container.secrets),
        lambda key: OpenSubtitlesClient(key, base_url=cfg.base_url,
                                        rate_per_second=cfg.rate_per_second,
                                        timeout_s=cfg.timeout_s))
    container.extra_services.append(("opensubtitles", runtime))
    # The keyring is read on each availability check; one read per Tracks panel opening.
    languages = cfg.languages or [container.settings.language.split("-")[0]]
    return SubtitleFinder(lambda: runtime.client, MediaIdLookup(container.database),
                          container.paths.root / "cache" / "subtitles",
                          languages=lambda: languages)


def _subtitle_keys(container: Container) -> object:
    """The Setup screen's OpenSubtitles key: checked with a short, single-retry client (a
    person waits for the answer), kept in the same secret store the finder reads."""
    from miauflix_desktop.services.subtitles.keys import OpenSubtitlesKeys
    from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient

    cfg = container.settings.subtitles
    return OpenSubtitlesKeys(
        container.secrets,
        lambda key: OpenSubtitlesClient(key, base_url=cfg.base_url, max_retries=1,
                                        rate_per_second=cfg.rate_per_second,
                                        timeout_s=min(cfg.timeout_s, 8.0)))


def _add_desktop_integration(container: Container, app_vm: object, player: object,
                             player_vm: object) -> None:
    """MPRIS (media keys) and screensaver inhibition while playing, on the session bus."""
    from miauflix_desktop.services.desktop.integration import DesktopIntegration

    controls = media_controls(app_vm, player, player_vm)
    container.extra_services.append(("desktop", DesktopIntegration(controls)))


def media_controls(app_vm: object, player: object, player_vm: object) -> object:
    """The MediaControls port over the player: Stop means what Back means in the player."""
    from miauflix_desktop.services.desktop.controls import PlayerControls

    def stop() -> None:
        # MPRIS Stop leaves the player like Back does (the position is saved on the way).
        if app_vm.property("screen") == "player":  # type: ignore[attr-defined]
            app_vm.back()  # type: ignore[attr-defined]

    # MPRIS Next: the next episode, while an episode with a next one plays.
    return PlayerControls(player, stop=stop,  # type: ignore[arg-type]
                          next_item=lambda: player_vm.playNext(),  # type: ignore[attr-defined]
                          can_next=lambda: bool(player_vm.property("hasNext")),  # type: ignore[attr-defined]
                          title=lambda: str(player_vm.property("title")))  # type: ignore[attr-defined]
