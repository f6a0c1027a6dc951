"""Serving and downloading: our stream server vs nginx, engine vs bare libtorrent, 8 streams.

The product's own path (LocalSeeder on 127.0.0.1 -> TorrentEngine -> StreamService ->
StreamServer, /stream/<signed token>) and, side by side in the same run, references:

  serve     a finished torrent file through /stream/<token> vs nginx (Debian, sendfile,
            1 worker, temp prefix, access_log off) serving the same file; same client
            (wrk, fixed duration): whole-file GETs and random 1 MiB Range GETs, the two
            servers alternating for --serve-rounds rounds (medians), so that a busy
            moment of the shared machine does not land on one side only.
  clients   time to first byte and to first frame (mpv vo=null) of a demo title, cold:
            ours vs webtorrent-cli and peerflix (npm, installed once into
            ~/.cache/miauflix-bench), all from one LocalSeeder. Runs
            bench/_stream_clients.py inside `unshare -n` (only lo up): neither CLI can
            turn DHT off, so their DHT traffic must have nowhere to go but loopback.
  seek      seek -> first frame p50/p95 on our stream (random exact seeks with mpv):
            partly downloaded from a throttled seeder, and the finished file.
  warm      first frame for a title focused 2 s before Play vs a cold one
            (bench/_warm_start.py's warm_vs_cold, in a subprocess of its own).
  download  a fresh engine downloads the file from the LocalSeeder while an HTTP client
            streams it sequentially through the server, vs two bare libtorrent sessions
            (seeder + downloader, the same loopback settings). Median of --runs.
  streams   8 clients, each reading its own region at a paced 50 Mbit/s for --seconds;
            a stall is a 1 MiB chunk arriving > 1 s after pacing wants it. Once on the
            finished file, once on a fresh engine still downloading it.

HTTP clients run in their own process (wrk, bench/_stream_client.py), like a player.
Everything is on 127.0.0.1 and bounded in time.

    .venv/bin/python bench/stream.py [--size-mib 256] [--wrk-seconds 5] [--serve-rounds 3]
        [--runs 3] [--seconds 20] [--client-runs 3] [--seeks 12]
        [--rows serve,clients,seek,warm,download,streams]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stream_tools import WrkResult, nginx, range_script, require, wrk

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import ServerSettings, TorrentSettings
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.server import StreamServer
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent
from miauflix_desktop.services.torrent.seeder import LocalSeeder
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.tuning import loopback_settings

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
DOWNLOAD_TIMEOUT_S = 120.0
Row = tuple[str, str, str, str, str]


@dataclass
class Ctx:
    root: Path
    data_dir: Path
    path: Path
    torrent: bytes
    info_hash: str
    size: int
    movies: MovieRepository
    signer: TokenSigner
    seeder: LocalSeeder
    movie_id: int
    args: argparse.Namespace


class Stack:
    """A started engine + stream service + server; ``url`` is a fresh signed stream URL."""

    def __init__(self, ctx: Ctx, save_root: Path, with_peer: bool) -> None:
        run = Path(tempfile.mkdtemp(dir=ctx.root, prefix="run-"))
        self.ctx = ctx
        self.engine = TorrentEngine(TorrentSettings(), save_root, run / "resume", isolated=True)
        ref: list[StreamServer] = []
        hints = (lambda _h: (ctx.seeder.endpoint,)) if with_peer else None
        self.streams = StreamService(ctx.movies, self.engine, ctx.signer,
                                     lambda: ref[0].base_url, 3600, peer_hints=hints)
        self.server = StreamServer(ServerSettings(port=0), self.streams.resolve)
        ref.append(self.server)

    async def __aenter__(self) -> Stack:
        await self.engine.start()
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()
        await self.engine.stop()

    async def url(self) -> str:
        return (await self.streams.open(self.ctx.movie_id)).url

    async def finished(self) -> None:
        torrent = self.engine.get(self.ctx.info_hash)
        assert torrent is not None
        await asyncio.wait_for(torrent.finished(), DOWNLOAD_TIMEOUT_S)


async def client(*args: str) -> object:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "_stream_client.py"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), DOWNLOAD_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"client failed: {err.decode()[-500:]}")
    return json.loads(out)


def ratio(ours: float, ref: float) -> str:
    return f"{ours / ref:.2f}x" if ref else "n/a"


# ---------------------------------------------------------------------- serve

async def row_serve(ctx: Ctx) -> list[Row]:
    a = ctx.args
    rows: list[Row] = []
    lua = range_script(ctx.root / "range.lua", ctx.size)
    # Added from the seeder's own data dir: libtorrent checks the file, it is complete.
    async with Stack(ctx, ctx.data_dir, with_peer=False) as st:
        url = await st.url()
        await st.finished()
        with nginx(ctx.data_dir, ctx.root / "nginx") as base:
            ref_url = f"{base}/{ctx.path.name}"
            for label, script in (("whole-file GETs", None), ("1 MiB Range GETs", lua)):
                ours_runs: list[WrkResult] = []
                ref_runs: list[WrkResult] = []
                for i in range(a.serve_rounds):
                    # Alternate who goes first: load on the shared machine drifts.
                    order = [(url, ours_runs), (ref_url, ref_runs)]
                    for target_url, into in order if i % 2 == 0 else order[::-1]:
                        into.append(await wrk(target_url, a.wrk_seconds, a.connections, 2,
                                              script))
                ours_mb = statistics.median(r.mb_s for r in ours_runs)
                ref_mb = statistics.median(r.mb_s for r in ref_runs)
                ours_rq = statistics.median(r.requests_s for r in ours_runs)
                ref_rq = statistics.median(r.requests_s for r in ref_runs)
                errors = sum(r.errors for r in ours_runs)
                ref_errors = sum(r.errors for r in ref_runs)
                met = "met" if ours_mb / ref_mb >= 0.9 else "NOT met"
                if errors or ref_errors:
                    met = "INVALID: errors"
                per_round = " ".join(f"{o.mb_s / r.mb_s:.2f}"
                                     for o, r in zip(ours_runs, ref_runs, strict=True))
                rows.append((f"serve finished file, {label}, wrk -c{a.connections} "
                             f"{a.wrk_seconds:g}s x {a.serve_rounds} rounds (median)",
                             f"{ours_mb:,.0f} MB/s, {ours_rq:,.1f} req/s, {errors} err",
                             f"nginx {ref_mb:,.0f} MB/s, {ref_rq:,.1f} req/s, "
                             f"{ref_errors} err",
                             f"{ratio(ours_mb, ref_mb)} (rounds {per_round})",
                             met + " (target >= 0.9x)"))
                print(f"  {rows[-1]}", file=sys.stderr)
    return rows


# ---------------------------------------------------------------------- clients, seek

def netns_prefix() -> tuple[list[str], str]:
    """The command prefix that runs a process in a fresh network namespace with only
    loopback up, or ([], why not)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "unshare (util-linux) not found"
    probe = subprocess.run([unshare, "-n", "sh", "-c", "ip link set lo up"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return [], f"cannot create a network namespace: {probe.stderr.strip()[:120]}"
    return [unshare, "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"], ""


async def clients_and_seek(ctx: Ctx, rows_wanted: str) -> list[Row]:
    a = ctx.args
    prefix, why = netns_prefix()
    cmd = [sys.executable, str(HERE / "_stream_clients.py"), "--json", "--runs",
           str(a.client_runs), "--seeks", str(a.seeks), "--rows", rows_wanted]
    if not prefix:
        # Ours still runs (it is isolated by its own settings); the others would send
        # DHT traffic to the internet, which a benchmark must not do.
        cmd += ["--skip-others", f"no network namespace: {why}"]
    proc = await asyncio.create_subprocess_exec(*prefix, *cmd,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=None)
    out, _ = await asyncio.wait_for(proc.communicate(), 900)
    if proc.returncode != 0:
        raise RuntimeError(f"_stream_clients.py failed ({proc.returncode})")
    return [tuple(r) for r in json.loads(out)]  # type: ignore[misc]


async def row_clients(ctx: Ctx) -> list[Row]:
    names = [n.strip() for n in ctx.args.rows.split(",")]
    if "seek" not in names:
        return await clients_and_seek(ctx, "clients")
    # One helper process for both: the demo title is prepared and seeded once.
    rows = await clients_and_seek(ctx, "clients,seek")
    ctx.args.seek_rows = [r for r in rows if r[0].startswith("seek")]
    return [r for r in rows if not r[0].startswith("seek")]


async def row_seek(ctx: Ctx) -> list[Row]:
    done: list[Row] | None = getattr(ctx.args, "seek_rows", None)
    return done if done is not None else await clients_and_seek(ctx, "seek")


async def row_warm(ctx: Ctx) -> list[Row]:
    """bench/_warm_start.py's warm_vs_cold, in its own process (it runs its own mpv)."""
    if not (HERE / "_warm_start.py").exists():
        return [("warm start", "not measured: bench/_warm_start.py is missing", "", "", "")]
    code = ("import asyncio, json, sys; sys.path.insert(0, sys.argv[1]); "
            "from _warm_start import warm_vs_cold; "
            "print(json.dumps(asyncio.run(warm_vs_cold(runs=int(sys.argv[2])))))")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, str(HERE), str(ctx.args.client_runs),
        stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 900)
    if proc.returncode != 0:
        return [("warm start", f"failed (exit {proc.returncode})", "", "", "")]
    rows: list[Row] = []
    for title, path, median_ms, runs, target in json.loads(out.decode().splitlines()[-1]):
        rows.append((f"first frame, {path}, {title}", f"{median_ms} ms (runs {runs})",
                     "", "", ("met" if float(median_ms) <= float(target.split()[-1])
                              else "NOT met") + f" ({target} ms)"))
    return rows


# ---------------------------------------------------------------------- download

async def ours_download(ctx: Ctx, stream: bool) -> tuple[float, float]:
    """Seconds to download into a fresh engine (and for the client to get every byte)."""
    run = Path(tempfile.mkdtemp(dir=ctx.root, prefix="dl-"))
    async with Stack(ctx, run / "dl", with_peer=True) as st:
        t0 = time.perf_counter()
        if stream:
            url = await st.url()
            task = asyncio.create_task(client("sequential", url))
            await st.finished()
            t_dl = time.perf_counter() - t0
            got = await task
            assert isinstance(got, dict)
            if got["bytes"] != ctx.size:
                raise RuntimeError(f"client got {got['bytes']} of {ctx.size} bytes")
            return t_dl, time.perf_counter() - t0
        await st.engine.add(TorrentSpec(torrent_bytes=ctx.torrent,
                                        peers=(ctx.seeder.endpoint,)))
        await st.finished()
        t_dl = time.perf_counter() - t0
        return t_dl, t_dl


def bare_seeder(ctx: Ctx) -> lt.session:
    """A bare seeding session, started once and kept for every run (like LocalSeeder).

    A seeder created just before each download made the reference ~3x slower (1.5-1.9 s
    instead of ~0.6 s for 256 MiB): the comparison must be against a warm seeder.
    """
    seed_s = lt.session(loopback_settings())
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(ctx.torrent)
    p.save_path = str(ctx.data_dir)
    p.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
    p.flags |= lt.torrent_flags.upload_mode
    sh = seed_s.add_torrent(p)
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    while not sh.status().is_seeding:
        if time.monotonic() > deadline:
            raise RuntimeError("bare seeder did not finish checking")
        time.sleep(0.01)
    return seed_s


async def bare_download(ctx: Ctx, seed_s: lt.session) -> float:
    """A bare downloader session, loopback_settings(), from the bare seeder."""
    run = Path(tempfile.mkdtemp(dir=ctx.root, prefix="bare-"))

    def go() -> float:
        dl_s = lt.session(loopback_settings())
        try:
            q = lt.add_torrent_params()
            q.ti = lt.torrent_info(ctx.torrent)
            q.save_path = str(run)
            q.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
            seed_s.pop_alerts()
            deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
            t0 = time.perf_counter()
            h = dl_s.add_torrent(q)
            h.connect_peer(("127.0.0.1", seed_s.listen_port()), 0, 0)
            # Like the engine: wait for torrent_finished_alert, draining both queues.
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError("bare download timed out")
                dl_s.wait_for_alert(50)
                seed_s.pop_alerts()
                if any(isinstance(x, lt.torrent_finished_alert) for x in dl_s.pop_alerts()):
                    return time.perf_counter() - t0
        finally:
            del dl_s

    return await asyncio.to_thread(go)


async def row_download(ctx: Ctx) -> list[Row]:
    n = ctx.args.runs
    mb = ctx.size / 1e6
    streamed: list[tuple[float, float]] = []
    plain: list[float] = []
    bare: list[float] = []
    seed_s = await asyncio.to_thread(bare_seeder, ctx)
    holder = [seed_s]
    del seed_s
    try:
        for _ in range(n):
            streamed.append(await ours_download(ctx, stream=True))
            plain.append((await ours_download(ctx, stream=False))[0])
            bare.append(await bare_download(ctx, holder[0]))
            print(f"  download run: streamed {streamed[-1][0]:.2f}/{streamed[-1][1]:.2f} s, "
                  f"engine alone {plain[-1]:.2f} s, bare {bare[-1]:.2f} s", file=sys.stderr)
    finally:
        await asyncio.to_thread(holder.clear)
    s_dl = statistics.median(t for t, _ in streamed)
    s_cl = statistics.median(t for _, t in streamed)
    p = statistics.median(plain)
    b = statistics.median(bare)
    r = b / s_dl
    sz = f"{ctx.size // MIB} MiB"
    return [
        (f"download {sz} from LocalSeeder while streaming it (median of {n})",
         f"{mb / s_dl:,.0f} MB/s ({s_dl:.2f} s); client had all bytes at {s_cl:.2f} s",
         f"bare lt: {mb / b:,.0f} MB/s ({b:.2f} s)", f"{r:.2f}x",
         ("met" if r >= 0.8 else "NOT met") + " (target >= 0.8x)"),
        (f"download {sz}, engine alone (no HTTP client), median of {n}",
         f"{mb / p:,.0f} MB/s ({p:.2f} s)", f"bare lt: {mb / b:,.0f} MB/s", ratio(b, p), ""),
    ]


# ---------------------------------------------------------------------- streams

async def paced_streams(ctx: Ctx, url: str) -> tuple[int, int, int, float, int]:
    a = ctx.args
    step = ctx.size // a.streams // MIB * MIB
    offsets = [str(i * step) for i in range(a.streams)]
    rate = a.mbit * 1e6 / 8
    res = await client("paced", url, str(ctx.size), str(rate), str(a.seconds), *offsets)
    assert isinstance(res, list)
    chunks = sum(int(r["chunks"]) for r in res)
    stalls = sum(int(r["stalls"]) for r in res)
    errors = sum(int(r["errors"]) for r in res)
    late = max(float(r["late_max_s"]) for r in res)
    expected = int(a.streams * a.seconds * rate / MIB)
    return chunks, stalls, errors, late, expected


async def row_streams(ctx: Ctx) -> list[Row]:
    a = ctx.args
    rows: list[Row] = []
    for label in ("finished file", "fresh engine, downloading from LocalSeeder"):
        finished = label == "finished file"
        save = ctx.data_dir if finished else Path(tempfile.mkdtemp(dir=ctx.root)) / "dl"
        async with Stack(ctx, save, with_peer=not finished) as st:
            url = await st.url()
            if finished:
                await st.finished()
            chunks, stalls, errors, late, expected = await paced_streams(ctx, url)
        met = "met" if stalls == 0 and errors == 0 else "NOT met"
        rows.append((f"{a.streams} streams x {a.mbit:g} Mbit/s, {a.seconds:g} s, {label}",
                     f"{stalls} stalls, {errors} errors, max late {late * 1000:.0f} ms",
                     f"{chunks} MiB chunks read ({expected} due by pacing)", "",
                     met + " (target 0 stalls, 0 errors)"))
        print(f"  {rows[-1]}", file=sys.stderr)
    return rows


SECTIONS = {"serve": row_serve, "clients": row_clients, "seek": row_seek, "warm": row_warm,
            "download": row_download, "streams": row_streams}


async def amain(args: argparse.Namespace, names: list[str]) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="miauflix-stream-bench-"))
    data_dir = root / "data"
    data_dir.mkdir()
    # nginx's worker (nobody/www-data) must be able to read the file.
    root.chmod(0o755)
    data_dir.chmod(0o755)
    path = data_dir / "stream-bench.mkv"
    size = args.size_mib * MIB
    t = time.perf_counter()
    with path.open("wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(MIB))
    torrent = await asyncio.to_thread(make_torrent, path)
    info_hash = info_hash_of(torrent)
    db = Database(root / "bench.sqlite3")
    db.open()
    movies = MovieRepository(db)
    movie_id = movies.upsert_demo(990_001, "Stream Bench", "", 2026, 90, "", "")
    movies.upsert_source(movie_id, info_hash, torrent, size, "demo", "1080p", "h264")
    signer = TokenSigner(SecretStore(root / "secrets", use_keyring=False).get_or_create("k"))
    seeder = LocalSeeder(root / "seeder")
    await seeder.start()
    try:
        await seeder.seed(torrent, data_dir)
        print(f"{args.size_mib} MiB file + torrent ready in {time.perf_counter() - t:.1f} s "
              f"in {root}", file=sys.stderr)
        ctx = Ctx(root, data_dir, path, torrent, info_hash, size, movies, signer, seeder,
                  movie_id, args)
        rows: list[Row] = []
        for name in names:
            t = time.perf_counter()
            rows += await SECTIONS[name](ctx)
            print(f"{name}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
        return rows
    finally:
        await seeder.stop()
        db.close()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--wrk-seconds", type=float, default=5.0)
    ap.add_argument("--serve-rounds", type=int, default=3,
                    help="serve: alternating wrk rounds per server (median)")
    ap.add_argument("--client-runs", type=int, default=3,
                    help="clients/warm: cold runs per client (median)")
    ap.add_argument("--seeks", type=int, default=12, help="seek: seeks per case")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3, help="download runs (median)")
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--mbit", type=float, default=50.0)
    ap.add_argument("--seconds", type=float, default=20.0, help="paced streams duration")
    ap.add_argument("--rows", default="serve,clients,seek,warm,download,streams")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.rows.split(",") if n.strip()]
    for n in names:
        if n not in SECTIONS:
            ap.error(f"unknown row {n!r}; choose from {', '.join(SECTIONS)}")
    if "serve" in names:
        require("nginx", "wrk")
    logging.basicConfig(level=logging.WARNING)
    rows = asyncio.run(amain(args, names))
    header = ("measure", "miauflix", "reference (same run)", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
