"""TheRARBG: releases from its HTML search page and detail pages, parsed with html.parser.

One search is one list page, `/get-posts/keywords:<imdb id>/` (title words when there is
no id), whose results table has a row per torrent:

    <tr class="list-entry">
      <td>(category icon)</td>
      <td class="cellName"><div><a href="/post-detail/<id>/<slug>/">Release.Name</a></div></td>
      <td><a href="/get-posts/category:Movies/">Movies</a></td>
      <td data-order="<epoch>">2 years ago</td>     (added)
      <td>…</td>
      <td class="sizeCell" data-order="<bytes>">2.1 GB</td>
      <td>seeders</td> <td>leechers</td>
    </tr>

then, for the best rows by seeders (at most `detail_fetch_limit`), the detail page, whose
`table.detailTable` carries the magnet (`a[href^="magnet:?"]`) and so the info hash.
Columns are found by their header names where the header is readable, by position
otherwise. A row that does not parse is skipped and logged; a page without a results table
is "answered garbage". For a TV episode, rows naming another episode are dropped before
detail fetches (a cheap pre-filter, not the release parser) so the fetches go to rows
that can match; season packs stay.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urljoin

import httpx

from miauflix_desktop.services.sources.providers.base import (
    Answer,
    Failure,
    FailureKind,
    HttpProvider,
    PartialResults,
    ProviderHealth,
    ProviderOptions,
    ProviderQuery,
    garbage,
    most_severe,
)
from miauflix_desktop.services.sources.types import ProviderRelease

log = logging.getLogger(__name__)

DEFAULT_MIRRORS = ("https://therarbg.com", "https://therarbg.to", "https://therar.site")


@dataclass(frozen=True)
class TheRarbgOptions(ProviderOptions):
    """TheRARBG tuning. Settings section `sources.therarbg` (keys are the field names)."""

    mirrors: tuple[str, ...] = DEFAULT_MIRRORS
    # One search is a list page plus a detail page per release: 4 req/s (a burst of 4)
    # keeps an on-demand search near one second (bench/sources.py: 2 req/s and 10
    # details took 3.6 s against the 3 s target) while staying a light, steady client.
    rate_max: float = 4.0
    rate_period_s: float = 1.0
    detail_fetch_limit: int = 6  # detail pages per search, best rows by seeders first
    detail_concurrency: int = 3


class TheRarbgProvider(HttpProvider):
    """Films and series from TheRARBG's search and detail pages."""

    key = "therarbg"
    name = "TheRARBG"
    options: TheRarbgOptions

    def __init__(self, options: TheRarbgOptions | None = None, *,
                 http: httpx.AsyncClient | None = None,
                 health: ProviderHealth | None = None) -> None:
        super().__init__(options or TheRarbgOptions(), http=http, health=health)

    async def _search(self, query: ProviderQuery) -> list[ProviderRelease]:
        path = f"/get-posts/keywords:{quote(_keywords(query), safe='')}/"
        page_url, rows = await self._get(path, None, expect="html", parse=_parse_list_answer)
        wanted = [r for r in rows if _matches(r.name, query)]
        wanted.sort(key=lambda r: r.seeds if r.seeds is not None else -1, reverse=True)
        chosen = wanted[: self.options.detail_fetch_limit]
        log.debug("TheRARBG %s: %d rows, %d relevant, fetching %d detail pages",
                  _keywords(query), len(rows), len(wanted), len(chosen))
        return await self._details(page_url, chosen, query)

    async def _details(self, page_url: str, rows: list[ListRow],
                       query: ProviderQuery) -> list[ProviderRelease]:
        gate = asyncio.Semaphore(max(1, self.options.detail_concurrency))
        stop = asyncio.Event()
        failures: list[Failure] = []

        async def one(row: ListRow) -> ProviderRelease | None:
            async with gate:
                if stop.is_set():
                    return None
                url = urljoin(page_url, row.detail_path)
                try:
                    detail = await self._get_url(url, expect="html", parse=_parse_detail_answer)
                except Failure as failure:
                    if failure.kind in (FailureKind.CHALLENGE, FailureKind.RATE_LIMITED):
                        stop.set()  # the site is refusing us: asking for more only hurts
                    log.info("TheRARBG detail %s: %s %s", url, failure.reason, failure.detail)
                    failures.append(failure)
                    return None
            if detail is None:
                log.info("TheRARBG detail %s has no magnet; skipping %s", url, row.name)
                return None
            return _release(row, detail, query)

        found = await asyncio.gather(*(one(r) for r in rows))
        releases: list[ProviderRelease] = []
        seen: set[str] = set()
        for release in found:
            if release is not None and release.info_hash not in seen:
                seen.add(release.info_hash)
                releases.append(release)
        if failures:
            worst = most_severe(failures)
            if not releases:
                raise worst
            if stop.is_set():
                raise PartialResults(releases, worst)
        return releases


# ---------------------------------------------------------------------------------------
# Query helpers


def _keywords(query: ProviderQuery) -> str:
    if query.imdb_id:
        return query.imdb_id
    words = " ".join(query.title.split())
    if query.kind == "movie":
        return f"{words} {query.year}" if query.year else words
    if query.season is not None and query.episode is not None:
        return f"{words} S{query.season:02d}E{query.episode:02d}"
    if query.season is not None:
        return f"{words} S{query.season:02d}"
    return words


_EPISODE = re.compile(r"(?<![a-z0-9])s(\d{1,2})[ ._-]?e(\d{1,3})(?:[ ._-]?e?(\d{1,3}))?",
                      re.IGNORECASE)
_X_EPISODE = re.compile(r"(?<!\d)(\d{1,2})x(\d{2,3})(?!\d)", re.IGNORECASE)
_SEASON_RANGE = re.compile(r"(?<![a-z0-9])s(\d{1,2})[ ._-]*(?:-|to)[ ._-]*s?(\d{1,2})(?!\d)",
                           re.IGNORECASE)
_SEASON = re.compile(r"(?<![a-z0-9])(?:s|season[ ._-]?)(\d{1,2})(?![0-9e])", re.IGNORECASE)


def _matches(name: str, query: ProviderQuery) -> bool:
    """Could this row hold the asked episode/season? Unknown shapes are kept."""
    if query.kind != "tv" or query.season is None:
        return True
    season, episode = query.season, query.episode
    episodes = [(int(m[1]), int(m[2]), int(m[3]) if m[3] else int(m[2]))
                for m in _EPISODE.finditer(name)]
    episodes += [(int(m[1]), int(m[2]), int(m[2])) for m in _X_EPISODE.finditer(name)]
    if episodes:  # an episode (or a run like S01E01E02): it must be the one asked for
        return any(s == season and (episode is None or first <= episode <= last)
                   for s, first, last in episodes)
    ranges = [(int(m[1]), int(m[2])) for m in _SEASON_RANGE.finditer(name)]
    if ranges:
        return any(low <= season <= high for low, high in ranges)
    seasons = [int(m[1]) for m in _SEASON.finditer(name)]
    if seasons:
        return season in seasons
    return True  # "Complete Series", or a name we cannot read: let the parser decide


# ---------------------------------------------------------------------------------------
# A small tolerant DOM on html.parser (no new dependency)

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})
_CELL_SCOPE = {"td": ("tr", "table"), "th": ("tr", "table"), "tr": ("table", "tbody", "thead")}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """Descendants in document order (iterative: a deep page cannot hit recursion)."""
        stack: list[Node] = [c for c in reversed(self.children) if isinstance(c, Node)]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, Node))

    def first(self, tag: str) -> Node | None:
        return next(self.iter(tag), None)

    def text(self) -> str:
        parts: list[str] = []
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                parts.append(item)
            else:
                stack.extend(reversed(item.children))
        return " ".join(" ".join(parts).split())


class _TreeBuilder(HTMLParser):
    """Builds `Node`s; closes what authors leave open (</td>, </tr>) and ignores stray
    end tags, so broken markup costs a row at most, never the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._stack: list[Node] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        scope = _CELL_SCOPE.get(tag)
        if scope is not None:  # a new cell/row closes the previous one
            for i in range(len(self._stack) - 1, 0, -1):
                open_tag = self._stack[i].tag
                if open_tag in scope:
                    break
                if open_tag == tag:
                    del self._stack[i:]
                    break
        node = Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


# ---------------------------------------------------------------------------------------
# The list page


@dataclass(frozen=True)
class ListRow:
    name: str
    detail_path: str
    size_bytes: int = 0
    seeds: int | None = None
    peers: int | None = None
    uploaded_at: datetime | None = None
    category: str = ""


# 0-based positions of the columns when the header cannot be read.
_DEFAULT_COLUMNS = {"name": 1, "category": 2, "added": 3, "size": 5, "seeds": 6, "peers": 7}
_HEADER_NAMES = {
    "name": ("name", "title", "torrent", "file"),
    "category": ("category", "cat", "type"),
    "added": ("added", "age", "date", "uploaded", "time"),
    "size": ("size",),
    "seeds": ("seeders", "seeds", "se", "s", "seed"),
    "peers": ("leechers", "leeches", "le", "l", "leech", "peers"),
}
_NO_RESULTS = re.compile(r"no (?:results|torrents|posts) (?:were )?found|nothing (?:was )?found",
                         re.IGNORECASE)


def _is_detail_link(node: Node) -> bool:
    return "post-detail/" in node.attrs.get("href", "")


def _results_table(root: Node) -> Node | None:
    for table in root.iter("table"):
        if any("list-entry" in tr.classes for tr in table.iter("tr")):
            return table
        if any(_is_detail_link(a) for a in table.iter("a")):
            return table
        headers = {th.text().lower().strip(".: ") for th in table.iter("th")}
        if "name" in headers and "size" in headers:  # the table of an empty result page
            return table
    return None


def _columns(table: Node) -> dict[str, int]:
    columns = dict(_DEFAULT_COLUMNS)
    for tr in table.iter("tr"):
        cells = [c for c in tr.children if isinstance(c, Node) and c.tag in ("th", "td")]
        if not cells or any(c.tag != "th" for c in cells):
            continue
        labels = [c.text().lower().strip(".: ") for c in cells]
        found = {key: labels.index(name) for key, names in _HEADER_NAMES.items()
                 for name in reversed(names) if name in labels}
        if "name" in found and len(found) >= 3:  # a header we understand
            columns.update(found)
        break
    return columns


def parse_list_page(html: str, now: datetime | None = None) -> list[ListRow]:
    """Rows of a search page; raises `Failure` ("answered garbage") if there is no table."""
    root = parse_html(html)
    table = _results_table(root)
    if table is None:
        if _NO_RESULTS.search(root.text()):
            return []
        raise garbage("no results table on the search page")
    columns = _columns(table)
    now = now or datetime.now(UTC)
    rows: list[ListRow] = []
    for number, tr in enumerate(table.iter("tr")):
        cells = [c for c in tr.children if isinstance(c, Node) and c.tag == "td"]
        if len(cells) < 2:
            continue  # the header, a "No results found" line, an advert spanning the table
        try:
            rows.append(_parse_row(tr, cells, columns, now))
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            log.warning("TheRARBG: skipping row %d of the search page (%s)", number, exc)
    return rows


def _cell(cells: list[Node], columns: dict[str, int], key: str) -> Node | None:
    index = columns[key]
    return cells[index] if 0 <= index < len(cells) else None


def _parse_row(tr: Node, cells: list[Node], columns: dict[str, int], now: datetime) -> ListRow:
    link = next((a for a in tr.iter("a") if _is_detail_link(a)), None)
    if link is None:
        raise ValueError("no detail link")
    name = link.text() or link.attrs.get("title", "").strip()
    if not name:
        raise ValueError("no release name")
    size_cell = next((c for c in cells if "sizeCell" in c.classes), None) \
        or _cell(cells, columns, "size")
    seeds_cell, peers_cell = _cell(cells, columns, "seeds"), _cell(cells, columns, "peers")
    added_cell, category_cell = _cell(cells, columns, "added"), _cell(cells, columns, "category")
    return ListRow(
        name=name,
        detail_path=link.attrs["href"],
        size_bytes=_size(size_cell),
        seeds=_number(seeds_cell),
        peers=_number(peers_cell),
        uploaded_at=_added(added_cell, now),
        category=category_cell.text() if category_cell is not None else "",
    )


def _number(cell: Node | None) -> int | None:
    if cell is None:
        return None
    text = cell.text().replace(",", "").strip()
    return int(text) if text.isdigit() else None


_SIZE = re.compile(r"([\d]+(?:[.,]\d+)?)\s*([KMGT]?i?B)\b", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def parse_size(text: str) -> int:
    """"1.4 GB" / "700 MiB" / "1,2 GB" -> bytes (1024-based, as torrent sites mean it); 0."""
    match = _SIZE.search(text.replace("\xa0", " "))
    if not match:
        return 0
    unit = match.group(2).upper().replace("I", "")
    return int(float(match.group(1).replace(",", ".")) * _UNITS.get(unit, 1))


def _size(cell: Node | None) -> int:
    if cell is None:
        return 0
    order = cell.attrs.get("data-order", "").strip()
    if order.isdigit():
        return int(order)
    return parse_size(cell.text())


_RELATIVE = re.compile(r"(\d+|an?|one)\s*(minute|min|hour|day|week|month|year)s?", re.IGNORECASE)
_RELATIVE_SECONDS = {"minute": 60, "min": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
                     "month": 30 * 86400, "year": 365 * 86400}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%b %d, %Y", "%B %d, %Y",
                 "%d %b %Y", "%b. %d, %Y")


def _added(cell: Node | None, now: datetime) -> datetime | None:
    if cell is None:
        return None
    order = cell.attrs.get("data-order", "").strip()
    if order.isdigit() and len(order) >= 9:  # epoch seconds
        return datetime.fromtimestamp(int(order), UTC)
    return parse_added(cell.text(), now)


def parse_added(text: str, now: datetime) -> datetime | None:
    """"3 days ago", "an hour ago", "2023-05-01", "May 1, 2023" -> datetime (UTC); else None."""
    text = text.strip()
    match = _RELATIVE.search(text)
    if match:
        amount = match.group(1).lower()
        count = int(amount) if amount.isdigit() else 1
        return now - timedelta(seconds=count * _RELATIVE_SECONDS[match.group(2).lower()])
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _parse_list_answer(answer: Answer) -> tuple[str, list[ListRow]]:
    return answer.url, parse_list_page(answer.body)


# ---------------------------------------------------------------------------------------
# The detail page


@dataclass(frozen=True)
class DetailPage:
    info_hash: str
    magnet: str
    name: str = ""
    imdb_id: str | None = None


_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_IMDB_IN_URL = re.compile(r"imdb\.com/title/(tt\d{5,10})")
_HASH_LABEL = re.compile(r"(?:info\s*)?hash", re.IGNORECASE)


def btih(magnet: str) -> str | None:
    """The v1 info hash of a magnet as 40 lowercase hex (base32 ones are converted)."""
    if not magnet.startswith("magnet:?"):
        return None
    for xt in parse_qs(magnet[len("magnet:?"):]).get("xt", []):
        if not xt.lower().startswith("urn:btih:"):
            continue
        value = xt[len("urn:btih:"):].strip()
        if _HEX40.fullmatch(value):
            return value.lower()
        if _BASE32.fullmatch(value):
            try:
                return base64.b32decode(value.upper()).hex()
            except (binascii.Error, ValueError):
                return None
    return None


def parse_detail_page(html: str) -> DetailPage | None:
    """The magnet and hash of a detail page; None when the page has no usable magnet."""
    root = parse_html(html)
    magnet = next((a.attrs["href"] for a in root.iter("a")
                   if a.attrs.get("href", "").startswith("magnet:?")), "")
    info_hash = btih(magnet) if magnet else None
    if info_hash is None:
        # Some layouts print the hash in the details table next to "Info Hash:".
        for tr in root.iter("tr"):
            th, td = tr.first("th"), tr.first("td")
            if th is not None and td is not None and _HASH_LABEL.search(th.text()):
                match = _HEX40.search(td.text())
                if match:
                    info_hash = match.group(0).lower()
                    break
    if info_hash is None:
        return None
    heading = root.first("h4") or root.first("h1")
    imdb = next((m.group(1) for a in root.iter("a")
                 if (m := _IMDB_IN_URL.search(a.attrs.get("href", "")))), None)
    return DetailPage(info_hash=info_hash, magnet=magnet,
                      name=heading.text() if heading is not None else "", imdb_id=imdb)


def _parse_detail_answer(answer: Answer) -> DetailPage | None:
    return parse_detail_page(answer.body)


def _release(row: ListRow, detail: DetailPage, query: ProviderQuery) -> ProviderRelease:
    # The list may shorten long names ("…"); the detail heading has the whole one.
    name = row.name
    if detail.name and (name.endswith(("...", "…")) or len(detail.name) > len(name)) \
            and detail.name.startswith(name.rstrip(".…")[:20]):
        name = detail.name
    return ProviderRelease(
        provider=TheRarbgProvider.key,
        name=name,
        info_hash=detail.info_hash,
        size_bytes=row.size_bytes,
        seeds=row.seeds,
        peers=row.peers,
        uploaded_at=row.uploaded_at,
        magnet=detail.magnet or None,
        imdb_id=query.imdb_id or detail.imdb_id,
    )
