"""Startup recipe as small named steps, and the ordered shutdown on close or signal."""

from __future__ import annotations

import argparse
import asyncio
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
    demo = bool(args.demo or settings.demo_mode)
    if not demo:
        raise MiauflixError("Nothing to serve yet: pass --demo to serve the demo library.")
    step("programs", lambda: check_programs(ui=False))
    container = step("container", lambda: build_container(
        paths, settings, demo=True, demo_duration_s=args.demo_duration))
    asyncio.run(_serve(container))
    return 0


async def _serve(container: Container) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    lifecycle = container.lifecycle()
    await lifecycle.start()
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


# ---------------------------------------------------------------- the app with its UI


def run_app(args: argparse.Namespace, paths: AppPaths) -> int:
    settings = step("settings", lambda: apply_args(load_settings(paths.settings_file), args))
    step("programs", lambda: check_programs(ui=True))
    from miauflix_desktop.ui import app as ui_app

    step("graphics", ui_app.configure_graphics)
    qt_app, loop = step("qt", lambda: ui_app.create_qt_app(sys.argv[:1]))
    demo = True if args.demo else None
    container = step("container", lambda: build_container(
        paths, settings, demo=demo, demo_duration_s=args.demo_duration))
    with loop:
        return loop.run_until_complete(_run_ui(container, qt_app))


async def _run_ui(container: Container, qt_app: object) -> int:
    from miauflix_desktop.ui import app as ui_app

    done = asyncio.Event()
    # Qt owns the main loop, so POSIX signals are polled into asyncio from a Python
    # handler; SIGINT/SIGTERM then close the window the same way the user would.
    previous = {s: signal.signal(s, lambda *_: done.set()) for s in (signal.SIGINT,
                                                                      signal.SIGTERM)}
    wakeup = ui_app.keep_python_signals_alive(qt_app)
    lifecycle = container.lifecycle()
    shell = None
    try:
        player = ui_app.build_player()
        lifecycle_extra = [("player", player)]
        container.extra_services.extend(lifecycle_extra)
        lifecycle = container.lifecycle()
        await lifecycle.start()
        shell = ui_app.build_shell(container, player)
        shell.load(on_closed=done.set)
        await done.wait()
    finally:
        log.info("shutting down")
        if shell is not None:
            await shell.close()
        await lifecycle.stop()
        wakeup.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    return 0
