"""Play latency per demo title: "play" -> first byte, -> first decoded frame, seek -> frame.

Runs the product's own path (LocalSeeder on 127.0.0.1 -> TorrentEngine -> StreamService ->
StreamServer -> mpv with vo=null) and, side by side in the same run, a reference: the
same file served by a plain aiohttp FileResponse (no torrent) to the same mpv. Every run
uses a fresh engine with an empty download dir, so nothing is cached between runs.

    .venv/bin/python bench/play.py [--runs 5] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import locale
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.services.demo.library import DemoEntry, DemoLibrary
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent.seeder import LocalSeeder
from miauflix_desktop.services.torrent.session import TorrentEngine

TIMEOUT = 30.0


class MpvProbe:
    """A headless mpv that reports first-frame and seek-done moments as awaitables."""

    def __init__(self) -> None:
        import mpv

        locale.setlocale(locale.LC_NUMERIC, "C")
        self._loop = asyncio.get_running_loop()
        self.player = mpv.MPV(vo="null", ao="null", cache="yes", keep_open="yes",
                              hr_seek="yes", demuxer_max_bytes="64MiB")
        self._waiter: asyncio.Future[float] | None = None
        self.player.register_event_callback(self._on_event)

    def _on_event(self, event: object) -> None:
        name = getattr(event, "event_id", None)
        value = getattr(name, "value", name)
        if value == 21:  # MPV_EVENT_PLAYBACK_RESTART: first frame after load or seek
            now = time.perf_counter()
            self._loop.call_soon_threadsafe(self._resolve, now)

    def _resolve(self, when: float) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(when)

    def arm(self) -> asyncio.Future[float]:
        self._waiter = self._loop.create_future()
        return self._waiter

    def close(self) -> None:
        self.player.terminate()


async def first_byte(url: str) -> float:
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as s, s.get(url, headers={"Range": "bytes=0-"}) as r:
        await r.content.readany()
        return time.perf_counter() - t0


async def frame_and_seek(probe: MpvProbe, open_url: Callable[[], Awaitable[str]]
                         ) -> tuple[float, float]:
    t0 = time.perf_counter()
    url = await open_url()
    fut = probe.arm()
    probe.player.loadfile(url)
    t_frame = await asyncio.wait_for(fut, TIMEOUT) - t0
    duration = None
    for _ in range(200):
        duration = probe.player.duration
        if duration:
            break
        await asyncio.sleep(0.01)
    fut = probe.arm()
    t1 = time.perf_counter()
    probe.player.seek(float(duration) * 0.8, "absolute+exact")
    t_seek = await asyncio.wait_for(fut, TIMEOUT) - t1
    probe.player.command("stop")
    return t_frame, t_seek


async def torrent_run(entry: DemoEntry, movies: MovieRepository, signer: TokenSigner,
                      demo: DemoLibrary, work: Path, probe: MpvProbe, warm: bool
                      ) -> tuple[float, ...]:
    """One run through the product path; returns (first byte, first frame, seek).

    cold: Play is the first thing that touches the torrent. warm: what the app does —
    opening Details calls StreamService.prepare (torrent added, peer connected, first
    piece fetched) while the viewer reads, then Play is pressed.
    """
    results: list[float] = []
    for measure in ("byte", "frame"):
        run_dir = Path(tempfile.mkdtemp(dir=work))
        engine = TorrentEngine(TorrentSettings(), run_dir / "dl", run_dir / "resume",
                               isolated=True)
        server_ref: list[StreamServer] = []
        streams = StreamService(movies, engine, signer,
                                lambda ref=server_ref: ref[0].base_url, 3600,
                                peer_hints=demo.peers_for)
        server = StreamServer(ServerSettings(port=0), streams.resolve)
        server_ref.append(server)
        await engine.start()
        await server.start()
        try:
            if warm:
                await streams.prepare(entry.movie_id)

            async def open_url(s: StreamService = streams) -> str:
                return (await s.open(entry.movie_id)).url

            if measure == "byte":
                t0 = time.perf_counter()
                url = await open_url()
                await first_byte(url)
                results.append(time.perf_counter() - t0)
            else:
                results.extend(await frame_and_seek(probe, open_url))
        finally:
            await server.stop()
            await engine.stop()
    return tuple(results)


async def file_run(path: Path, probe: MpvProbe) -> tuple[float, ...]:
    """The reference: the finished file from a plain aiohttp FileResponse."""
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/f", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/f"
    try:
        fb = await first_byte(url)

        async def open_url() -> str:
            return url

        frame, seek = await frame_and_seek(probe, open_url)
        return fb, frame, seek
    finally:
        await runner.cleanup()


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.0f}"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--slow-seeder-kib", type=int, default=2048,
                    help="upload limit of the seeder for the unbuffered-seek rows")
    ap.add_argument("--data-dir", type=Path, default=None,
                    help="reuse generated demo media between benchmark runs")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    root = args.data_dir or Path(tempfile.mkdtemp(prefix="miauflix-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    db = Database(root / "bench.sqlite3")
    db.open()
    movies = MovieRepository(db)
    signer = TokenSigner(SecretStore(root / "secrets", use_keyring=False).get_or_create("k"))
    seeder = LocalSeeder(root / "seeder")
    await seeder.start()
    demo = DemoLibrary(root / "media", root / "torrents", seeder, movies, args.duration)
    t0 = time.perf_counter()
    await demo.start()
    await demo.wait_ready()
    sys.stdout.write(f"demo media ready in {time.perf_counter() - t0:.1f} s "
                     f"({args.duration:.0f} s clips), {args.runs} runs each, medians in ms\n\n")
    probe = MpvProbe()
    work = Path(tempfile.mkdtemp(dir=root, prefix="runs-"))
    rows = []
    try:
        for entry in demo.entries:
            cold: list[tuple[float, ...]] = []
            warm: list[tuple[float, ...]] = []
            slow: list[tuple[float, ...]] = []
            ref: list[tuple[float, ...]] = []
            for _ in range(args.runs):
                cold.append(await torrent_run(entry, movies, signer, demo, work, probe, False))
                warm.append(await torrent_run(entry, movies, signer, demo, work, probe, True))
                # A swarm slower than loopback: the 80 % point is surely not downloaded
                # yet when the seek comes, so this is a seek to an unbuffered point.
                seeder.set_upload_limit(args.slow_seeder_kib * 1024)
                try:
                    slow.append(await torrent_run(entry, movies, signer, demo, work, probe,
                                                  True))
                finally:
                    seeder.set_upload_limit(0)
                ref.append(await file_run(entry.asset.media_path, probe))
            name = entry.asset.title.filename
            for label, runs in (("torrent, cold (Play adds it)", cold),
                                ("torrent, warm (Details prepared)", warm),
                                (f"torrent, warm, seeder {args.slow_seeder_kib} KiB/s", slow),
                                ("reference: plain file, aiohttp", ref)):
                rows.append((name, label, *(ms([r[i] for r in runs]) for i in range(3))))
    finally:
        probe.close()
        await demo.stop()
        await seeder.stop()
        db.close()

    header = ("title", "path", "first byte", "first frame", "seek 80%")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    line = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    sys.stdout.write(line.format(*header) + "\n")
    for r in rows:
        sys.stdout.write(line.format(*r) + "\n")
    sys.stdout.write("\ntargets: first byte <= 100 ms, first frame <= 1000 ms, seek <= 500 ms\n")


if __name__ == "__main__":
    asyncio.run(main())
