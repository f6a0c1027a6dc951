"""TorrentEngine: the app's one libtorrent session, its alert pump, and resume data.

Adding a torrent returns a ``Torrent`` (milestones, readers). The engine owns the only
alert pump of its session and routes each event to its torrent by info hash. Status
snapshots come from ``post_torrent_updates`` on a slow timer that is not part of any
read path.

Resume data: every ``resume_save_interval_s`` the engine asks torrents with unsaved
changes for it, and ``stop()`` asks every torrent; each file is replaced atomically
(``atomic_write_bytes``), so a crash or kill -9 at any moment leaves the previous
complete file. Torrents are not re-added by themselves at start: adding the same torrent
later (Play) picks its resume data up, so pieces it had are not downloaded again.

Limits (rates, connections) come from ``TorrentSettings`` at start and again whenever
``apply_limits`` is called; the seeding policy and the disk quota live in ``cache.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import libtorrent as lt

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent import events as ev
from miauflix_desktop.services.torrent.metainfo import (
    is_loopback_host,
    key_of,
    load_torrent_info,
    magnet_params,
    parse_magnet,
    tracker_host,
)
from miauflix_desktop.services.torrent.pump import AlertPump
from miauflix_desktop.services.torrent.torrent import Torrent
from miauflix_desktop.services.torrent.tuning import internet_settings, loopback_settings

log = logging.getLogger(__name__)

# Status snapshots are for the UI and the scheduler (rates, progress), never for reads;
# once a second is what a person can perceive.
STATUS_INTERVAL_S = 1.0

# stop() waits this long for resume data; a torrent stuck in a disk error must not keep
# the app from exiting (the Lifecycle gives the whole stop 5 s).
RESUME_TIMEOUT_S = 2.0

# remove() waits this long for libtorrent to confirm the removal (and file deletion).
REMOVE_TIMEOUT_S = 5.0

# Joining the pump thread at stop: it wakes within one wait_for_alert (250 ms).
PUMP_JOIN_TIMEOUT_S = 2.0
# A torrent that keeps failing the same way (a full disk fails each write in flight) is
# told again at most this often; see TorrentEngine._on_failure.
FAILURE_REPEAT_S = 1.0

# Suffix of resume data being written; a leftover one (crash mid-write) is deleted at start.
RESUME_TMP_SUFFIX = ".tmp"

# For peers on loopback: no uTP (12 MB/s vs 400+ MB/s over TCP) and no encryption
# (nothing to hide from ourselves); libtorrent's default is encryption | uTP | holepunch.
LOOPBACK_PEX_FLAGS = 0


@dataclass(frozen=True)
class TorrentSpec:
    """What to add: .torrent bytes or a magnet link, plus peers to dial directly."""

    torrent_bytes: bytes | None = None
    magnet: str | None = None
    peers: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class TorrentStats:
    """One torrent's counters for bookkeeping (cache quota, Storage rows, seeding policy).

    Read straight from ``handle.status()``: unlike the UI's ``TorrentStatus`` it carries
    the all-time transfer totals and the piece bitfield.
    """

    info_hash: str
    name: str
    save_path: str
    state: str  # "downloading", "seeding" or "paused"
    total_wanted: int  # bytes of the files wanted
    total_done: int  # bytes of those downloaded and verified
    downloaded: int  # all-time payload downloaded (kept in resume data)
    uploaded: int  # all-time payload uploaded (kept in resume data)
    session_downloaded: int  # payload downloaded since this engine added the torrent
    num_pieces: int
    pieces_done: int
    piece_length: int
    peers: int
    finished: bool  # every wanted piece is here
    paused: bool
    seeding_s: float  # time spent seeding (all-time, from libtorrent)
    pieces: bytes = b""  # bitfield, most significant bit first (BitTorrent's order)

    @property
    def progress(self) -> float:
        return self.total_done / self.total_wanted if self.total_wanted else 0.0


def loopback_only(urls: Sequence[str]) -> list[str]:
    return [url for url in urls if is_loopback_host(tracker_host(url))]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers only ever see a complete file.

    The bytes go to a unique temporary file in the same folder, are fsync'ed, and the
    temporary file is renamed over ``path`` (atomic on POSIX and on Windows' ReplaceFile);
    the folder is fsync'ed too so the rename itself survives a power cut. A failure at
    any step leaves the old file untouched and removes the temporary one; OSError is
    raised to the caller.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                    suffix=RESUME_TMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Not every platform can open a directory (Windows cannot); the rename is still atomic.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _seconds(value: object) -> float:
    # The bindings give durations as timedelta (or int seconds in some builds).
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, int | float) else 0.0


def _bitfield(bits: Sequence[bool]) -> bytes:
    out = bytearray((len(bits) + 7) // 8)
    for i, have in enumerate(bits):
        if have:
            out[i >> 3] |= 0x80 >> (i & 7)
    return bytes(out)


def _stats_of(key: str, st: lt.torrent_status) -> TorrentStats:
    paused = bool(st.flags & lt.torrent_flags.paused)
    finished = bool(st.is_finished or st.is_seeding)
    try:
        seeding_s = _seconds(st.seeding_duration)
    except (OverflowError, RuntimeError):
        seeding_s = 0.0
    ti = st.torrent_file
    pieces = list(st.pieces)
    return TorrentStats(
        info_hash=key,
        name=str(st.name),
        save_path=str(st.save_path),
        state="paused" if paused else ("seeding" if finished else "downloading"),
        total_wanted=int(st.total_wanted),
        total_done=int(st.total_wanted_done),
        downloaded=int(st.all_time_download),
        uploaded=int(st.all_time_upload),
        session_downloaded=int(st.total_payload_download),
        num_pieces=ti.num_pieces() if ti is not None else len(pieces),
        pieces_done=int(st.num_pieces),
        piece_length=ti.piece_length() if ti is not None else 0,
        peers=int(st.num_peers),
        finished=finished,
        paused=paused,
        seeding_s=seeding_s,
        pieces=_bitfield(pieces),
    )


def limits_pack(settings: TorrentSettings) -> dict[str, int]:
    """libtorrent settings for the user's limits; 0 (or less) means unlimited."""
    return {
        # libtorrent takes bytes/s and reads 0 as "no limit", like our KiB/s settings.
        "download_rate_limit": max(0, int(settings.download_rate_kib)) * 1024,
        "upload_rate_limit": max(0, int(settings.upload_rate_kib)) * 1024,
        # 0 makes libtorrent use its maximum (20,000, bounded by file descriptors).
        "connections_limit": max(0, int(settings.connections_limit)),
    }


class TorrentEngine:
    """The streaming engine: a lifecycle Service around one libtorrent session."""

    def __init__(self, settings: TorrentSettings, save_root: Path, resume_dir: Path, *,
                 isolated: bool = False, folder_per_torrent: bool = False) -> None:
        self._settings = settings
        self._save_root = Path(save_root)
        # The app gives each torrent its own folder (named by info hash): two releases
        # whose video has the same file name would otherwise write into one file. Tests
        # and benchmarks that point the engine at a seeder's complete data keep it flat.
        self._folder_per_torrent = folder_per_torrent
        self._resume_dir = Path(resume_dir)
        self._isolated = isolated
        self._session: lt.session | None = None
        self._pump: AlertPump | None = None
        self._status_task: asyncio.Task[None] | None = None
        self._torrents: dict[str, Torrent] = {}
        self._removing: dict[str, Torrent] = {}
        self._resume_task: asyncio.Task[None] | None = None
        # Torrents the seeding policy paused; adding one again (Play) resumes it.
        self._seed_stopped: set[str] = set()
        # Called with an info hash whenever add() is asked for it (the cache's LRU).
        self._access_listeners: list[Callable[[str], None]] = []
        # Torrents libtorrent stopped with an error (disk full, file error): the viewer's
        # wording (events.failure_text), until the torrent is added again or removed.
        self._failures: dict[str, str] = {}
        self._failure_told: dict[str, tuple[str, float]] = {}  # key -> (text, when)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._session is not None:
            return
        self._save_root.mkdir(parents=True, exist_ok=True)
        self._resume_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_resume_tmp()
        pack = loopback_settings() if self._isolated else internet_settings(self._settings)
        pack.update(limits_pack(self._settings))
        try:
            self._session = lt.session(pack)
        except (RuntimeError, KeyError, TypeError) as exc:
            raise TorrentError(f"cannot start the torrent session: {exc}") from exc
        self._pump = AlertPump(self._session, asyncio.get_running_loop(), self._dispatch,
                               name="torrent-alert-pump")
        self._pump.start()
        self._status_task = asyncio.create_task(self._status_loop(), name="torrent-status")
        self._resume_task = asyncio.create_task(self._resume_loop(), name="torrent-resume")
        log.info("torrent engine listening on port %d%s", self.listen_port,
                 " (isolated, loopback only)" if self._isolated else "")

    async def stop(self) -> None:
        """Save resume data for all torrents, then end the session; bounded in time."""
        session = self._session
        if session is None:
            return
        for task in (self._status_task, self._resume_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._status_task = self._resume_task = None
        try:
            await self._save_all_resume_data()
        except Exception:
            log.exception("saving resume data failed")
        session.pause()
        assert self._pump is not None
        self._pump.request_stop()
        if not await asyncio.to_thread(self._pump.join, PUMP_JOIN_TIMEOUT_S):
            log.warning("the alert pump did not stop within %.1fs", PUMP_JOIN_TIMEOUT_S)
        self._pump = None
        for torrent in [*self._torrents.values(), *self._removing.values()]:
            torrent.fail(TorrentError("the torrent engine has stopped"))
        self._torrents.clear()
        self._removing.clear()
        self._seed_stopped.clear()
        # The session's destructor joins libtorrent's threads; do it off the loop.
        holder = [session]
        self._session = None
        del session
        await asyncio.to_thread(holder.clear)
        log.info("torrent engine stopped")

    # ----------------------------------------------------------------- public API

    @property
    def listen_port(self) -> int:
        if self._session is None:
            raise TorrentError("the torrent engine is not running")
        return int(self._session.listen_port())

    @property
    def isolated(self) -> bool:
        return self._isolated

    @property
    def save_root(self) -> Path:
        return self._save_root

    @property
    def resume_dir(self) -> Path:
        return self._resume_dir

    def resume_path(self, info_hash: str) -> Path:
        """Where the resume data of a torrent is kept (it may not exist)."""
        return self._resume_path(info_hash.lower())

    def get(self, info_hash: str) -> Torrent | None:
        return self._torrents.get(info_hash.lower())

    def torrents(self) -> list[Torrent]:
        return list(self._torrents.values())

    def failure(self, info_hash: str) -> str | None:
        """Why libtorrent stopped this torrent ("The disk is full: ..."), or None."""
        return self._failures.get(info_hash.lower())

    async def add(self, spec: TorrentSpec) -> Torrent:
        """Add (or find) a torrent and start it; TorrentError on bad input."""
        session = self._require_session()
        key, params = self._params_for(spec)
        torrent = self._torrents.get(key)
        if torrent is None:
            try:
                handle = session.add_torrent(params)
            except RuntimeError as exc:
                log.error("libtorrent refused torrent %s: %s", key, exc)
                raise TorrentError(f"cannot add the torrent: {exc}") from exc
            torrent = Torrent(handle, key, self._settings.readahead_bytes)
            self._torrents[key] = torrent
            log.info("added torrent %s (%s)", key, handle.status().name or "fetching metadata")
        elif key in self._seed_stopped:
            # Asked for again (Play, prepare): it must talk to peers if it needs pieces.
            self._seed_stopped.discard(key)
            torrent.handle.resume()
        if torrent is not None and self._failures.pop(key, None) is not None:
            self._failure_told.pop(key, None)
            # Asked for again after an error (space freed, say): clear it and try again;
            # if the cause remains, libtorrent reports it again.
            with contextlib.suppress(RuntimeError):
                torrent.handle.clear_error()
                torrent.handle.resume()
        self._connect_peers(torrent, spec.peers)
        self._notify_access(key)
        return torrent

    async def remove(self, info_hash: str, delete_files: bool = False) -> None:
        session = self._require_session()
        key = info_hash.lower()
        torrent = self._torrents.pop(key, None)
        if torrent is None:
            return
        self._removing[key] = torrent
        try:
            flags = lt.session.delete_files if delete_files else 0
            session.remove_torrent(torrent.handle, flags)
            waits: list[asyncio.Future[object]] = [torrent.removed_future()]
            if delete_files:
                waits.append(torrent.deleted_future())
            try:
                await asyncio.wait_for(asyncio.gather(*waits), REMOVE_TIMEOUT_S)
            except TimeoutError:
                log.warning("libtorrent did not confirm removing %s in time", key)
            deleted = torrent.deleted_future()
            if delete_files and deleted.done() and deleted.result():
                log.warning("files of %s not deleted: %s", key, deleted.result())
            elif delete_files and self._folder_per_torrent:
                # libtorrent deletes the files and the torrent's own top folder, not the
                # per-torrent folder the engine made around them (ADR 0008).
                folder = self._save_root / key
                await asyncio.to_thread(_remove_empty_dir, folder)
        finally:
            self._removing.pop(key, None)
            self._seed_stopped.discard(key)
            self._failures.pop(key, None)
            self._failure_told.pop(key, None)
            torrent.fail(TorrentError("the torrent was removed"))
            self._resume_path(key).unlink(missing_ok=True)

    # ------------------------------------------------ limits, bookkeeping, seeding

    def apply_limits(self, settings: TorrentSettings) -> None:
        """Apply the rate and connection limits of ``settings`` to the running session.

        Also called by ``start()``; call it again after the user changes a limit. The
        settings object is kept, so later rebinds and new torrents see the same values.
        """
        self._settings = settings
        pack = limits_pack(settings)
        self._require_session().apply_settings(pack)
        log.info("torrent limits: down %s, up %s, %s connections",
                 f"{settings.download_rate_kib} KiB/s" if pack["download_rate_limit"]
                 else "unlimited",
                 f"{settings.upload_rate_kib} KiB/s" if pack["upload_rate_limit"]
                 else "unlimited",
                 settings.connections_limit or "unlimited")

    def add_access_listener(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(info_hash)`` each time ``add`` is asked for a torrent."""
        self._access_listeners.append(callback)

    def is_streaming(self, info_hash: str) -> bool:
        """True while the torrent has an open FileReader (someone is playing it)."""
        torrent = self._torrents.get(info_hash.lower())
        if torrent is None:
            return False
        # Torrent has no public view of its readers yet; its open readers set is the
        # truth (each reader removes itself on close).
        readers = getattr(torrent, "_readers", ())
        return any(not getattr(r, "closed", False) for r in readers)

    async def stats(self) -> list[TorrentStats]:
        """Counters of every torrent with metadata; status calls run off the loop."""
        handles = [(key, t.handle) for key, t in self._torrents.items()]
        if not handles:
            return []

        def collect() -> list[TorrentStats]:
            out: list[TorrentStats] = []
            for key, handle in handles:
                try:
                    if not handle.is_valid():
                        continue
                    st = handle.status()
                except RuntimeError:
                    continue  # removed meanwhile
                if st.has_metadata:
                    out.append(_stats_of(key, st))
            return out

        return await asyncio.to_thread(collect)

    def stop_seeding(self, info_hash: str) -> None:
        """Pause a finished torrent (seeding policy); ``add`` of it resumes it."""
        key = info_hash.lower()
        torrent = self._torrents.get(key)
        if torrent is None or not torrent.handle.is_valid():
            return
        # auto_managed off, or libtorrent's queue could resume it by itself.
        torrent.handle.unset_flags(lt.torrent_flags.auto_managed)
        torrent.handle.pause()
        self._seed_stopped.add(key)
        # Its counters (upload total) changed; keep them with the resume data.
        torrent.request_resume_data().add_done_callback(
            lambda fut, k=key: self._resume_saved(k, fut))
        log.info("stopped seeding %s", key)

    def seeding_stopped(self, info_hash: str) -> bool:
        return info_hash.lower() in self._seed_stopped

    async def save_resume_data(self, only_changed: bool = False) -> int:
        """Write resume data (only torrents libtorrent says changed, if asked); count."""
        return await self._save_all_resume_data(only_changed=only_changed)

    # ------------------------------------------- network binding (the VPN gate's port)

    # The listen port kept across rebinds (0 until first learnt): a VPN's forwarded port
    # and peers that already know us stay valid when the session moves between devices.
    _bind_port: int = 0

    @property
    def paused(self) -> bool:
        """True while the whole session is paused by ``pause_all``."""
        return bool(self._require_session().is_paused())

    def pause_all(self) -> None:
        """Pause the session: every torrent stops, peers are disconnected, none accepted.

        Session-level on purpose: each torrent's own paused flag is untouched, so
        ``resume_all`` brings back exactly what was running before.
        """
        self._require_session().pause()
        log.info("torrent session paused")

    def resume_all(self) -> None:
        self._require_session().resume()
        log.info("torrent session resumed")

    def bind_to_interface(self, name: str | None) -> None:
        """Listen and dial only through network device ``name``; None restores the defaults.

        Bound to a device that is down or absent, the session can neither accept nor
        make connections (its sockets fail), which is what a VPN kill switch relies on.
        """
        session = self._require_session()
        port = self._learn_bind_port(session)
        if name is None:
            defaults = (loopback_settings(port) if self._isolated else internet_settings(
                replace(self._settings, listen_port=self._settings.listen_port or port)))
            listen = str(defaults["listen_interfaces"])
            outgoing = str(defaults.get("outgoing_interfaces", ""))
        else:
            # libtorrent reads both settings as comma-separated lists of device:port.
            if not name or any(c in name for c in ",: \t\n/"):
                raise TorrentError(f"not a network interface name: {name!r}")
            listen, outgoing = f"{name}:{port}", name
        session.apply_settings({"listen_interfaces": listen, "outgoing_interfaces": outgoing})
        log.info("torrent session bound to %s (listen %s)", name or "the default interfaces",
                 listen)

    def _learn_bind_port(self, session: lt.session) -> int:
        if self._settings.listen_port and not self._isolated:
            return int(self._settings.listen_port)
        current = int(session.listen_port())
        # listen_port() is 0 while bound to a down device; keep the last real one then.
        if current:
            self._bind_port = current
        return self._bind_port

    # ------------------------------------------------------------------ internals

    def _require_session(self) -> lt.session:
        if self._session is None:
            raise TorrentError("the torrent engine is not running")
        return self._session

    def _params_for(self, spec: TorrentSpec) -> tuple[str, lt.add_torrent_params]:
        if not isinstance(spec, TorrentSpec):
            raise TorrentError("expected a TorrentSpec")
        if (spec.torrent_bytes is None) == (spec.magnet is None):
            raise TorrentError("give exactly one of torrent_bytes or magnet")
        if spec.torrent_bytes is not None:
            ti = load_torrent_info(spec.torrent_bytes)
            key = key_of(ti.info_hashes())
            params = self._resume_params(key) or lt.add_torrent_params()
            params.ti = ti
            with warnings.catch_warnings():
                # torrent_info.trackers() is flagged deprecated in 2.1 but has no
                # replacement in the Python bindings yet.
                warnings.simplefilter("ignore", DeprecationWarning)
                trackers = [entry.url for entry in ti.trackers()]
        else:
            link = parse_magnet(spec.magnet or "")
            key = link.info_hash
            params = self._resume_params(key) or magnet_params(link.uri)
            trackers = list(link.trackers)
        params.save_path = self._save_path_for(key, params.save_path)
        flags = params.flags
        # Added torrents start paused and queued by default; a stream must start now.
        flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
        if self._isolated:
            # Nothing may leave loopback: only trackers and web seeds on 127.0.0.0/8.
            params.trackers = loopback_only(list(dict.fromkeys([*trackers, *params.trackers])))
            params.url_seeds = loopback_only(list(params.url_seeds))
            flags |= (lt.torrent_flags.override_trackers | lt.torrent_flags.override_web_seeds
                      | lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd)
        params.flags = flags
        return key, params

    def _save_path_for(self, key: str, resumed: str) -> str:
        """Where a torrent's files go: its own folder, except a torrent resumed from the
        flat layout of earlier versions, which stays where its data already is."""
        root = str(self._save_root)
        if not self._folder_per_torrent or resumed == root:
            return root
        return str(self._save_root / key)

    def _resume_path(self, key: str) -> Path:
        return self._resume_dir / f"{key}.fastresume"

    def _resume_params(self, key: str) -> lt.add_torrent_params | None:
        path = self._resume_path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read resume data %s: %s", path, exc)
            return None
        try:
            params = lt.read_resume_data(data)
        except RuntimeError as exc:
            log.warning("ignoring damaged resume data %s: %s", path, exc)
            return None
        if key_of(params.info_hashes) != key:
            log.warning("resume data %s belongs to another torrent; ignoring it", path)
            return None
        return params

    def _connect_peers(self, torrent: Torrent, peers: Sequence[tuple[str, int]]) -> None:
        for host, port in peers:
            loopback = is_loopback_host(host)
            if self._isolated and not loopback:
                log.warning("isolated engine: not dialling non-loopback peer %s:%d", host, port)
                continue
            try:
                if loopback:
                    torrent.handle.connect_peer((host, int(port)), 0, LOOPBACK_PEX_FLAGS)
                else:
                    torrent.handle.connect_peer((host, int(port)))
            except (RuntimeError, ValueError, TypeError) as exc:
                log.warning("cannot dial peer %s:%s for %s: %s", host, port,
                            torrent.info_hash, exc)

    async def _save_all_resume_data(self, only_changed: bool = False) -> int:
        torrents = [t for t in self._torrents.values() if t.handle.is_valid()
                    and (not only_changed or _needs_save(t.handle))]
        if not torrents:
            return 0
        futures = [t.request_resume_data() for t in torrents]
        done, _ = await asyncio.wait(futures, timeout=RESUME_TIMEOUT_S)
        datas: list[tuple[str, bytes]] = []
        for torrent, fut in zip(torrents, futures, strict=True):
            if fut not in done:
                log.warning("no resume data for %s within %.1fs", torrent.info_hash,
                            RESUME_TIMEOUT_S)
                continue
            data = fut.result()
            if data:
                datas.append((torrent.info_hash, data))
        # fsync can take tens of ms on a busy disk: keep it off the loop.
        await asyncio.to_thread(self._write_resumes, datas)
        return len(datas)

    def _write_resumes(self, datas: Sequence[tuple[str, bytes]]) -> None:
        for key, data in datas:
            self._write_resume(key, data)

    def _resume_saved(self, key: str, fut: asyncio.Future[bytes | None]) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        data = fut.result()
        if data and key in self._torrents:
            self._write_resume(key, data)

    def _write_resume(self, key: str, data: bytes) -> None:
        path = self._resume_path(key)
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            log.warning("cannot write resume data %s: %s", path, exc)

    def _remove_stale_resume_tmp(self) -> None:
        # Temporary files of a write that a crash interrupted; the real file is intact.
        for stale in self._resume_dir.glob(f".*{RESUME_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                stale.unlink()

    async def _resume_loop(self) -> None:
        """Every resume_save_interval_s, save resume data of torrents that changed."""
        while True:
            interval = max(0.1, float(self._settings.resume_save_interval_s))
            await asyncio.sleep(interval)
            if self._session is None:
                return
            started = time.perf_counter()
            try:
                count = await self._save_all_resume_data(only_changed=True)
            except Exception:
                log.exception("periodic resume data save failed")
                continue
            if count:
                log.debug("resume data of %d torrent(s) saved in %.0f ms", count,
                          (time.perf_counter() - started) * 1000)

    def _notify_access(self, key: str) -> None:
        for callback in self._access_listeners:
            try:
                callback(key)
            except Exception:
                log.exception("access listener failed")

    async def _status_loop(self) -> None:
        while True:
            session = self._session
            if session is not None:
                session.post_torrent_updates()
            await asyncio.sleep(STATUS_INTERVAL_S)

    def _dispatch(self, batch: Sequence[ev.Event]) -> None:
        """Route events to torrents by info hash; one failing handler spoils nothing else."""
        for event in batch:
            try:
                if event.info_hash is None:
                    self._session_event(event)
                    continue
                if isinstance(event, ev.TorrentFailed):
                    failed = self._on_failure(event)
                    if failed is None:
                        continue
                    event = failed
                torrent = self._torrents.get(event.info_hash) or self._removing.get(
                    event.info_hash)
                if torrent is not None:
                    torrent.handle_event(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)

    def _on_failure(self, event: ev.TorrentFailed) -> ev.TorrentFailed | None:
        """Remember why a torrent stopped, in the viewer's words (a full disk says so).

        A full disk fails every block write in flight: hundreds of alerts in a burst.
        The torrent hears the same failure again at most once a second (enough to wake
        readers that started waiting since), and the log once per reason.
        """
        key = event.info_hash or ""
        text = ev.failure_text(event.message)
        now = time.monotonic()
        last_text, last_at = self._failure_told.get(key, ("", -FAILURE_REPEAT_S))
        self._failures[key] = text
        if text == last_text and now - last_at < FAILURE_REPEAT_S:
            return None
        if text != last_text:
            log.error("torrent %s stopped: %s (%s)", key, text, event.message)
        self._failure_told[key] = (text, now)
        return ev.TorrentFailed(event.info_hash, text)

    def _session_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.AlertsDropped):
            log.warning("libtorrent dropped alerts; re-checking every torrent")
            for torrent in self._torrents.values():
                torrent.resync()
        elif isinstance(event, ev.ListenFailed):
            log.error("torrent session cannot listen: %s", event.message)


def _remove_empty_dir(folder: Path) -> None:
    """Remove ``folder`` if it is empty (anything left in it is kept: not ours to judge)."""
    try:
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.debug("kept %s: %s", folder, exc)


def _needs_save(handle: lt.torrent_handle) -> bool:
    try:
        return bool(handle.need_save_resume_data())
    except RuntimeError:
        return False
