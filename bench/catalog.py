"""Catalog at scale: search, Home shelves and Browse on 100k films + 5k series.

Generates a synthetic catalog into a temporary SQLite file through the real migrations
(so the FTS triggers index it exactly as in the app), bulk-inserted with executemany,
then times the product's queries (CatalogRepository, each call its own session, as the
UI runs them) and, side by side in the same run, a reference: a naive LIKE '%q%' scan
over the same titles.

    .venv/bin/python bench/catalog.py [--films 100000] [--shows 5000] [--queries 200]
                                      [--sections search,shelves,browse,sync,grid]

Sections are named functions in SECTIONS; each returns rows for the result table.
"sync" runs the full TMDB sync against the fake server on loopback (bench/_sync_bench.py)
with an event-loop lag probe; "grid" scrolls a 10,000-card QML GridView in a subprocess
under Xvfb (bench/_grid_bench.py, bench/_grid_scene.qml). Neither needs the synthetic
catalog, which is only generated when search/shelves/browse run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from miauflix_desktop.services.storage.catalog_repository import CatalogRepository
from miauflix_desktop.services.storage.db import Database

# Words to build plausible titles from (accents included so folding is exercised).
_WORD_TEXT = (
    "the of a and in love night dark man woman city war last house dead king story time "
    "world day life girl boy star blood black white red blue lost return secret island "
    "river shadow ghost dream heart fire ice storm wolf dragon queen prince empire legend "
    "journey summer winter spring autumn Amélie café señor über noël garçon matrix "
    "godfather inception interstellar parasite alien terminator gladiator avatar titanic "
    "jaws rocky psycho vertigo casablanca goodfellas amour vida nuit tempo mondo liebe "
    "stadt sombra fuego corazón"
)
WORDS = _WORD_TEXT.split()
TR_LANGS = ("it-IT", "fr-FR", "de-DE", "es-ES")
GENRES = [(28, "Action"), (12, "Adventure"), (16, "Animation"), (35, "Comedy"),
          (80, "Crime"), (99, "Documentary"), (18, "Drama"), (10751, "Family"),
          (14, "Fantasy"), (36, "History"), (27, "Horror"), (10402, "Music"),
          (9648, "Mystery"), (10749, "Romance"), (878, "Science Fiction"), (53, "Thriller"),
          (10752, "War"), (37, "Western")]
SHELVES = (("popular-movies", "movie"), ("trending-week-movies", "movie"),
           ("top-rated-movies", "movie"), ("now-playing", "movie"),
           ("popular-tv", "tv"), ("trending-week-tv", "tv"))
SHELF_LIMIT = 40


@dataclass
class Ctx:
    db: Database
    repo: CatalogRepository
    titles: list[str]
    queries: list[str]
    runs: int
    sync_runs: int = 3
    grid_seconds: float = 5.0


Row = tuple[str, str, str, str]  # section, measure, ours, reference


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.choice((1, 2, 2, 3, 3, 4, 5)))).title()


def generate(db: Database, films: int, shows: int, seed: int = 7) -> list[str]:
    """Bulk-load a synthetic catalog; returns the film titles (for realistic queries)."""
    rng = random.Random(seed)
    now = "2026-01-01 00:00:00"
    movies, titles = [], []
    for i in range(1, films + 1):
        title = _title(rng)
        titles.append(title)
        # TMDB popularity is heavy-tailed: a few hundred titles matter, most are ~1.
        pop = rng.paretovariate(1.2)
        movies.append({
            "id": i, "tmdb_id": i, "title": title,
            "original_title": title if rng.random() < 0.7 else _title(rng),
            "original_language": "en", "overview": "", "runtime": rng.randint(70, 180),
            "tagline": "", "rating": round(rng.uniform(2, 9), 1), "popularity": pop,
            "release_date": f"{rng.randint(1930, 2025)}-{rng.randint(1, 12):02d}-01",
            "poster": f"/p{i}.jpg", "backdrop": f"/b{i}.jpg", "logo": "",
            "content_directories_searched": "[]", "is_demo": 0,
            "created_at": now, "updated_at": now, "last_synced_at": now,
        })
    cols = list(movies[0])
    tv = [{"id": i, "tmdb_id": i, "name": (n := _title(rng)), "original_name": n,
           "original_language": "en", "overview": "", "first_air_date": "2015-01-01",
           "poster": f"/t{i}.jpg", "backdrop": "", "status": "", "tagline": "", "type": "",
           "in_production": 0, "episode_run_time": "[]", "popularity": rng.paretovariate(1.2),
           "rating": round(rng.uniform(2, 9), 1), "created_at": now, "updated_at": now}
          for i in range(1, shows + 1)]
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO movie ({', '.join(cols)}) "
                          f"VALUES ({', '.join(':' + c for c in cols)})"), movies)
        tcols = list(tv[0])
        conn.execute(text(f"INSERT INTO tvshow ({', '.join(tcols)}) "
                          f"VALUES ({', '.join(':' + c for c in tcols)})"), tv)
        conn.execute(text("INSERT INTO genre (id, for_movies, for_tv) VALUES (:id, 1, 1)"),
                     [{"id": g} for g, _ in GENRES])
        conn.execute(text("INSERT INTO genre_translation (genre_id, language, name) "
                          "VALUES (:g, 'en', :n)"), [{"g": g, "n": n} for g, n in GENRES])
        conn.execute(text("INSERT INTO movie_genre (movie_id, genre_id) VALUES (:m, :g)"),
                     [{"m": i, "g": g} for i in range(1, films + 1)
                      for g in rng.sample([g for g, _ in GENRES], rng.randint(1, 3))])
        conn.execute(text("INSERT INTO tvshow_genre (tvshow_id, genre_id) VALUES (:m, :g)"),
                     [{"m": i, "g": rng.choice(GENRES)[0]} for i in range(1, shows + 1)])
        # Translations for one film in five (triggers fold them into the FTS row).
        conn.execute(text("INSERT INTO movie_translation (movie_id, language, title, overview,"
                          " tagline, created_at, updated_at) VALUES (:m, :l, :t, '', '', "
                          ":now, :now)"),
                     [{"m": i, "l": lang, "t": _title(rng), "now": now}
                      for i in range(1, films + 1, 5) for lang in rng.sample(TR_LANGS, 2)])
        for n, (slug, kind) in enumerate(SHELVES, 1):
            conn.execute(text("INSERT INTO media_list (id, name, slug, provider, kind) "
                              "VALUES (:i, :s, :s, 'tmdb', :k)"), {"i": n, "s": slug, "k": kind})
            table, fk, top = (("media_list_movie", "movie_id", films) if kind == "movie"
                              else ("media_list_tvshow", "tvshow_id", shows))
            conn.execute(text(f"INSERT INTO {table} (list_id, position, {fk}) "
                              "VALUES (:l, :p, :m)"),
                         [{"l": n, "p": p, "m": m}
                          for p, m in enumerate(rng.sample(range(1, top + 1), 100))])
        conn.execute(text("INSERT INTO watch_progress (movie_id, position, duration, updated_at)"
                          " VALUES (:m, :p, 6000, :now)"),
                     [{"m": m, "p": rng.uniform(60, 5000), "now": now}
                      for m in rng.sample(range(1, films + 1), 50)])
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        # Merge the FTS b-trees as a long-running app eventually would.
        conn.execute(text("INSERT INTO title_search(title_search) VALUES ('optimize')"))
    return titles


def make_queries(titles: list[str], n: int, seed: int = 11) -> list[str]:
    """What people type: 2-8 leading letters of a word of a real title, sometimes 2 words."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = rng.choice(titles).split()
        i = rng.randrange(len(words))
        last = words[i][: rng.randint(2, 8)]
        out.append(f"{words[i - 1]} {last}" if i and rng.random() < 0.3 else last)
    return out


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm caches and statement compilation, as a running app would have
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def fmt(values: list[float]) -> str:
    return f"p50 {p(values, 50):6.2f} ms  p95 {p(values, 95):6.2f} ms"


def like_search(db: Database, q: str, limit: int = 40) -> list[int]:
    """Reference: substring scan over titles, most popular first."""
    pat = f"%{q}%"
    with db.engine.connect() as conn:
        ids = conn.execute(text(
            "SELECT id FROM movie WHERE title LIKE :p OR original_title LIKE :p "
            "OR id IN (SELECT movie_id FROM movie_translation WHERE title LIKE :p) "
            "ORDER BY popularity DESC LIMIT :n"), {"p": pat, "n": limit}).scalars().all()
        ids += conn.execute(text(
            "SELECT id FROM tvshow WHERE name LIKE :p OR original_name LIKE :p "
            "ORDER BY popularity DESC LIMIT :n"), {"p": pat, "n": limit}).scalars().all()
    return ids


def section_search(ctx: Ctx) -> list[Row]:
    ours: list[float] = []
    ref: list[float] = []
    for q in ctx.queries:
        t = time.perf_counter()
        ctx.repo.search(q, 40)
        ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        like_search(ctx.db, q)
        ref.append((time.perf_counter() - t) * 1000)
    short = [x for q, x in zip(ctx.queries, ours, strict=True) if len(q) <= 3]
    return [("search", f"{len(ctx.queries)} prefix queries, 40 results", fmt(ours), fmt(ref)),
            ("search", f"  of which <= 3 chars ({len(short)})", fmt(short), "")]


def section_shelves(ctx: Ctx) -> list[Row]:
    def home() -> None:
        ctx.repo.continue_watching(20)
        for slug, kind in SHELVES:
            ctx.repo.list_items(slug, kind, SHELF_LIMIT)

    def home_ref() -> None:
        # Reference: the same shelves as one bare SQL query each (no items, no genres).
        with ctx.db.engine.connect() as conn:
            for slug, kind in SHELVES:
                table, fk, media = (("media_list_movie", "movie_id", "movie") if kind == "movie"
                                    else ("media_list_tvshow", "tvshow_id", "tvshow"))
                conn.execute(text(f"SELECT m.* FROM {table} l JOIN {media} m ON m.id = l.{fk} "
                                  "JOIN media_list ml ON ml.id = l.list_id WHERE ml.slug = :s "
                                  "ORDER BY l.position LIMIT :n"),
                             {"s": slug, "n": SHELF_LIMIT}).all()

    times = timed(home, ctx.runs)
    return [("shelves", f"Home: continue watching + {len(SHELVES)} lists x {SHELF_LIMIT}",
             fmt(times), fmt(timed(home_ref, ctx.runs)) + " (bare SQL)")]


def section_browse(ctx: Ctx) -> list[Row]:
    rows: list[Row] = []
    for sort in ("popular", "rating", "newest", "title"):
        for genre in (None, 18, 37):
            times = timed(lambda s=sort, g=genre: ctx.repo.browse("movie", g, s, 200, 40),
                          max(ctx.runs // 4, 10))
            rows.append(("browse", f"films sort={sort} genre={genre} page 6", fmt(times), ""))
    return rows


def _lag(lags: list[float]) -> str:
    return f"lag max {max(lags):5.1f} ms  p99 {p(lags, 99):5.1f} ms"


def section_sync(ctx: Ctx) -> list[Row]:
    import _sync_bench  # bench/ is on sys.path when run as a script

    rows: list[Row] = []
    results = _sync_bench.run([(200.0, ctx.sync_runs), (20.0, 1)])
    for rate, runs in results:
        secs = [r.seconds for r in runs]
        reqs = sum(r.requests for r in runs)
        n_rows = sum(r.rows for r in runs)
        total = sum(secs)
        lags = [x for r in runs for x in r.lags_ms]
        label = f"{rate:.0f} req/s limit" + (" (default)" if rate == 20 else "")
        per_run = f"{len(runs)} full sync(s), {runs[0].requests} req + {runs[0].rows} rows each"
        rows.append(("sync", f"{label}: {per_run}",
                     f"{total / len(runs):5.2f} s/sync  {reqs / total:5.1f} req/s  "
                     f"{n_rows / total:6.0f} rows/s",
                     f"{1000 * total / reqs:5.1f} ms/request"))
        rows.append(("sync", f"  event-loop lag (5 ms probe, {len(lags)} samples; "
                     "target <= 50 ms)", _lag(lags), ""))
        if len(runs) > 1:
            rows.append(("sync", "  per run: s / max lag ms",
                         "  ".join(f"{r.seconds:.2f}/{max(r.lags_ms):.0f}" for r in runs), ""))
    return rows


def _frames(iv: list[float], cpu_s: float | None = None) -> str:
    if len(iv) < 2:
        return "no frames"
    cpu = f"  (CPU {1000 * cpu_s / (len(iv) + 1):4.1f} ms/frame)" if cpu_s is not None else ""
    return (f"{len(iv) + 1} frames  p50 {p(iv, 50):5.1f}  p95 {p(iv, 95):5.1f}  "
            f"max {max(iv):5.1f} ms  >33ms {sum(x > 33 for x in iv)}{cpu}")


def _grid_run(mode: str, motion: str, folder: str, ctx: Ctx) -> dict[str, object]:
    here = Path(__file__).resolve().parent
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", QSG_RENDER_LOOP="basic",
               GRID_BENCH_SPAWNED=repr(time.time()))
    cmd = [sys.executable, str(here / "_grid_bench.py"), "run", mode, motion, folder,
           "--seconds", str(ctx.grid_seconds)]
    if not env.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            raise SystemExit("grid: no DISPLAY and no xvfb-run")
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", *cmd]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"grid {mode} {motion} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


GRID_MOTIONS = (("keys", "remote holding Down, 30 key-repeats/s (grid's own key navigation)"),
                ("flick", "flick, constant 4,000 px/s"),
                ("stress", "stress scroll, constant 30,000 px/s"))


def section_grid(ctx: Ctx) -> list[Row]:
    """The real MediaGrid.qml/PosterCard.qml (10,000 cards) fed the app's card thumbnails,
    against the same grid fed full w342 posters (before thumbnails) and plain rectangles,
    per motion: frame-interval p50/p95/max and frames over 33 ms (target: 0)."""
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as folder:
        made = subprocess.run([sys.executable, str(here / "_grid_bench.py"), "generate",
                               folder, "--count", "300"], check=True, capture_output=True,
                              text=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        gen = json.loads(made.stdout.strip().splitlines()[-1])
        modes = ("images", "posters", "rects")
        res = {(m, mo): _grid_run(m, mo, folder, ctx) for mo, _ in GRID_MOTIONS for m in modes}
    img, full, ref = (res[(m, "keys")] for m in modes)

    def first(r: dict[str, object]) -> str:
        return (f"{r['first_frame_after_spawn_ms']:6.0f} ms "
                f"(load -> frame {r['first_frame_after_load_ms']:4.0f})")

    rows: list[Row] = [
        ("grid", f"card thumbnails, made once per poster ({gen['posters']} w342 JPEGs of "
                 f"{gen['poster_kb']:.0f} kB -> 240x360 JPEG of {gen['thumb_kb']:.0f} kB)",
         f"{gen['thumb_ms']:5.1f} ms/poster (one worker thread)", ""),
        ("grid", f"10,000 cards, MediaGrid at Browse's place ({img['grid']}), "
                 f"scene graph {img['graphics_api']}, start -> first frame",
         first(img), f"{first(full)} w342 posters; {first(ref)} rects")]
    for motion, what in GRID_MOTIONS:
        mine, plain = res[("images", motion)], res[("rects", motion)]
        moved = (f"{mine['current_index']} cards" if motion == "keys"
                 else f"{mine['content_y']:.0f} px")
        rows.append(("grid", f"{what} for {ctx.grid_seconds:g} s (moved {moved})",
                     _frames(mine["intervals_ms"], mine["cpu_s"]),
                     _frames(plain["intervals_ms"], plain["cpu_s"]) + " rects"))
        posters = res[("posters", motion)]
        rows.append(("grid", "  same grid, full w342 posters decoded per card (before)",
                     _frames(posters["intervals_ms"], posters["cpu_s"]), ""))
    return rows


SECTIONS: dict[str, Callable[[Ctx], list[Row]]] = {
    "search": section_search,
    "shelves": section_shelves,
    "browse": section_browse,
    "sync": section_sync,
    "grid": section_grid,
}
NEEDS_CATALOG = {"search", "shelves", "browse"}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--films", type=int, default=100_000)
    ap.add_argument("--shows", type=int, default=5_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--section", action="append", choices=sorted(SECTIONS),
                    help="a section to run (repeatable); default: all")
    ap.add_argument("--sections", help="comma-separated sections, e.g. sync,grid")
    ap.add_argument("--sync-runs", type=int, default=3,
                    help="full syncs on fresh DBs at the 200 req/s limit (default 3)")
    ap.add_argument("--grid-seconds", type=float, default=5.0)
    args = ap.parse_args(argv)
    names = list(args.section or [])
    for n in (args.sections or "").split(","):
        if n.strip():
            if n.strip() not in SECTIONS:
                ap.error(f"unknown section {n.strip()!r}; choose from {', '.join(SECTIONS)}")
            names.append(n.strip())
    names = names or list(SECTIONS)

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.sqlite3")
        db.open()
        titles: list[str] = []
        if NEEDS_CATALOG & set(names):
            t = time.perf_counter()
            titles = generate(db, args.films, args.shows)
            gen_s = time.perf_counter() - t
            size_mb = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
            print(f"generated {args.films} films + {args.shows} series in {gen_s:.1f} s "
                  f"({size_mb:.0f} MB, SQLite {db.engine.dialect.dbapi.sqlite_version})",
                  file=sys.stderr)
        ctx = Ctx(db, CatalogRepository(db), titles,
                  make_queries(titles, args.queries) if titles else [], args.runs,
                  sync_runs=args.sync_runs, grid_seconds=args.grid_seconds)
        rows: list[Row] = []
        for name in names:
            rows += SECTIONS[name](ctx)
        db.close()

    header = ("section", "measure", "miauflix", "reference (LIKE '%q%' / bare SQL / as noted)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
