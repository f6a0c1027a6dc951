"""Startup recipe as small named steps, and the ordered shutdown on close or signal."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import logging.handlers
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.settings import Settings, load_settings
from miauflix_desktop.container import Container, build_container
from miauflix_desktop.core.errors import MiauflixError, MissingDependencyError
from miauflix_desktop.services.adhoc import DEFAULT_METADATA_TIMEOUT_S, AdhocItem, parse_item

log = logging.getLogger("miauflix_desktop")
T = TypeVar("T")


def step(name: str, fn: Callable[[], T]) -> T:
    """Run one named startup step and log how long it took (cold start is a feature)."""
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        log.debug("startup step %-18s %6.1f ms", name, (time.perf_counter() - t0) * 1000)


def configure_logging(level: str, paths: AppPaths) -> None:
    paths.logs.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(fmt)
    logfile = logging.handlers.RotatingFileHandler(paths.logs / "miauflix.log",
                                                   maxBytes=5_000_000, backupCount=3)
    logfile.setFormatter(fmt)
    root.handlers[:] = [console, logfile]
    # httpx logs every request URL at INFO, and a TMDB v3 key travels in the query
    # string: keep secrets out of logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def resolve_paths(args: argparse.Namespace) -> AppPaths:
    return AppPaths(args.data_dir.resolve()) if args.data_dir else AppPaths.default()


def apply_args(settings: Settings, args: argparse.Namespace) -> Settings:
    if args.port is not None:
        settings.server.port = args.port
    if getattr(args, "fullscreen", False):
        settings.ui.fullscreen = True
    return settings


def check_programs(ui: bool) -> None:
    """Name what to install instead of failing later with a traceback."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise MissingDependencyError("ffmpeg (needed to make the demo library)",
                                     "apt-get install ffmpeg")
    if ui:
        from miauflix_desktop.services.playback.player import check_libmpv

        check_libmpv()


def run(args: argparse.Namespace) -> int:
    paths = resolve_paths(args)
    step("paths", paths.ensure)
    step("logging", lambda: configure_logging(args.log_level, paths))
    try:
        if args.command == "serve":
            return run_serve(args, paths)
        return run_app(args, paths)
    except MiauflixError as exc:
        log.error("%s", exc)
        sys.stderr.write(f"miauflix-desktop: {exc}\n")
        return 2


# ---------------------------------------------------------------- headless serve


def run_serve(args: argparse.Namespace, paths: AppPaths) -> int:
    settings = step("settings", lambda: apply_args(load_settings(paths.settings_file), args))
    adds: list[str] = list(getattr(args, "add", None) or [])
    if not args.demo and not adds:
        raise MiauflixError("Nothing to serve: pass --demo (the demo library) and/or "
                            "--add MAGNET_OR_TORRENT.")
    # Every --add is checked before anything starts: a typo fails in milliseconds,
    # with exit code 2 and one line saying why, not after the engine is up.
    items = step("add items", lambda: _unique([parse_item(a) for a in adds]))
    if args.demo:
        step("programs", lambda: check_programs(ui=False))
    # A magnet the user adds lives on the internet: the engine must not be confined to
    # loopback then, unless --isolated asks for it (tests seeding on 127.0.0.1 do).
    isolated: bool | None = True if args.isolated else (False if items else None)
    container = step("container", lambda: build_container(
        paths, settings, demo=args.demo, sync=False, isolated_network=isolated,
        demo_duration_s=args.demo_duration))
    return asyncio.run(_serve(container, items, peers=tuple(getattr(args, "peer", ()) or ()),
                              add_timeout_s=getattr(args, "add_timeout",
                                                    DEFAULT_METADATA_TIMEOUT_S)))


def _unique(items: list[AdhocItem]) -> list[AdhocItem]:
    """The same torrent given twice (as a file and as its magnet) is served once."""
    seen: dict[str, AdhocItem] = {}
    for item in items:
        # A .torrent beats a magnet of the same hash: no metadata fetch needed.
        if item.info_hash not in seen or (item.torrent and not seen[item.info_hash].torrent):
            seen[item.info_hash] = item
    return list(seen.values())


def _print_title(title: str, url: str) -> None:
    sys.stdout.write(json.dumps({"title": title, "url": url}) + "\n")
    sys.stdout.flush()


async def _serve_demo(container: Container) -> bool:
    assert container.demo is not None
    await container.demo.wait_ready()
    for entry in container.demo.entries:
        target = await container.streams.open(entry.movie_id)
        _print_title(target.title, target.url)
    return True


async def _serve_added(container: Container, item: AdhocItem, peers: tuple[tuple[str, int], ...],
                       timeout_s: float) -> bool:
    """Add one torrent and print its line; a failure is reported and the others go on."""
    try:
        film = await container.adhoc.add(item, peers, timeout_s)
        target = await container.streams.open(film.movie_id, film.source_id)
    except MiauflixError as exc:
        log.warning("%s", exc)
        sys.stderr.write(f"miauflix-desktop: {exc}\n")
        return False
    _print_title(target.title, target.url)
    return True


async def _serve(container: Container, adds: Sequence[AdhocItem] = (), *,
                 peers: tuple[tuple[str, int], ...] = (),
                 add_timeout_s: float = DEFAULT_METADATA_TIMEOUT_S) -> int:
    """Start, print one JSON line per title as it becomes playable, run until a signal.

    Exit code 1 when only --add was given and none of them could be served.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    lifecycle = container.lifecycle()
    await lifecycle.start()
    freeze_startup_heap()
    jobs: list[asyncio.Task[bool]] = []
    try:
        if container.demo is not None:
            jobs.append(asyncio.create_task(_serve_demo(container), name="serve-demo"))
        # Concurrently: one magnet waiting for peers must not hold back the others.
        jobs += [asyncio.create_task(_serve_added(container, item, peers, add_timeout_s),
                                     name=f"serve-add-{item.info_hash[:8]}")
                 for item in adds]
        all_done = asyncio.gather(*jobs)
        # Retrieved here when a signal ends the wait first (no "never retrieved" noise).
        all_done.add_done_callback(lambda f: f.cancelled() or f.exception())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({all_done, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not all_done.done():
            return 0  # a signal during start-up: a clean exit
        stopped.cancel()
        if not any(all_done.result()):  # the demo's errors are raised from here
            log.error("none of the added torrents could be served")
            sys.stderr.write("miauflix-desktop: nothing to serve\n")
            return 1
        await stop.wait()
        return 0
    finally:
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        log.info("shutting down")
        await lifecycle.stop()


def freeze_startup_heap() -> None:
    """Exempt everything alive after start-up from future cyclic-GC scans (gc.freeze).

    A full (generation 2) collection walks every tracked object; with Qt, SQLAlchemy and
    the catalog loaded that took 80-140 ms, all threads stopped, mid-sync (measured in
    bench/catalog.py --sections sync). Start-up objects live for the whole run anyway.
    """
    gc.collect()
    gc.freeze()


# ---------------------------------------------------------------- the app with its UI


def run_app(args: argparse.Namespace, paths: AppPaths) -> int:
    settings = step("settings", lambda: apply_args(load_settings(paths.settings_file), args))
    step("programs", lambda: check_programs(ui=True))
    from miauflix_desktop.ui.app import create_qt_app

    qt_app, loop = step("qt", lambda: create_qt_app(sys.argv[:1]))
    container = step("container", lambda: build_container(
        paths, settings, demo=True, demo_duration_s=args.demo_duration,
        isolated_network=True if args.isolated else None))
    with loop:
        return loop.run_until_complete(_run_ui(container, qt_app))


async def _run_ui(container: Container, qt_app: object) -> int:
    from PySide6.QtCore import QTimer

    from miauflix_desktop.container import build_ui

    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def request_quit(*_: object) -> None:
        loop.call_soon_threadsafe(done.set)

    # Qt runs the main loop in C++, so Python only sees a POSIX signal when it next runs
    # bytecode; a cheap timer makes that happen within 200 ms. SIGINT/SIGTERM then take
    # the same ordered path as closing the window.
    previous = {s: signal.signal(s, request_quit) for s in (signal.SIGINT, signal.SIGTERM)}
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(200)

    ui = step("ui", lambda: build_ui(container))
    container.extra_services.append(("player", ui.player))
    lifecycle = container.lifecycle()
    shell = ui.shell
    try:
        await lifecycle.start()
        window = step("window", shell.load)  # type: ignore[attr-defined]
        del window
        freeze_startup_heap()
        # QQuickWindow.closing carries a QQuickCloseEvent PySide cannot convert; Qt emits
        # lastWindowClosed for the same user action (quit-on-last-window is off, so the
        # ordered shutdown below runs instead of Qt quitting under it).
        qt_app.lastWindowClosed.connect(request_quit)  # type: ignore[attr-defined]
        await done.wait()
    finally:
        log.info("shutting down")
        # The shell first: it leaves the player, frees mpv's render context on the render
        # thread and stops mpv, so the stream server has no open stream when it closes.
        try:
            await shell.close()  # type: ignore[attr-defined]
        except Exception:
            log.exception("the window did not close cleanly")
        await lifecycle.stop()
        ticker.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    return 0
