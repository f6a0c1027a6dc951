"""Any torrent: a magnet link or .torrent file the user adds becomes a playable film.

``parse_item`` validates what the user typed (a .torrent path through ``check_torrent``,
a magnet through ``parse_magnet``) without touching the engine, so a typo fails fast.
``AdhocTorrents`` then records it as a film row (``is_demo`` False, a TMDB id in a
negative range of its own) with one ``MovieSource`` (source "adhoc"), adds it to the
engine, and waits for its metadata. From there the ordinary ``StreamService.open`` /
token path serves it, unchanged. Adding the same info hash again finds the same rows.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select

# The port's types, errors and reason codes live in core (the UI imports them from
# there); re-exported here for the CLI and older imports.
from miauflix_desktop.core.adhoc import (
    DEFAULT_METADATA_TIMEOUT_S,
    REASON_BAD_MAGNET,
    REASON_DIRECTORY,
    REASON_GONE,
    REASON_NO_FILE,
    REASON_UNREADABLE,
    AdhocError,
    AdhocFilm,
    AdhocRequest,
    MetadataTimeout,
)
from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.sources.magnets import build_magnet, parse_magnet, to_uri
from miauflix_desktop.services.sources.release import parse_release
from miauflix_desktop.services.sources.torrent_check import (
    VIDEO_EXTENSIONS,
    CheckedTorrent,
    TorrentLimits,
    TorrentRejected,
    check_torrent,
    torrent_from_info,
)
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Movie, MovieSource
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec

log = logging.getLogger(__name__)

SOURCE_NAME = "adhoc"

# Added films count down from here. The demo uses -1000 - n (a handful), TMDB ids are
# positive, so this range collides with neither, and the catalog sync skips it
# (it refreshes only tmdb_id > 0).
ADHOC_TMDB_FIRST = -1_000_000

# Messages name what the user typed; a magnet can be kilobytes of trackers.
_SHOWN_CHARS = 80

_SEPARATORS = re.compile(r"[._]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class AdhocItem:
    """A validated --add argument: what to record and how the engine gets it."""

    argument: str  # what the user typed, shortened for messages
    info_hash: str  # 40 lowercase hex
    magnet: str  # always set: the given magnet, or one built from the .torrent
    torrent: bytes | None  # the .torrent bytes when a file was given
    name: str | None  # the torrent's name (or a magnet's dn) when known
    checked: CheckedTorrent | None  # the check's result when the metadata is known


def shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 1] + "…"


def parse_item(argument: str, limits: TorrentLimits | None = None) -> AdhocItem:
    """Validate a magnet link or a .torrent path; AdhocError with a one-line reason."""
    text = argument.strip()
    shown = shorten(text)
    if text.lower().startswith("magnet:"):
        try:
            magnet = parse_magnet(text)
        except TorrentError as exc:
            raise AdhocError(f"cannot add {shown!r}: {exc}", REASON_BAD_MAGNET,
                             str(exc)) from None
        return AdhocItem(shown, magnet.info_hash, to_uri(magnet), None, magnet.name, None)
    limits = limits or TorrentLimits()
    path = Path(text).expanduser()
    try:
        with path.open("rb") as f:
            # One byte over the limit is enough for check_torrent to refuse it, and a
            # video file passed by mistake is not read whole into memory.
            data = f.read(limits.max_metadata_bytes + 1)
    except FileNotFoundError:
        raise AdhocError(f"cannot add {shown!r}: no such file, and not a magnet link "
                         "(magnet links start with 'magnet:?')", REASON_NO_FILE) from None
    except IsADirectoryError:
        raise AdhocError(f"cannot add {shown!r}: it is a directory, not a .torrent file",
                         REASON_DIRECTORY) from None
    except OSError as exc:
        raise AdhocError(f"cannot add {shown!r}: {exc.strerror or exc}",
                         REASON_UNREADABLE, str(exc.strerror or exc)) from None
    try:
        checked = check_torrent(data, limits)
    except TorrentError as exc:
        raise AdhocError(f"cannot add {shown!r}: not a usable .torrent file: {exc}",
                         _reason_of(exc), str(exc)) from None
    magnet_uri = build_magnet(checked.info_hash, checked.name, default_trackers=())
    return AdhocItem(shown, checked.info_hash, magnet_uri, data, checked.name, checked)


def _reason_of(exc: TorrentError) -> str | None:
    return str(exc.reason) if isinstance(exc, TorrentRejected) else None


def clean_title(name: str) -> tuple[str, int | None]:
    """("Big Buck Bunny", 2008) from "Big.Buck.Bunny.2008.1080p.BluRay.x264-GRP.mkv"."""
    stem = name.strip()
    head, dot, ext = stem.rpartition(".")
    if dot and ext.lower() in VIDEO_EXTENSIONS:
        stem = head
    info = parse_release(stem)
    title = _SPACES.sub(" ", _SEPARATORS.sub(" ", info.title or "")).strip()
    if not title:
        # The release parser found no title (e.g. the name is all tags): keep the name,
        # only with separators turned into spaces.
        title = _SPACES.sub(" ", _SEPARATORS.sub(" ", stem)).strip() or name.strip()
    return title[:500], info.year


def placeholder_title(info_hash: str) -> str:
    """Title of a magnet without a name until its metadata names it."""
    return f"Torrent {info_hash[:8]}"


class AdhocTorrents:
    """Records added torrents in the library and brings them to "metadata known"."""

    def __init__(self, database: Database, engine: TorrentEngine) -> None:
        self._db = database
        self._engine = engine
        # record() runs in worker threads; allocating the next TMDB id is read-then-write.
        self._lock = threading.Lock()

    @property
    def offline(self) -> bool:
        """The engine talks to 127.0.0.1 only (no TMDB key): no peer on the internet."""
        return self._engine.isolated

    def parse(self, argument: str, limits: TorrentLimits | None = None) -> AdhocItem:
        """``parse_item`` as the ``AdhocPort`` method (blocking: reads a .torrent)."""
        return parse_item(argument, limits)

    async def add(self, item: AdhocRequest, peers: Sequence[tuple[str, int]] = (),
                  timeout_s: float = DEFAULT_METADATA_TIMEOUT_S) -> AdhocFilm:
        """Record, add to the engine (dialling ``peers``), and wait for the metadata.

        MetadataTimeout when no metadata arrives within ``timeout_s`` (the torrent is then
        removed from the engine again); AdhocError when the metadata is not a playable
        torrent. On success ``StreamService.open(film.movie_id)`` serves its main video.
        A failure (or cancellation: the viewer left the screen) removes the rows this
        call created; rows of an earlier add stay.
        """
        if not isinstance(item, AdhocItem):
            raise TypeError("add() takes an item from parse()")
        film = await asyncio.to_thread(self.record, item)
        try:
            return await self._fetch(item, film, peers, timeout_s)
        except BaseException:
            if film.created:
                await asyncio.shield(asyncio.to_thread(self._forget, film))
            raise

    async def _fetch(self, item: AdhocItem, film: AdhocFilm,
                     peers: Sequence[tuple[str, int]], timeout_s: float) -> AdhocFilm:
        spec = TorrentSpec(torrent_bytes=item.torrent,
                           magnet=None if item.torrent is not None else item.magnet,
                           peers=tuple(peers))
        torrent = await self._engine.add(spec)
        try:
            await asyncio.wait_for(torrent.metadata(), timeout_s)
        except TimeoutError:
            await self._engine.remove(item.info_hash)
            raise MetadataTimeout(
                f"no metadata for {item.argument!r} within {timeout_s:g} s "
                "(no peer answered); skipping it") from None
        except asyncio.CancelledError:
            # Nobody waits for it any more: do not keep downloading in the background.
            await asyncio.shield(self._engine.remove(item.info_hash))
            raise
        if item.torrent is not None:
            return film
        # A magnet: keep the metadata as .torrent bytes, so the next run (and the
        # stream path) has it at once and the file choice is checked like any source.
        ti = torrent.handle.torrent_file()
        if ti is None:  # pragma: no cover - metadata() resolved, so libtorrent has it
            return film
        data = torrent_from_info(bytes(ti.info_section()), parse_magnet(item.magnet).trackers)
        try:
            checked = check_torrent(data)
        except TorrentError as exc:
            await self._engine.remove(item.info_hash)
            raise AdhocError(f"cannot add {item.argument!r}: {exc}", _reason_of(exc),
                             str(exc)) from None
        return await asyncio.to_thread(self._store_metadata, film, data, checked)

    def record(self, item: AdhocItem) -> AdhocFilm:
        """Create (or find, by info hash) the film and its source; blocking (SQLite)."""
        with self._lock, self._db.session() as s, s.begin():
            src = s.scalar(select(MovieSource).where(MovieSource.source == SOURCE_NAME,
                                                     MovieSource.hash == item.info_hash))
            if src is not None:
                movie = s.get(Movie, src.movie_id)
                assert movie is not None  # the foreign key cascades deletes
                if item.torrent is not None and src.file is None:
                    # Added as a magnet before, now as a file: keep the better form.
                    _fill_source(src, item.torrent, item.checked)
                if item.name and movie.title == placeholder_title(item.info_hash):
                    _name_movie(movie, item.name)
                s.flush()
                return AdhocFilm(movie.id, src.id, item.info_hash, movie.title)
            lowest = s.scalar(select(func.min(Movie.tmdb_id))
                              .where(Movie.tmdb_id <= ADHOC_TMDB_FIRST))
            tmdb_id = ADHOC_TMDB_FIRST if lowest is None else int(lowest) - 1
            movie = Movie(tmdb_id=tmdb_id, title=placeholder_title(item.info_hash),
                          overview="Added by you from a "
                                   + ("magnet link." if item.torrent is None
                                      else ".torrent file."),
                          is_demo=False)
            if item.name:
                _name_movie(movie, item.name)
            s.add(movie)
            s.flush()
            src = MovieSource(movie_id=movie.id, hash=item.info_hash, source=SOURCE_NAME,
                              magnet_link=item.magnet, size=0)
            if item.torrent is not None:
                _fill_source(src, item.torrent, item.checked)
            elif item.name:
                src.release_name = item.name
            s.add(src)
            s.flush()
            log.info("recorded added torrent %s as film %d", item.info_hash, movie.id)
            return AdhocFilm(movie.id, src.id, item.info_hash, movie.title, created=True)

    def _forget(self, film: AdhocFilm) -> None:
        """Remove the rows a failed add created (blocking, SQLite)."""
        with self._lock, self._db.session() as s, s.begin():
            s.execute(delete(MovieSource).where(MovieSource.movie_id == film.movie_id))
            s.execute(delete(Movie).where(Movie.id == film.movie_id))
        log.info("forgot added torrent %s (film %d): the add failed", film.info_hash,
                 film.movie_id)

    def _store_metadata(self, film: AdhocFilm, data: bytes,
                        checked: CheckedTorrent) -> AdhocFilm:
        with self._lock, self._db.session() as s, s.begin():
            src = s.get(MovieSource, film.source_id)
            movie = s.get(Movie, film.movie_id)
            if src is None or movie is None:
                raise AdhocError("the added torrent was deleted while its metadata arrived",
                                 REASON_GONE)
            _fill_source(src, data, checked)
            if movie.title == placeholder_title(film.info_hash):
                _name_movie(movie, checked.name)
            s.flush()
            return AdhocFilm(movie.id, src.id, film.info_hash, movie.title, film.created)


def _name_movie(movie: Movie, name: str) -> None:
    title, year = clean_title(name)
    movie.title = title
    movie.original_title = title
    if year:
        movie.release_date = f"{year:04d}-01-01"


def _fill_source(src: MovieSource, data: bytes, checked: CheckedTorrent | None) -> None:
    src.file = data
    if checked is None:
        return
    info = parse_release(checked.chosen.path.rsplit("/", 1)[-1])
    src.size = checked.file_size
    src.file_index = checked.file_index
    src.file_count = len(checked.files)
    src.release_name = checked.name
    src.quality = info.resolution
    src.video_codec = info.video_codec


__all__ = [
    "ADHOC_TMDB_FIRST",
    "DEFAULT_METADATA_TIMEOUT_S",
    "REASON_BAD_MAGNET",
    "REASON_DIRECTORY",
    "REASON_GONE",
    "REASON_NO_FILE",
    "REASON_UNREADABLE",
    "SOURCE_NAME",
    "AdhocError",
    "AdhocFilm",
    "AdhocItem",
    "AdhocTorrents",
    "MetadataTimeout",
    "clean_title",
    "parse_item",
]
