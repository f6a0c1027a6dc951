"""Composition root: the only place services (and, in UI mode, view models) are built."""

from __future__ import annotations

from dataclasses import dataclass, field

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings
from miauflix_desktop.lifecycle import Lifecycle, Service
from miauflix_desktop.services.demo.library import DemoLibrary
from miauflix_desktop.services.library import LibraryService
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
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
    engine: TorrentEngine
    seeder: LocalSeeder | None
    demo: DemoLibrary | None
    streams: StreamService
    server: StreamServer
    library: LibraryService
    extra_services: list[tuple[str, Service]] = field(default_factory=list)

    def lifecycle(self, stop_timeout: float = 5.0) -> Lifecycle:
        """Start order; Lifecycle stops in reverse (player before server before engine)."""
        services: list[tuple[str, Service]] = [("database", self.database), ("engine", self.engine)]
        if self.seeder is not None:
            services.append(("seeder", self.seeder))
        if self.demo is not None:
            services.append(("demo", self.demo))
        services += [("streams", self.streams), ("server", self.server),
                     ("library", self.library), *self.extra_services]
        return Lifecycle(services, stop_timeout=stop_timeout)


def build_container(paths: AppPaths, settings: Settings, *, demo: bool | None = None,
                    isolated_network: bool | None = None,
                    demo_duration_s: float | None = None,
                    secrets: SecretStore | None = None) -> Container:
    """Build the services. demo defaults to "no TMDB key"; isolated_network to demo mode.

    isolated_network keeps the torrent engine on 127.0.0.1 with DHT/LSD/UPnP off — the demo
    swarm lives on loopback, and tests must never touch another host.
    """
    paths.ensure()
    demo = settings.demo_mode if demo is None else demo
    isolated = demo if isolated_network is None else isolated_network
    secrets = secrets or SecretStore(paths.secrets_dir)
    signer = TokenSigner(secrets.get_or_create(STREAM_SECRET))
    database = Database(paths.database)
    movies = MovieRepository(database)
    engine = TorrentEngine(settings.torrent, paths.downloads, paths.resume, isolated=isolated)
    seeder = LocalSeeder(paths.root / "demo" / "seeder") if demo else None
    demo_library = (
        DemoLibrary(paths.demo_media, paths.demo_torrents, seeder, movies, demo_duration_s)
        if seeder is not None else None
    )
    server_ref: list[StreamServer] = []
    streams = StreamService(
        movies, engine, signer,
        base_url=lambda: server_ref[0].base_url,
        token_ttl=settings.server.token_ttl_seconds,
        peer_hints=demo_library.peers_for if demo_library else None,
    )
    server = StreamServer(settings.server, streams.resolve)
    server_ref.append(server)
    library = LibraryService(movies, demo_library)
    return Container(paths, settings, secrets, database, movies, engine, seeder, demo_library,
                     streams, server, library)


@dataclass
class UiParts:
    """The UI half of the composition root: the player service and the QML shell."""

    player: Service
    shell: object  # ui.shell.UiShell; typed loosely so `serve` never imports Qt


def build_ui(container: Container) -> UiParts:
    """Build PlayerService, the view models and the shell (Qt must already exist)."""
    from miauflix_desktop.config.settings import save_settings
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.shell import UiShell

    player = PlayerService(vo="libmpv")
    home = HomeViewModel(container.library)
    details = DetailsViewModel(container.library, container.streams)
    player_vm = PlayerViewModel(container.streams, player)
    app_vm = AppViewModel(home, details, player_vm, fullscreen=container.settings.ui.fullscreen)

    def remember_fullscreen() -> None:
        container.settings.ui.fullscreen = bool(app_vm.fullscreen)
        save_settings(container.paths.settings_file, container.settings)

    app_vm.fullscreenChanged.connect(remember_fullscreen)
    return UiParts(player, UiShell(app_vm, player_vm))
