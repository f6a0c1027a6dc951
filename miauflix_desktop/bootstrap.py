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
from collections.abc import Callable
from typing import TypeVar

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.settings import Settings, load_settings
from miauflix_desktop.container import Container, build_container
from miauflix_desktop.core.errors import MiauflixError, MissingDependencyError

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
    if not args.demo:
        raise MiauflixError("Nothing to serve yet: pass --demo to serve the demo library.")
    step("programs", lambda: check_programs(ui=False))
    container = step("container", lambda: build_container(
        paths, settings, demo=True, sync=False, demo_duration_s=args.demo_duration))
    asyncio.run(_serve(container))
    return 0


async def _serve(container: Container) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    lifecycle = container.lifecycle()
    await lifecycle.start()
    freeze_startup_heap()
    try:
        assert container.demo is not None
        ready = asyncio.create_task(container.demo.wait_ready())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            stopped.cancel()
            ready.result()
            for entry in container.demo.entries:
                target = await container.streams.open(entry.movie_id)
                sys.stdout.write(json.dumps({"title": target.title, "url": target.url}) + "\n")
            sys.stdout.flush()
            await stop.wait()
        else:
            ready.cancel()
    finally:
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
