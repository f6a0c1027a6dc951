"""Synthetic fake YTS + TheRARBG for bench/sources.py: API-shaped answers for ANY IMDb id.

The test fakes (tests/fakes/yts_server.py, therarbg_server.py) replay a handful of
recorded titles. These subclasses keep their routes, failure switches and recording, and
answer every `tt<digits>` query with data generated deterministically from the id:

- YTS `list_movies.json`: the film (title/year from `film()`) with 3-4 torrents
  (720p/1080p/2160p, bluray/web, x264/x265, 8/10 bit, heavy-tailed seeds);
- TheRARBG `/get-posts/keywords:tt…/`: a results table of 8 `tr.list-entry` rows with
  scene-style names (x265/HDR/DV, REMUX, CAM, MULTi/iTALiAN/FRENCH, WEB-DL, DVDRip…),
  and `/post-detail/<imdb digits>x<n>/<slug>/` detail pages with the magnet.

Ids the recordings know are still answered from the recordings. bench/sources.py shares
`film()` to insert the same films into SQLite.

Run as a subprocess (so the app's CPU figures are its own):

    python bench/_sources_fakes.py [--max-seconds 3600]

prints one JSON line {"yts": origin, "therarbg": origin}; then for each line "stats" on
stdin it prints {"cpu_s": ..., "requests": {"yts": n, "therarbg": m}}; it exits on EOF of
stdin or after --max-seconds, whichever comes first. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

from tests.fakes.therarbg_server import FakeTheRarbg
from tests.fakes.yts_server import FakeYts

IMDB = re.compile(r"tt(\d{5,10})")
DETAIL_ID = re.compile(r"(\d{5,10})x(\d{1,2})")
NOW = 1_764_000_000  # fixed "now" (Nov 2025) so answers never change between runs

_WORD_TEXT = ("the of night dark man woman city war last house dead king story time world day "
          "life girl boy star blood black white red blue lost return secret island river "
          "shadow ghost dream heart fire ice storm wolf dragon queen prince empire legend "
          "journey summer winter spring autumn matrix zoomies whisker midnight")
_WORDS = _WORD_TEXT.split()


def film(imdb_id: str) -> tuple[str, int]:
    """(title, year) of a synthetic film, deterministic from its IMDb id."""
    rng = random.Random(imdb_id)
    words = [rng.choice(_WORDS) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))]
    return " ".join(words).title(), rng.randint(1950, 2025)


def _hash(imdb_id: str, salt: str) -> str:
    return hashlib.sha1(f"{imdb_id}/{salt}".encode()).hexdigest()


def _seeds(rng: random.Random) -> int:
    return min(20000, int(rng.lognormvariate(3.3, 1.8)))  # median ~27, some 0, a few 1000s


# ------------------------------------------------------------------------------ YTS

_YTS_TORRENTS = (  # quality, type, codec, bit depth, channels, GB
    ("720p", "bluray", "x264", "8", "2.0", 0.9),
    ("1080p", "bluray", "x264", "8", "5.1", 1.9),
    ("2160p", "bluray", "x265", "10", "5.1", 5.6),
    ("1080p", "web", "x265", "10", "2.0", 1.4),
    ("720p", "web", "x264", "8", "2.0", 0.8),
    ("3D", "bluray", "x264", "8", "2.0", 1.8),
)


def yts_answer(imdb_id: str) -> dict[str, Any]:
    title, year = film(imdb_id)
    rng = random.Random(f"yts/{imdb_id}")
    picks = sorted(rng.sample(range(len(_YTS_TORRENTS)), rng.choice((3, 4, 4))))
    slug = re.sub(r"[^a-z0-9]+", "-", f"{title} {year}".lower()).strip("-")
    torrents = []
    for i in picks:
        quality, kind, codec, depth, channels, gb = _YTS_TORRENTS[i]
        h = _hash(imdb_id, f"yts{i}").upper()
        size = int(gb * rng.uniform(0.8, 1.3) * 1024**3)
        uploaded = NOW - rng.randint(30, 3000) * 86400
        torrents.append({
            "url": f"https://yts.mx/torrent/download/{h}", "hash": h, "quality": quality,
            "type": kind, "is_repack": "1" if rng.random() < 0.05 else "0",
            "video_codec": codec, "bit_depth": depth, "audio_channels": channels,
            "seeds": _seeds(rng), "peers": rng.randint(0, 300),
            "size": f"{size / 1024**3:.2f} GB", "size_bytes": size,
            "date_uploaded": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(uploaded)),
            "date_uploaded_unix": uploaded})
    img = f"https://yts.mx/assets/images/movies/{slug}"
    movie = {
        "id": int(imdb_id[2:]) % 100000, "url": f"https://yts.mx/movies/{slug}",
        "imdb_code": imdb_id, "title": title, "title_english": title,
        "title_long": f"{title} ({year})", "slug": slug, "year": year,
        "rating": round(rng.uniform(4, 9), 1), "runtime": rng.randint(80, 170),
        "genres": rng.sample(["Action", "Drama", "Comedy", "Sci-Fi", "Horror", "Romance"], 2),
        "summary": f"{title} summary.", "description_full": f"{title} summary.",
        "synopsis": "", "yt_trailer_code": "", "language": "en", "mpa_rating": "R",
        "background_image": f"{img}/background.jpg",
        "background_image_original": f"{img}/background.jpg",
        "small_cover_image": f"{img}/small-cover.jpg",
        "medium_cover_image": f"{img}/medium-cover.jpg",
        "large_cover_image": f"{img}/large-cover.jpg", "state": "ok", "torrents": torrents,
        "date_uploaded": torrents[0]["date_uploaded"],
        "date_uploaded_unix": torrents[0]["date_uploaded_unix"]}
    return {"status": "ok", "status_message": "Query was successful",
            "data": {"movie_count": 1, "limit": 50, "page_number": 1, "movies": [movie]},
            "@meta": {"server_time": NOW, "server_timezone": "CET", "api_version": 2,
                      "execution_time": "0 ms"}}


class SyntheticYts(FakeYts):
    async def _list_movies(self, request: web.Request) -> web.StreamResponse:
        term = request.query.get("query_term", "").strip()
        if term in self.answers or not IMDB.fullmatch(term):
            return await super()._list_movies(request)
        return web.json_response(yts_answer(term))


# ------------------------------------------------------------------------------ TheRARBG

# Scene-style names ({t} = dotted title, {y} = year) and a typical size in GB.
_RARBG_NAMES = (
    ("{t}.{y}.1080p.BluRay.x264-AMIABLE", 10.5),
    ("{t}.{y}.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.5.1-SWTYBLZ", 28.0),
    ("{t}.{y}.720p.BluRay.x264-SiNNERS", 4.4),
    ("{t}.{y}.1080p.AMZN.WEB-DL.DDP5.1.Atmos.H.264-FLUX", 7.2),
    ("{t}.{y}.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT", 31.0),
    ("{t}.{y}.480p.DVDRip.XviD-ZeaL", 0.7),
    ("{T} ({y}) 1080p BrRip x265 HEVC 10bit AAC 5.1 Tigole", 3.1),
    ("{t}.{y}.MULTi.1080p.BluRay.x264-LOST", 9.8),
    ("{t}.{y}.iTALiAN.ENG.1080p.BluRay.x265.10bit-HDR", 4.9),
    ("{t}.{y}.FRENCH.1080p.WEB.H264-FRATERNiTY", 3.6),
    ("{t}.{y}.HDCAM.x264-CAMRiP", 1.1),
    ("{t}.{y}.HDTS.720p.x264.AAC-NEW", 1.4),
    ("{t}.{y}.2160p.WEB-DL.DV.HDR10+.HEVC.DDP5.1-NTb", 16.5),
    ("{t}.{y}.2160p.BluRay.REMUX.HEVC.DV.TrueHD.Atmos.7.1-FraMeSToR", 58.0),
    ("{t}.{y}.GERMAN.DL.1080p.BluRay.x264-DETAiLS", 8.7),
    ("{t}.{y}.1080p.3D.HSBS.BluRay.x264-YTS", 1.9),
)
ROWS_PER_PAGE = 8

_PAGE_HEAD = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>{title} - TheRarBg</title>\n"
    '<link rel="stylesheet" href="/static/css/bootstrap.min.css">\n</head>\n<body>\n'
    '<nav class="navbar navbar-expand-lg navbar-dark bg-dark"><a class="navbar-brand" '
    'href="/">TheRarBg</a>\n<form class="form-inline" action="/get-posts/" method="get">'
    '<input class="form-control" name="keywords" type="search" placeholder="Search"></form>\n'
    "</nav>\n")
_PAGE_FOOT = ('<footer class="footer"><p>TheRarBg &copy; 2024</p></footer>\n'
              '<script src="/static/js/bootstrap.bundle.min.js"></script>\n</body>\n</html>\n')


def _ago(seconds: int) -> str:
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "today"


def rarbg_rows(imdb_id: str) -> list[dict[str, Any]]:
    title, year = film(imdb_id)
    rng = random.Random(f"rarbg/{imdb_id}")
    rows = []
    for n in sorted(rng.sample(range(len(_RARBG_NAMES)), ROWS_PER_PAGE)):
        pattern, gb = _RARBG_NAMES[n]
        name = pattern.format(t=title.replace(" ", "."), T=title, y=year)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
        added = NOW - rng.randint(2, 2500) * 86400
        size = int(gb * rng.uniform(0.8, 1.25) * 1024**3)
        rows.append({"name": name, "id": f"{imdb_id[2:]}x{n}", "slug": slug,
                     "added": added, "size": size, "seeds": _seeds(rng),
                     "peers": rng.randint(0, 400), "hash": _hash(imdb_id, f"rarbg{n}")})
    return rows


def rarbg_list_page(imdb_id: str) -> str:
    out = [_PAGE_HEAD.format(title=f"Search for {imdb_id}"),
           '<div class="container-fluid">\n<div class="row p-1">\n<div class="col-12">\n',
           f"<h5>Search results for <b>{imdb_id}</b></h5>\n",
           '<div class="table-responsive">\n'
           '<table class="table table-sm table-hover table-striped">\n'
           "<thead><tr><th></th><th>Name</th><th>Category</th><th>Added</th><th></th>"
           "<th>Size</th><th>Se.</th><th>Le.</th></tr></thead>\n<tbody>\n"]
    for r in rarbg_rows(imdb_id):
        name = html.escape(r["name"])
        res = next((q for q in ("2160p", "1080p", "720p", "480p") if q in r["name"]), "SD")
        out.append(
            '<tr class="list-entry">\n'
            '  <td class="text-center"><img src="/static/img/cat/movies.png" alt="Movies" '
            'width="24"></td>\n'
            f'  <td class="cellName"><div class="wrapper"><a href="/post-detail/{r["id"]}/'
            f'{r["slug"]}/" title="{name}">{name}</a></div>'
            f'<span class="badge badge-info">{res}</span></td>\n'
            '  <td><a href="/get-posts/category:Movies/">Movies</a></td>\n'
            f'  <td data-order="{r["added"]}">{_ago(NOW - r["added"])}</td>\n'
            f'  <td><a href="/get-posts/keywords:{imdb_id}/"><img src="/static/img/imdb.png" '
            'alt="IMDb"></a></td>\n'
            f'  <td class="sizeCell" data-order="{r["size"]}">{r["size"] / 1024**3:.2f} GB</td>\n'
            f'  <td style="color: green">{r["seeds"]}</td>\n'
            f'  <td style="color: red">{r["peers"]}</td>\n</tr>\n')
    out.append("</tbody>\n</table>\n</div>\n<ul class=\"pagination\"><li class=\"page-item "
               "active\"><a class=\"page-link\" href=\"?page=1\">1</a></li></ul>\n"
               "</div>\n</div>\n</div>\n")
    out.append(_PAGE_FOOT)
    return "".join(out)


def rarbg_detail_page(imdb_id: str, n: int) -> str | None:
    row = next((r for r in rarbg_rows(imdb_id) if r["id"] == f"{imdb_id[2:]}x{n}"), None)
    if row is None:
        return None
    name = html.escape(row["name"])
    dn = re.sub(r"[^A-Za-z0-9.\-]", ".", row["name"])
    magnet = (f"magnet:?xt=urn:btih:{row['hash'].upper()}&amp;dn={dn}"
              "&amp;tr=udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce"
              "&amp;tr=udp%3A%2F%2Fopen.stealth.si%3A80%2Fannounce"
              "&amp;tr=udp%3A%2F%2Ftracker.torrent.eu.org%3A451%2Fannounce")
    added = time.strftime("%b. %d, %Y", time.gmtime(row["added"]))
    return "".join([
        _PAGE_HEAD.format(title=name),
        '<div class="container">\n<div class="row">\n<div class="postContL col-lg-8">\n',
        f"<h4>{name}</h4>\n",
        '<div class="table-responsive">\n<table class="detailTable table table-sm">\n<tbody>\n',
        f'<tr><th>Torrent:</th><td><a class="btn btn-success" href="{magnet}"><i class="fa '
        'fa-magnet"></i> Magnet Download</a> <a class="btn btn-primary" '
        f'href="/download/{row["id"]}/">Torrent Download</a></td></tr>\n',
        '<tr><th>Category:</th><td><a href="/get-posts/category:Movies/">Movies</a></td></tr>\n',
        f"<tr><th>Size:</th><td>{row['size'] / 1024**3:.2f} GB</td></tr>\n",
        f"<tr><th>Added:</th><td>{added}</td></tr>\n",
        f"<tr><th>Peers:</th><td>Seeders: {row['seeds']}, Leechers: {row['peers']}</td></tr>\n",
        f'<tr><th>IMDB:</th><td><a href="https://www.imdb.com/title/{imdb_id}/">{imdb_id}'
        "</a></td></tr>\n<tr><th>Uploader:</th><td>rarbg-bot</td></tr>\n"
        "</tbody>\n</table>\n</div>\n",
        '<div class="description"><pre>Video: 1920x800, Audio: English</pre></div>\n'
        "</div>\n</div>\n</div>\n",
        _PAGE_FOOT])


class SyntheticTheRarbg(FakeTheRarbg):
    async def _list(self, request: web.Request) -> web.StreamResponse:
        parts = request.match_info["spec"].split(":")
        keywords = dict(zip(parts[::2], parts[1::2], strict=False)).get("keywords", "")
        if not IMDB.fullmatch(keywords) or self._page(f"list_{keywords}.html") is not None:
            return await super()._list(request)
        return web.Response(text=rarbg_list_page(keywords), content_type="text/html")

    async def _detail(self, request: web.Request) -> web.StreamResponse:
        match = DETAIL_ID.fullmatch(request.match_info["id"])
        page = rarbg_detail_page(f"tt{match[1]}", int(match[2])) if match else None
        if page is None:
            return await super()._detail(request)
        return web.Response(text=page, content_type="text/html")


# ------------------------------------------------------------------------------ process


async def serve(max_seconds: float) -> None:
    yts, rarbg = SyntheticYts(), SyntheticTheRarbg()
    await yts.start()
    await rarbg.start()
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def stats() -> None:
        counts = {"yts": len(yts.requests), "therarbg": len(rarbg.requests)}
        print(json.dumps({"cpu_s": time.process_time(), "requests": counts}), flush=True)

    def read_stdin() -> None:  # a thread: commands from the bench, EOF = stop
        for line in sys.stdin:
            if line.strip() == "stats":
                loop.call_soon_threadsafe(stats)
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=read_stdin, daemon=True).start()
    print(json.dumps({"yts": yts.origin, "therarbg": rarbg.origin}), flush=True)
    try:
        await asyncio.wait_for(done.wait(), max_seconds)
    except TimeoutError:
        print("fakes: --max-seconds reached, stopping", file=sys.stderr)
    finally:
        await yts.stop()
        await rarbg.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-seconds", type=float, default=3600.0)
    args = ap.parse_args(argv)
    asyncio.run(serve(args.max_seconds))


if __name__ == "__main__":
    main()
