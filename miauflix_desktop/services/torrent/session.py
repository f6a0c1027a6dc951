"""TorrentEngine: the app's one libtorrent session, its alert pump, and resume data.

Adding a torrent returns a ``Torrent`` (milestones, readers). The engine owns the only
alert pump of its session and routes each event to its torrent by info hash. Status
snapshots come from ``post_torrent_updates`` on a slow timer that is not part of any
read path. ``stop()`` saves resume data for every torrent into ``resume_dir``; adding
the same torrent later picks it up, so finished pieces are not downloaded again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
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

# For peers on loopback: no uTP (12 MB/s vs 400+ MB/s over TCP) and no encryption
# (nothing to hide from ourselves); libtorrent's default is encryption | uTP | holepunch.
LOOPBACK_PEX_FLAGS = 0


@dataclass(frozen=True)
class TorrentSpec:
    """What to add: .torrent bytes or a magnet link, plus peers to dial directly."""

    torrent_bytes: bytes | None = None
    magnet: str | None = None
    peers: tuple[tuple[str, int], ...] = ()


def loopback_only(urls: Sequence[str]) -> list[str]:
    return [url for url in urls if is_loopback_host(tracker_host(url))]


class TorrentEngine:
    """The streaming engine: a lifecycle Service around one libtorrent session."""

    def __init__(self, settings: TorrentSettings, save_root: Path, resume_dir: Path, *,
                 isolated: bool = False) -> None:
        self._settings = settings
        self._save_root = Path(save_root)
        self._resume_dir = Path(resume_dir)
        self._isolated = isolated
        self._session: lt.session | None = None
        self._pump: AlertPump | None = None
        self._status_task: asyncio.Task[None] | None = None
        self._torrents: dict[str, Torrent] = {}
        self._removing: dict[str, Torrent] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._session is not None:
            return
        self._save_root.mkdir(parents=True, exist_ok=True)
        self._resume_dir.mkdir(parents=True, exist_ok=True)
        pack = loopback_settings() if self._isolated else internet_settings(self._settings)
        try:
            self._session = lt.session(pack)
        except (RuntimeError, KeyError, TypeError) as exc:
            raise TorrentError(f"cannot start the torrent session: {exc}") from exc
        self._pump = AlertPump(self._session, asyncio.get_running_loop(), self._dispatch,
                               name="torrent-alert-pump")
        self._pump.start()
        self._status_task = asyncio.create_task(self._status_loop(), name="torrent-status")
        log.info("torrent engine listening on port %d%s", self.listen_port,
                 " (isolated, loopback only)" if self._isolated else "")

    async def stop(self) -> None:
        """Save resume data for all torrents, then end the session; bounded in time."""
        session = self._session
        if session is None:
            return
        if self._status_task is not None:
            self._status_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._status_task
            self._status_task = None
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

    def get(self, info_hash: str) -> Torrent | None:
        return self._torrents.get(info_hash.lower())

    def torrents(self) -> list[Torrent]:
        return list(self._torrents.values())

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
        self._connect_peers(torrent, spec.peers)
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
        finally:
            self._removing.pop(key, None)
            torrent.fail(TorrentError("the torrent was removed"))
            self._resume_path(key).unlink(missing_ok=True)

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
        params.save_path = str(self._save_root)
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

    async def _save_all_resume_data(self) -> None:
        torrents = [t for t in self._torrents.values() if t.handle.is_valid()]
        if not torrents:
            return
        futures = [t.request_resume_data() for t in torrents]
        done, _ = await asyncio.wait(futures, timeout=RESUME_TIMEOUT_S)
        for torrent, fut in zip(torrents, futures, strict=True):
            if fut not in done:
                log.warning("no resume data for %s within %.1fs", torrent.info_hash,
                            RESUME_TIMEOUT_S)
                continue
            data = fut.result()
            if data:
                self._write_resume(torrent.info_hash, data)

    def _write_resume(self, key: str, data: bytes) -> None:
        path = self._resume_path(key)
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write resume data %s: %s", path, exc)

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
                torrent = self._torrents.get(event.info_hash) or self._removing.get(
                    event.info_hash)
                if torrent is not None:
                    torrent.handle_event(event)
            except Exception:
                log.exception("handling %s failed", type(event).__name__)

    def _session_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.AlertsDropped):
            log.warning("libtorrent dropped alerts; re-checking every torrent")
            for torrent in self._torrents.values():
                torrent.resync()
        elif isinstance(event, ev.ListenFailed):
            log.error("torrent session cannot listen: %s", event.message)
