"""Rows "clients" and "seek" of bench/stream.py: first byte / first frame, ours vs
webtorrent-cli and peerflix, from one loopback seeder; seek-to-frame p50/p95 on ours.

bench/stream.py runs this file in a network namespace of its own (``unshare -n`` with
only ``lo`` up): webtorrent-cli has no switch to turn DHT, LSD or trackers off, and
peerflix's torrent-stream starts DHT too, so their bootstrap traffic must have nowhere
to go but loopback. Every client streams the same demo title from the same LocalSeeder
(libtorrent on 127.0.0.1), each run into a fresh download dir:

  ours        TorrentEngine (isolated) -> StreamService.open -> StreamServer
  webtorrent  webtorrent-cli 4 download "magnet:?xt=...&x.pe=127.0.0.1:SEEDER" (the peer
              is given in the magnet: BEP 9 x.pe); its own HTTP server
  peerflix    peerflix file.torrent --peer 127.0.0.1:SEEDER; its own HTTP server

First byte: start (Play for ours, process spawn for the others) -> first body byte of
``GET Range: bytes=0-``. First frame: start -> the URL answers -> mpv (vo=null, the
probe of bench/play.py) loadfile -> first frame. The others include node's start-up;
the "node start" figure says how much that is.

    python bench/_stream_clients.py --json [--runs 3] [--seeks 12] [--npm-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

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

REPO = Path(__file__).resolve().parents[1]
NPM_DIR = Path.home() / ".cache" / "miauflix-bench"
MEDIA_CACHE = REPO / ".test-artifacts" / "warm-start-media"  # shared with _warm_start.py
TIMEOUT_S = 30.0
Row = tuple[str, str, str, str, str]

# npm packages and the versions that run here (see bench/stream.py's docstring for why
# webtorrent-cli is pinned to 4: 5.x needs a native WebRTC module built from source).
PACKAGES = {"webtorrent": ("npm-wt4", "webtorrent-cli@4", "webtorrent"),
            "peerflix": ("npm-peerflix", "peerflix", "peerflix")}


# ---------------------------------------------------------------------- mpv probe

class Probe:
    """Headless mpv: awaitable first frame (playback-restart) after loadfile or seek;
    an end-file with an error fails the wait at once instead of timing out."""

    def __init__(self) -> None:
        import locale

        import mpv

        locale.setlocale(locale.LC_NUMERIC, "C")
        self._loop = asyncio.get_running_loop()
        self.player = mpv.MPV(vo="null", ao="null", cache="yes", keep_open="yes",
                              hr_seek="yes", demuxer_max_bytes="64MiB",
                              network_timeout=TIMEOUT_S)
        self._waiter: asyncio.Future[float] | None = None
        self.player.register_event_callback(self._on_event)

    def _on_event(self, event: object) -> None:
        eid = getattr(event, "event_id", None)
        value = getattr(eid, "value", eid)
        now = time.perf_counter()
        if value == 21:  # PLAYBACK_RESTART
            self._loop.call_soon_threadsafe(self._settle, now, None)
        elif value == 7:  # END_FILE: only an error matters here
            data = getattr(event, "data", None)
            reason = getattr(data, "reason", None)
            if reason is not None and getattr(reason, "value", reason) == 4:  # ERROR
                self._loop.call_soon_threadsafe(self._settle, now, "mpv could not play it")

    def _settle(self, when: float, error: str | None) -> None:
        if self._waiter is None or self._waiter.done():
            return
        if error:
            self._waiter.set_exception(RuntimeError(error))
        else:
            self._waiter.set_result(when)

    def arm(self) -> asyncio.Future[float]:
        self._waiter = self._loop.create_future()
        return self._waiter

    async def load(self, url: str) -> float:
        fut = self.arm()
        self.player.loadfile(url)
        return await asyncio.wait_for(fut, TIMEOUT_S)

    async def seek(self, seconds: float) -> float:
        fut = self.arm()
        t0 = time.perf_counter()
        # What the player screen does: exact seeks (player.py uses "exact").
        self.player.seek(seconds, "absolute+exact")
        return await asyncio.wait_for(fut, TIMEOUT_S) - t0

    def stop(self) -> None:
        self.player.command("stop")

    def close(self) -> None:
        self.player.terminate()


# ---------------------------------------------------------------------- helpers

async def first_byte(url: str, deadline: float) -> None:
    """Until the URL gives a first body byte; connection refused/404 before that are
    retried (a server that is still starting)."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        while True:
            try:
                async with s.get(url, headers={"Range": "bytes=0-"}) as r:
                    if r.status in (200, 206) and await r.content.readany():
                        return
            except (aiohttp.ClientError, OSError):
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no first byte from {url}")
            await asyncio.sleep(0.005)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def node_bin(npm_dir: Path, client: str) -> list[str] | None:
    sub, _, binary = PACKAGES[client]
    path = npm_dir / sub / "node_modules" / ".bin" / binary
    node = shutil.which("node")
    return [node, str(path)] if node and path.exists() else None


def install(npm_dir: Path, client: str) -> str | None:
    """npm install into the cache dir once; returns why it cannot run, or None."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "node/npm not installed"
    if node_bin(npm_dir, client):
        return None
    sub, spec, _ = PACKAGES[client]
    target = npm_dir / sub
    target.mkdir(parents=True, exist_ok=True)
    # --ignore-scripts: a dependency of webtorrent's (ip-set) has a preinstall script
    # that insists on pnpm via npx; nothing these CLIs need for TCP is native.
    proc = subprocess.run(["npm", "install", "--prefix", str(target), "--no-audit",
                           "--no-fund", "--ignore-scripts", spec],
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0 or not node_bin(npm_dir, client):
        return f"npm install {spec} failed: {proc.stderr.strip()[-300:]}"
    return None


@contextlib.asynccontextmanager
async def spawned(cmd: list[str], cwd: Path):  # type: ignore[no-untyped-def]
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=str(cwd),
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE,
                                                start_new_session=True)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)


# ---------------------------------------------------------------------- the clients

class Bench:
    def __init__(self, args: argparse.Namespace, root: Path, entry: DemoEntry,
                 movies: MovieRepository, signer: TokenSigner, seeder: LocalSeeder,
                 demo: DemoLibrary, torrent_file: Path, probe: Probe) -> None:
        self.args = args
        self.root = root
        self.entry = entry
        self.movies = movies
        self.signer = signer
        self.seeder = seeder
        self.demo = demo
        self.torrent_file = torrent_file
        self.probe = probe

    def fresh(self) -> Path:
        return Path(tempfile.mkdtemp(dir=self.root, prefix="run-"))

    # --- ours
    @contextlib.asynccontextmanager
    async def ours(self):  # type: ignore[no-untyped-def]
        run = self.fresh()
        engine = TorrentEngine(TorrentSettings(), run / "dl", run / "resume", isolated=True)
        ref: list[StreamServer] = []
        streams = StreamService(self.movies, engine, self.signer, lambda: ref[0].base_url,
                                3600, peer_hints=self.demo.peers_for)
        server = StreamServer(ServerSettings(port=0), streams.resolve)
        ref.append(server)
        await engine.start()
        await server.start()
        try:
            yield streams, engine
        finally:
            with contextlib.suppress(Exception):
                self.probe.stop()
            await server.stop()
            await engine.stop()

    async def ours_run(self, measure: str) -> float:
        async with self.ours() as (streams, _engine):
            t0 = time.perf_counter()
            url = (await streams.open(self.entry.movie_id)).url
            if measure == "byte":
                await first_byte(url, t0 + TIMEOUT_S)
                return time.perf_counter() - t0
            return await self.probe.load(url) - t0

    # --- the others
    def command(self, client: str, port: int, out: Path) -> tuple[list[str], str]:
        base = node_bin(self.args.npm_dir, client)
        assert base is not None
        host, seed_port = self.seeder.endpoint
        if client == "webtorrent":
            magnet = (f"magnet:?xt=urn:btih:{self.entry.info_hash}"
                      f"&x.pe={host}:{seed_port}")
            name = self.entry.asset.media_path.name
            return ([*base, "download", magnet, "--out", str(out), "--port", str(port),
                     "--keep-seeding", "--quiet", "--not-on-top"],
                    f"http://127.0.0.1:{port}/0/{name}")
        return ([*base, str(self.torrent_file), "--peer", f"{host}:{seed_port}",
                 "--port", str(port), "--hostname", "127.0.0.1", "--path", str(out), "-q"],
                f"http://127.0.0.1:{port}/")

    async def other_run(self, client: str, measure: str) -> float:
        run = self.fresh()
        port = free_port()
        cmd, url = self.command(client, port, run / "dl")
        t0 = time.perf_counter()
        async with spawned(cmd, run) as proc:
            try:
                await first_byte(url, t0 + TIMEOUT_S)
                if measure == "byte":
                    return time.perf_counter() - t0
                return await self.probe.load(url) - t0
            except (TimeoutError, RuntimeError) as exc:
                err = b""
                if proc.returncode is not None and proc.stderr is not None:
                    err = await proc.stderr.read()
                raise RuntimeError(f"{client}: {exc} {err.decode()[-300:]}") from exc
            finally:
                with contextlib.suppress(Exception):
                    self.probe.stop()


def node_start_ms() -> float:
    """What starting node itself costs (part of the others' figures)."""
    node = shutil.which("node")
    if not node:
        return 0.0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([node, "-e", "0"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def clients_rows(b: Bench, clients: list[str], skipped: dict[str, str]) -> list[Row]:
    runs = b.args.runs
    got: dict[str, dict[str, list[float]]] = {c: {"byte": [], "frame": []}
                                               for c in ["ours", *clients]}
    failures: dict[str, str] = {}
    for _ in range(runs):
        for measure in ("byte", "frame"):
            for client in ["ours", *clients]:
                if client in failures:
                    continue
                try:
                    if client == "ours":
                        value = await b.ours_run(measure)
                    else:
                        value = await b.other_run(client, measure)
                except Exception as exc:  # one client failing must not hide the others
                    failures[client] = str(exc)[:300]
                    print(f"  {client} failed: {exc}", file=sys.stderr)
                    continue
                got[client][measure].append(value)
                print(f"  {client} {measure}: {value * 1000:.0f} ms", file=sys.stderr)
    title = b.entry.asset.media_path.name
    rows: list[Row] = []
    for measure, label, target in (("byte", "first byte", None),
                                   ("frame", "first frame", 0.5)):
        ours = got["ours"][measure]
        refs = []
        for client in clients:
            if client in failures or not got[client][measure]:
                refs.append(f"{client}: failed ({failures.get(client, 'no result')})")
            else:
                v = got[client][measure]
                refs.append(f"{client} {ms(v)} ({' '.join(f'{x * 1000:.0f}' for x in v)})")
        for client, why in skipped.items():
            refs.append(f"{client}: not run ({why})")
        best_other = min((statistics.median(got[c][measure]) for c in clients
                          if c not in failures and got[c][measure]), default=0.0)
        ratio = f"{statistics.median(ours) / best_other:.2f}x" if ours and best_other else ""
        verdict = ""
        if target is not None and ours:
            verdict = ("met" if statistics.median(ours) <= target else "NOT met") + \
                f" (<= {target * 1000:.0f} ms cold"
            if ratio:
                met_ratio = statistics.median(ours) / best_other <= 0.5
                verdict += f"; <= 0.5x others: {'met' if met_ratio else 'NOT met'}"
            verdict += ")"
        rows.append((f"{label}, cold, {title}, median of {runs} (spawn/Play -> it)",
                     f"{ms(ours)} ({' '.join(f'{x * 1000:.0f}' for x in ours)})"
                     if ours else f"failed: {failures.get('ours')}",
                     "; ".join(refs), ratio, verdict))
    return rows


async def seek_rows(b: Bench) -> list[Row]:
    """Seek-to-frame on ours: partly downloaded from a throttled seeder, and finished."""
    rng = random.Random(7)
    rows: list[Row] = []
    kib = b.args.slow_seeder_kib
    for label in (f"partly downloaded, seeder {kib} KiB/s", "finished file"):
        finished = label == "finished file"
        if not finished:
            b.seeder.set_upload_limit(kib * 1024)
        try:
            async with b.ours() as (streams, engine):
                url = (await streams.open(b.entry.movie_id)).url
                if finished:
                    torrent = engine.get(b.entry.info_hash)
                    assert torrent is not None
                    await asyncio.wait_for(torrent.finished(), 120)
                await b.probe.load(url)
                duration = 0.0
                for _ in range(200):
                    duration = float(b.probe.player.duration or 0)
                    if duration:
                        break
                    await asyncio.sleep(0.01)
                times = []
                for _ in range(b.args.seeks):
                    target = rng.uniform(0.05, 0.95) * duration
                    times.append(await b.probe.seek(target))
        finally:
            b.seeder.set_upload_limit(0)
        p50, p95 = pct(times, 0.5), pct(times, 0.95)
        rows.append((f"seek -> frame, {b.entry.asset.media_path.name}, {label}, "
                     f"{len(times)} random exact seeks",
                     f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                     f"max {max(times) * 1000:.0f} ms", "", "",
                     ("met" if p95 <= 0.3 else "NOT met") + " (p95 <= 300 ms)"))
        print(f"  {rows[-1]}", file=sys.stderr)
    return rows


async def amain(args: argparse.Namespace) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="miauflix-clients-bench-"))
    MEDIA_CACHE.mkdir(parents=True, exist_ok=True)
    db = Database(root / "bench.sqlite3")
    db.open()
    movies = MovieRepository(db)
    signer = TokenSigner(SecretStore(root / "secrets", use_keyring=False).get_or_create("k"))
    seeder = LocalSeeder(root / "seeder")
    await seeder.start()
    demo = DemoLibrary(MEDIA_CACHE, root / "torrents", seeder, movies, args.duration)
    probe: Probe | None = None
    try:
        await demo.start()
        await demo.wait_ready()
        entry = demo.entries[args.title]
        source = movies.get_source(entry.source_id)
        assert source is not None and source.torrent
        torrent_file = root / "title.torrent"
        torrent_file.write_bytes(source.torrent)
        probe = Probe()
        b = Bench(args, root, entry, movies, signer, seeder, demo, torrent_file, probe)
        rows: list[Row] = []
        if "clients" in args.rows:
            skipped: dict[str, str] = {}
            clients = []
            for client in ("webtorrent", "peerflix"):
                why = args.skip_others or install(args.npm_dir, client)
                if why:
                    skipped[client] = why
                else:
                    clients.append(client)
            rows += await clients_rows(b, clients, skipped)
            rows.append(("node start-up (`node -e 0`), in the others' figures",
                         "", f"{node_start_ms():.0f} ms", "", ""))
        if "seek" in args.rows:
            rows += await seek_rows(b)
        return rows
    finally:
        if probe is not None:
            probe.close()
        await demo.stop()
        await seeder.stop()
        db.close()
        shutil.rmtree(root, ignore_errors=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print rows as JSON (for stream.py)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seeks", type=int, default=12)
    ap.add_argument("--slow-seeder-kib", type=int, default=2048)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--title", type=int, default=0, help="demo title index (0 = MP4)")
    ap.add_argument("--npm-dir", type=Path, default=NPM_DIR)
    ap.add_argument("--rows", default="clients,seek")
    ap.add_argument("--skip-others", default="",
                    help="do not run webtorrent/peerflix, for this reason (no netns)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING)
    rows = asyncio.run(amain(args))
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print("  ".join(r))


# `./dev bench` runs every bench/*.py; this one only runs when asked to.
if __name__ == "__main__":
    main()
