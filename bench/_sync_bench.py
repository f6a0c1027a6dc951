"""Sync throughput against the fake TMDB server, with event-loop lag (bench/catalog.py "sync").

The fake server runs on its own event loop in a thread (loopback only), so the lag probe
on the sync's loop measures the client side (HTTP client, parsing, DB hand-offs) and not
the server's request handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from miauflix_desktop.bootstrap import freeze_startup_heap
from miauflix_desktop.services.catalog.sync import CatalogSync
from miauflix_desktop.services.catalog.tmdb import TmdbClient
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

DATA_TABLES = ("movie", "tvshow", "season", "episode", "movie_translation",
               "tvshow_translation", "movie_genre", "tvshow_genre", "genre",
               "genre_translation", "media_list", "media_list_movie", "media_list_tvshow")
PROBE_S = 0.005


@dataclass
class SyncRun:
    seconds: float
    requests: int
    rows: int
    lags_ms: list[float]


@contextlib.contextmanager
def fake_tmdb_in_thread() -> Iterator[object]:
    from tests.fakes.tmdb_server import running_fake_tmdb

    ready = threading.Event()
    box: dict[str, object] = {}
    loop = asyncio.new_event_loop()

    async def serve() -> None:
        async with running_fake_tmdb() as fake:
            box["fake"] = fake
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()  # type: ignore[attr-defined]

    th = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    th.start()
    if not ready.wait(10):
        raise RuntimeError("fake TMDB server did not start")
    try:
        yield box["fake"]
    finally:
        loop.call_soon_threadsafe(box["stop"].set)  # type: ignore[attr-defined]
        th.join(10)
        loop.close()


def _count_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return sum(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                   for t in DATA_TABLES)


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        lags.append(max(0.0, (time.perf_counter() - t - PROBE_S) * 1000))


async def _full_sync(fake: object, rate: float, tmp: Path) -> SyncRun:
    db = Database(tmp / f"sync-{time.monotonic_ns()}.sqlite3")
    db.open()
    repo = CatalogRepository(db)
    client = TmdbClient(fake.api_key, base_url=fake.base_url,  # type: ignore[attr-defined]
                        rate_per_second=rate)
    await client.start()
    sync = CatalogSync(client, repo)
    before = len(fake.requests)  # type: ignore[attr-defined]
    lags: list[float] = []
    stop = asyncio.Event()
    # As the app does once started (bootstrap.freeze_startup_heap): objects alive now are
    # never scanned by the cyclic GC again, so a full collection during the sync is short.
    freeze_startup_heap()
    probe = asyncio.create_task(_probe(lags, stop))
    await asyncio.sleep(0.05)  # let the probe settle
    t = time.perf_counter()
    try:
        await sync.refresh_lists()
        await sync.sync_movies()
        await sync.sync_shows()
        for _ in range(1000):
            if not await asyncio.to_thread(repo.shows_with_incomplete_seasons, 100):
                break
            await sync.complete_seasons()
        seconds = time.perf_counter() - t
    finally:
        stop.set()
        await probe
        await client.stop()
    n_req = len(fake.requests) - before  # type: ignore[attr-defined]
    rows = _count_rows(db)
    db.close()
    return SyncRun(seconds, n_req, rows, lags)


def run(rates: list[tuple[float, int]]) -> list[tuple[float, list[SyncRun]]]:
    """For each (rate, repeats): full syncs on fresh DBs against one fake server."""
    out = []
    with fake_tmdb_in_thread() as fake, tempfile.TemporaryDirectory() as tmp:
        for rate, repeats in rates:
            runs = [asyncio.run(_full_sync(fake, rate, Path(tmp))) for _ in range(repeats)]
            out.append((rate, runs))
    return out
