"""Source discovery at scale: 1,000 films against synthetic fake YTS + TheRARBG on loopback.

Real parts: a SQLite file through the real migrations (Database), 1,000 films inserted
with CatalogRepository.upsert_movie (with IMDb ids), the real YtsProvider and
TheRarbgProvider on httpx to 127.0.0.1, the real SourceDiscovery (release parsing,
scoring, SourceRepository.save_found). The fakes (bench/_sources_fakes.py: the test fakes
subclassed to answer any IMDb id, 4 YTS torrents + 8 TheRARBG rows with detail pages per
film) run in a SUBPROCESS, so the CPU seconds below are this process's own (all threads:
the loop and the to_thread workers); the fakes' CPU is printed on its own line.

Rows (each on a fresh database with the same films, so every row does the same work):

- movieSourceSearch: Scheduler + discovery.jobs() as the app wires them (0.1 s interval;
  only that job, with its 3 s initial delay set to 0; the others would scrape real
  trackers);
- flat out: `await discovery.search_next()` in a loop;
- reference: the providers' search() alone (HTTP + their JSON/HTML parsing; no release
  parsing, scoring or storing), and bare httpx GETting the same URLs with the same
  concurrency (nothing parsed);
- default provider rates (YTS 2, TheRARBG 4 req/s, as shipped), on --default-titles films, with
  time for 1,000 extrapolated;
- on-demand: search_title() of one film, call to return (results stored), p50/p95.

Rows other than "default rates" set rate_max=1000 req/s on both providers (the shipped
limits are 2 and 4 req/s): they measure our work, not the politeness delay. Event-loop lag is a
5 ms asyncio.sleep probe on the discovery loop (target <= 50 ms).
freeze_startup_heap() runs after set-up, as the app does once started.

    .venv/bin/python bench/sources.py [--titles 1000] [--default-titles 40]
                                      [--on-demand 20] [--rows job,flat,ref,default,ondemand]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text

from miauflix_desktop.bootstrap import freeze_startup_heap
from miauflix_desktop.services.scheduler import Scheduler
from miauflix_desktop.services.sources.discovery import MOVIE_SOURCE_SEARCH, SourceDiscovery
from miauflix_desktop.services.sources.providers import (
    ProviderQuery,
    TheRarbgOptions,
    TheRarbgProvider,
    YtsOptions,
    YtsProvider,
)
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.source_repository import SourceRepository

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _sources_fakes import film  # noqa: E402

PROBE_S = 0.005
FAST_RATE = {"rate_max": 1000.0, "rate_period_s": 1.0}
ROW_TIMEOUT_S = 900.0  # every row stops by itself
IMDB_BASE = 9_100_000
LAG_TARGET_MS = 50.0
ON_DEMAND_TARGET_S = 3.0

Row = tuple[str, str, str]  # measure, miauflix, reference/notes


# ---------------------------------------------------------------------------- fakes


class Fakes:
    """The synthetic fakes in a subprocess (stdin EOF or --max-seconds stops it)."""

    def __init__(self, max_seconds: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_sources_fakes.py"), "--max-seconds", str(max_seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the fake servers did not start")
        origins = json.loads(line)
        self.yts, self.therarbg = origins["yts"], origins["therarbg"]

    def stats(self) -> tuple[float, int]:
        """(CPU seconds so far, requests answered so far)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        data = json.loads(self.proc.stdout.readline())
        return data["cpu_s"], sum(data["requests"].values())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@contextlib.contextmanager
def running_fakes(max_seconds: float) -> Iterator[Fakes]:
    fakes = Fakes(max_seconds)
    try:
        yield fakes
    finally:
        fakes.close()


# ---------------------------------------------------------------------------- set-up


def imdb_ids(n: int) -> list[str]:
    return [f"tt{IMDB_BASE + i:07d}" for i in range(1, n + 1)]


def make_db(folder: Path, n: int) -> Database:
    """A fresh SQLite file with n films (the same ids/titles every time)."""
    folder.mkdir(parents=True)
    db = Database(folder / "bench.sqlite3")
    db.open()
    repo = CatalogRepository(db)
    for i, imdb in enumerate(imdb_ids(n), 1):
        title, year = film(imdb)
        repo.upsert_movie(IMDB_BASE + i, title=title, release_date=f"{year}-06-01",
                          popularity=1000.0 / i, imdb_id=imdb)
    return db


def providers(fakes: Fakes, default_rates: bool) -> list[YtsProvider | TheRarbgProvider]:
    rates = {} if default_rates else FAST_RATE
    return [YtsProvider(YtsOptions(mirrors=(fakes.yts,), **rates)),
            TheRarbgProvider(TheRarbgOptions(mirrors=(fakes.therarbg,), **rates))]


def count_sources(db: Database) -> tuple[int, int]:
    """(films searched, sources stored)."""
    with db.engine.connect() as conn:
        searched = conn.execute(text(
            "SELECT count(*) FROM movie WHERE sources_searched_at IS NOT NULL")).scalar_one()
        stored = conn.execute(text("SELECT count(*) FROM movie_source")).scalar_one()
    return searched, stored


# ---------------------------------------------------------------------------- measuring


@dataclass
class Run:
    titles: int
    seconds: float
    cpu_s: float
    fakes_cpu_s: float
    requests: int
    stored: int
    lags_ms: Lags
    failed: int = 0


class Lags(list[float]):
    """Probe samples (ms) and when each one ended (s since the probe started)."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []


async def _probe(lags: Lags, stop: asyncio.Event) -> None:
    start = time.perf_counter()
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        now = time.perf_counter()
        lags.append(max(0.0, (now - t - PROBE_S) * 1000))
        lags.at.append(now - start)


async def measured(fakes: Fakes, work: Callable[[], Awaitable[int]]) -> Run:
    """Run `work` (returns titles done) under the lag probe, CPU and wall clocks."""
    freeze_startup_heap()
    lags = Lags()
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(lags, stop))
    await asyncio.sleep(0.05)
    fcpu0, freq0 = fakes.stats()
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        titles = await asyncio.wait_for(work(), ROW_TIMEOUT_S)
    finally:
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        stop.set()
        await probe
    fcpu1, freq1 = fakes.stats()
    return Run(titles, seconds, cpu, fcpu1 - fcpu0, freq1 - freq0, 0, lags)


async def _discovery_run(fakes: Fakes, folder: Path, n: int, mode: str,
                         default_rates: bool = False) -> Run:
    db = make_db(folder, n)
    provs = providers(fakes, default_rates)
    for p in provs:
        await p.start()
    discovery = SourceDiscovery(SourceRepository(db), provs)

    async def flat_out() -> int:
        done = 0
        while await discovery.search_next():
            done += 1
        return done

    async def by_job() -> int:
        job = next(j for j in discovery.jobs() if j.name == MOVIE_SOURCE_SEARCH)
        scheduler = Scheduler([dataclasses.replace(job, initial_delay_s=0.0)])
        await scheduler.start()
        try:
            while True:
                await asyncio.sleep(0.05)
                status = scheduler.status(MOVIE_SOURCE_SEARCH)
                if status.items_total >= n:
                    return status.items_total
                if status.last_error and status.consecutive_failures >= 3:
                    raise RuntimeError(f"movieSourceSearch keeps failing: {status.last_error}")
        finally:
            await scheduler.stop()

    try:
        run = await measured(fakes, flat_out if mode == "flat" else by_job)
    finally:
        for p in provs:
            await p.stop()
    searched, run.stored = await asyncio.to_thread(count_sources, db)
    run.failed = run.titles - searched
    db.close()
    return run


async def _providers_only(fakes: Fakes, n: int) -> Run:
    provs = providers(fakes, False)
    for p in provs:
        await p.start()
    queries = []
    for imdb in imdb_ids(n):
        title, year = film(imdb)
        queries.append(ProviderQuery(imdb_id=imdb, title=title, year=year))
    found = 0

    async def work() -> int:
        nonlocal found
        for q in queries:
            answers = await asyncio.gather(*(p.search(q) for p in provs))
            found += len({r.info_hash for a in answers for r in a})
        return len(queries)

    try:
        run = await measured(fakes, work)
    finally:
        for p in provs:
            await p.stop()
    run.stored = found
    return run


_DETAIL = re.compile(r'href="(/post-detail/[^"]+)"')


async def _bare_httpx(fakes: Fakes, n: int) -> Run:
    """The same requests with the providers' client settings and concurrency, nothing parsed
    (detail paths found with one regex)."""
    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=10.0, follow_redirects=True,
                                 limits=httpx.Limits(max_connections=4,
                                                     max_keepalive_connections=4))

    nbytes = 0

    async def work() -> int:
        nonlocal nbytes
        async with client() as yts, client() as rarbg:
            gate = asyncio.Semaphore(3)

            async def detail(path: str) -> int:
                async with gate:
                    return len((await rarbg.get(fakes.therarbg + path)).content)

            for imdb in imdb_ids(n):
                a, b = await asyncio.gather(
                    yts.get(fakes.yts + "/api/v2/list_movies.json",
                            params={"query_term": imdb, "limit": 50}),
                    rarbg.get(f"{fakes.therarbg}/get-posts/keywords:{imdb}/"))
                sizes = await asyncio.gather(*(detail(p) for p in _DETAIL.findall(b.text)[:10]))
                nbytes += len(a.content) + len(b.content) + sum(sizes)
        return n

    run = await measured(fakes, work)
    run.stored = nbytes
    return run


async def _on_demand(fakes: Fakes, folder: Path, n: int, default_rates: bool,
                     pause_s: float) -> tuple[list[float], list[int], Lags]:
    """search_title() of n films one after another (a person opening Details), each timed
    from the call to its return (results stored); a pause between them."""
    db = make_db(folder, n)
    provs = providers(fakes, default_rates)
    for p in provs:
        await p.start()
    discovery = SourceDiscovery(SourceRepository(db), provs)
    freeze_startup_heap()
    times: list[float] = []
    found: list[int] = []
    lags = Lags()
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(lags, stop))
    try:
        for movie_id in range(1, n + 1):
            await asyncio.sleep(pause_s)
            t = time.perf_counter()
            found.append(await asyncio.wait_for(discovery.search_title(movie_id), 60))
            times.append(time.perf_counter() - t)
    finally:
        stop.set()
        await probe
        for p in provs:
            await p.stop()
        db.close()
    return times, found, lags


# ---------------------------------------------------------------------------- report


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def lag_text(lags: Lags) -> str:
    over = [(x, at) for x, at in zip(lags, lags.at, strict=True) if x > LAG_TARGET_MS]
    where = (f"; {len(over)} > 50 ms, at +{', +'.join(f'{at:.1f}' for _, at in over[:4])} s"
             if over else "")
    return (f"lag max {max(lags):5.1f} ms  p99 {pct(lags, 99):4.1f} ms  "
            f"({len(lags)} samples{where})")


def throughput(run: Run, what: str = "stored") -> str:
    rate = run.titles / run.seconds
    extra = f"{run.stored} {what}" if what else ""
    return (f"{run.titles} titles in {run.seconds:6.1f} s = {rate:6.1f} titles/s  "
            f"CPU {run.cpu_s:5.1f} s ({1000 * run.cpu_s / run.titles:4.1f} ms/title)  {extra}")


def run_rows(fakes: Fakes, args: argparse.Namespace, tmp: Path) -> list[Row]:
    rows: list[Row] = []
    n = args.titles
    seq = iter(range(1000))

    def folder() -> Path:
        return tmp / f"db{next(seq)}"

    def discovery_rows(label: str, run: Run) -> None:
        per = run.requests / run.titles
        rows.append((f"{label}", throughput(run),
                     f"{run.requests} requests ({per:.1f}/title), {run.failed} failed; "
                     f"fakes' CPU {run.fakes_cpu_s:.1f} s"))
        met = "met" if max(run.lags_ms) <= LAG_TARGET_MS else "NOT met"
        rows.append(("  event-loop lag (target <= 50 ms)", lag_text(run.lags_ms), met))

    if "job" in args.rows:
        run = asyncio.run(_discovery_run(fakes, folder(), n, "job"))
        discovery_rows(f"movieSourceSearch job, 0.1 s interval, {n} films", run)
    if "flat" in args.rows:
        run = asyncio.run(_discovery_run(fakes, folder(), n, "flat"))
        discovery_rows(f"flat out: search_next() loop, {n} films", run)
    if "ref" in args.rows:
        run = asyncio.run(_providers_only(fakes, n))
        rows.append((f"reference: providers' search() only, {n} films",
                     throughput(run, "releases listed"),
                     f"{run.requests} requests; no release parsing/scoring/storing; "
                     f"{lag_text(run.lags_ms)}"))
        run = asyncio.run(_bare_httpx(fakes, n))
        rows.append((f"reference: bare httpx, same URLs, {n} films",
                     throughput(run, "") + f"  {run.stored / 1e6:.0f} MB",
                     f"{run.requests} requests; nothing parsed; {lag_text(run.lags_ms)}"))
    if "default" in args.rows:
        k = args.default_titles
        run = asyncio.run(_discovery_run(fakes, folder(), k, "job", default_rates=True))
        discovery_rows(f"movieSourceSearch job, DEFAULT rates, {k} films", run)
        rows.append((f"  extrapolated to {n} films (default rates)",
                     f"{n * run.seconds / run.titles / 60:5.1f} min "
                     f"({run.seconds / run.titles:.2f} s/title)",
                     "linear from the row above"))
    if "ondemand" in args.rows:
        for default_rates, pause in ((False, 0.2), (True, 1.5)):
            times, found, lags = asyncio.run(
                _on_demand(fakes, folder(), args.on_demand, default_rates, pause))
            ms = [1000 * t for t in times]
            met = "met" if pct(times, 95) <= ON_DEMAND_TARGET_S else "NOT met"
            label = "DEFAULT rates" if default_rates else "rates 1000 req/s"
            rows.append((f"on-demand search_title(), {label}, {len(times)} films, "
                         f"{pause:g} s apart",
                         f"p50 {pct(ms, 50):6.0f} ms  p95 {pct(ms, 95):6.0f} ms  "
                         f"max {max(ms):6.0f} ms  ({statistics.mean(found):.1f} sources each)",
                         f"target <= 3 s: {met}; {lag_text(lags)}"))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--titles", type=int, default=1000)
    ap.add_argument("--default-titles", type=int, default=40,
                    help="films for the row at the shipped rates (~1.7 s each)")
    ap.add_argument("--on-demand", type=int, default=20)
    ap.add_argument("--rows", default="job,flat,ref,default,ondemand")
    args = ap.parse_args(argv)
    args.rows = {r.strip() for r in args.rows.split(",") if r.strip()}
    # Discovery logs one INFO line per film; keep the table readable.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    with running_fakes(max_seconds=3600) as fakes, tempfile.TemporaryDirectory() as tmp:
        rows = run_rows(fakes, args, Path(tmp))
    header = ("measure", "miauflix", "reference / notes")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
