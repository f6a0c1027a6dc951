"""Warm start: Play -> first decoded frame for a title focused 2 s before Play vs a cold one.

The product's own path from a throttled LocalSeeder on 127.0.0.1: ViewportPreloader ->
StreamService.warm (torrent, metadata, header and footer pieces) while the card has
focus; then Play = StreamService.open -> StreamServer -> mpv (vo=null, the probe of
bench/play.py) until its first frame. Cold: Play is the first thing that touches the
torrent. Every run uses a fresh engine with an empty download dir.

``warm_vs_cold`` is what bench/stream.py calls; alone:

    .venv/bin/python bench/_warm_start.py [--runs 3] [--seeder-kib 8192] [--focus-s 2]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from play import MpvProbe  # the first-frame probe (mpv vo=null, playback-restart)

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import PreloadSettings, ServerSettings, TorrentSettings
from miauflix_desktop.services.demo.library import DemoEntry, DemoLibrary
from miauflix_desktop.services.preload import PIECES, ViewportPreloader
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent.seeder import LocalSeeder
from miauflix_desktop.services.torrent.session import TorrentEngine

REPO = Path(__file__).resolve().parents[1]
# Generated once and reused: ffmpeg is the slow part of a first run.
MEDIA_CACHE = REPO / ".test-artifacts" / "warm-start-media"
TIMEOUT_S = 30.0
TARGET_WARM_S = 0.2
TARGET_COLD_S = 0.5

Row = tuple[str, str, str, str, str]
HEADER: Row = ("title", "path", "first frame (median ms)", "runs (ms)", "target")


async def _one_play(entry: DemoEntry, movies: MovieRepository, signer: TokenSigner,
                    demo: DemoLibrary, work: Path, probe: MpvProbe, *, warm: bool,
                    focus_s: float) -> tuple[float, bool]:
    """Seconds from Play to the first frame, and whether the warm-up had finished."""
    run_dir = Path(tempfile.mkdtemp(dir=work))
    engine = TorrentEngine(TorrentSettings(), run_dir / "dl", run_dir / "resume",
                           isolated=True)
    server_ref: list[StreamServer] = []
    streams = StreamService(movies, engine, signer, lambda: server_ref[0].base_url, 3600,
                            peer_hints=demo.peers_for)
    server = StreamServer(ServerSettings(port=0), streams.resolve)
    server_ref.append(server)
    preloader = ViewportPreloader(streams, PreloadSettings(), busy=[streams.streaming])
    await engine.start()
    await server.start()
    await preloader.start()
    try:
        ready = False
        if warm:
            preloader.report(entry.movie_id, [], [])
            await asyncio.sleep(focus_s)  # the card has focus while the viewer reads it
            ready = preloader.achieved(entry.movie_id) >= PIECES
        t0 = time.perf_counter()
        url = (await streams.open(entry.movie_id)).url
        fut = probe.arm()
        probe.player.loadfile(url)
        first_frame = await asyncio.wait_for(fut, TIMEOUT_S) - t0
        probe.player.command("stop")
        return first_frame, ready
    finally:
        await preloader.stop()
        await server.stop()
        await engine.stop()


async def warm_vs_cold(runs: int = 3, seeder_kib: int = 8192, focus_s: float = 2.0,
                       duration_s: float = 60.0, media_dir: Path | None = None,
                       work_dir: Path | None = None) -> list[Row]:
    """First-frame rows per demo title: focused ``focus_s`` before Play, and cold; the
    seeder throttled to ``seeder_kib`` KiB/s. Medians of ``runs``; rows start with
    HEADER's columns (title, path, median ms, every run in ms, target)."""
    root = Path(work_dir or tempfile.mkdtemp(prefix="miauflix-warm-"))
    root.mkdir(parents=True, exist_ok=True)
    media = media_dir or MEDIA_CACHE
    media.mkdir(parents=True, exist_ok=True)
    db = Database(root / "bench.sqlite3")
    db.open()
    movies = MovieRepository(db)
    signer = TokenSigner(SecretStore(root / "secrets", use_keyring=False).get_or_create("k"))
    seeder = LocalSeeder(root / "seeder")
    await seeder.start()
    demo = DemoLibrary(media, root / "torrents", seeder, movies, duration_s)
    await demo.start()
    await demo.wait_ready()
    seeder.set_upload_limit(seeder_kib * 1024)
    probe = MpvProbe()
    work = Path(tempfile.mkdtemp(dir=root, prefix="runs-"))
    rows: list[Row] = []
    try:
        for entry in demo.entries:
            results: dict[bool, list[float]] = {True: [], False: []}
            not_ready = 0
            for _ in range(runs):
                for warm in (True, False):
                    seconds, ready = await _one_play(entry, movies, signer, demo, work, probe,
                                                     warm=warm, focus_s=focus_s)
                    results[warm].append(seconds)
                    not_ready += warm and not ready
            name = entry.asset.title.filename
            for warm, label, target in (
                    (True, f"warm (focused {focus_s:g} s)", TARGET_WARM_S),
                    (False, "cold (Play adds it)", TARGET_COLD_S)):
                values = results[warm]
                note = f" ({not_ready} not warm in time)" if warm and not_ready else ""
                rows.append((name, f"{label}, seeder {seeder_kib} KiB/s{note}",
                             f"{statistics.median(values) * 1000:.0f}",
                             " ".join(f"{v * 1000:.0f}" for v in values),
                             f"<= {target * 1000:.0f}"))
    finally:
        probe.close()
        await demo.stop()
        await seeder.stop()
        db.close()
    return rows


def format_rows(rows: list[Row]) -> str:
    table = [HEADER, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in table)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seeder-kib", type=int, default=8192)
    ap.add_argument("--focus-s", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = await warm_vs_cold(args.runs, args.seeder_kib, args.focus_s, args.duration)
    sys.stdout.write(format_rows(rows) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
