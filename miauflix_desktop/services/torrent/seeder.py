"""LocalSeeder: a second libtorrent session on 127.0.0.1 that plays the swarm for demo media.

It only seeds data that is already on disk and verified: ``seed()`` lets libtorrent
check the files and refuses (TorrentError) when they do not match the torrent, so the
caller can regenerate the media and its torrent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import libtorrent as lt

from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent import events as ev
from miauflix_desktop.services.torrent.metainfo import key_of, load_torrent_info
from miauflix_desktop.services.torrent.pump import AlertPump
from miauflix_desktop.services.torrent.tuning import loopback_settings

log = logging.getLogger(__name__)

# Checking hashes every byte of the content; generous for multi-GB demo media on a
# slow disk, and still a bound so a wedged disk cannot hang startup forever.
CHECK_TIMEOUT_S = 300.0

PUMP_JOIN_TIMEOUT_S = 2.0


class LocalSeeder:
    """Seeds local files to loopback peers; a lifecycle Service."""

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = Path(work_dir)
        self._session: lt.session | None = None
        self._pump: AlertPump | None = None
        self._handles: dict[str, lt.torrent_handle] = {}
        self._checked: dict[str, asyncio.Future[None]] = {}

    async def start(self) -> None:
        if self._session is not None:
            return
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._session = lt.session(loopback_settings())
        self._pump = AlertPump(self._session, asyncio.get_running_loop(), self._dispatch,
                               name="seeder-alert-pump")
        self._pump.start()
        log.info("local seeder listening on 127.0.0.1:%d", self._session.listen_port())

    async def stop(self) -> None:
        session = self._session
        if session is None:
            return
        session.pause()
        assert self._pump is not None
        self._pump.request_stop()
        await asyncio.to_thread(self._pump.join, PUMP_JOIN_TIMEOUT_S)
        self._pump = None
        for fut in self._checked.values():
            if not fut.done():
                fut.set_exception(TorrentError("the local seeder has stopped"))
        self._checked.clear()
        self._handles.clear()
        holder = [session]
        self._session = None
        del session
        await asyncio.to_thread(holder.clear)

    @property
    def endpoint(self) -> tuple[str, int]:
        if self._session is None:
            raise TorrentError("the local seeder is not running")
        return ("127.0.0.1", int(self._session.listen_port()))

    def set_upload_limit(self, bytes_per_second: int) -> None:
        """Throttle uploads to loopback peers (0 = unlimited); tests use it to slow a swarm."""
        if self._session is None:
            raise TorrentError("the local seeder is not running")
        rate = max(0, int(bytes_per_second))
        pack: dict[str, int] = {"upload_rate_limit": rate}
        if rate:
            # Blocks already in a send buffer go out before a seek's pieces; at a low rate
            # the 8 MiB streaming buffer would be seconds of queue, so keep ~1/4 s of it.
            pack["send_buffer_watermark"] = max(64 * 1024, rate // 4)
            pack["send_buffer_low_watermark"] = max(16 * 1024, rate // 16)
        else:
            defaults = loopback_settings()
            pack["send_buffer_watermark"] = defaults["send_buffer_watermark"]
            pack["send_buffer_low_watermark"] = defaults["send_buffer_low_watermark"]
        self._session.apply_settings(pack)

    async def seed(self, torrent_bytes: bytes, content_dir: Path) -> None:
        """Seed the torrent from ``content_dir`` (the folder holding the torrent's name).

        Returns once the files are checked and seeding; TorrentError if they do not match.
        """
        if self._session is None:
            raise TorrentError("the local seeder is not running")
        ti = load_torrent_info(torrent_bytes)
        key = key_of(ti.info_hashes())
        if key in self._handles:
            return
        params = lt.add_torrent_params()
        params.ti = ti
        params.save_path = str(content_dir)
        params.flags &= ~(lt.torrent_flags.paused | lt.torrent_flags.auto_managed)
        # Never write into the demo media: a seeder that is missing data must fail, not
        # start downloading it from the very engine it serves.
        params.flags |= lt.torrent_flags.upload_mode
        checked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._checked[key] = checked
        try:
            handle = self._session.add_torrent(params)
        except RuntimeError as exc:
            self._checked.pop(key, None)
            raise TorrentError(f"cannot seed {ti.name()}: {exc}") from exc
        try:
            await asyncio.wait_for(asyncio.shield(checked), CHECK_TIMEOUT_S)
            status = handle.status()
            if not status.is_seeding:
                raise TorrentError(
                    f"the files in {content_dir} do not match torrent {ti.name()!r} "
                    f"({status.progress:.0%} verified)"
                )
        except (TorrentError, TimeoutError) as exc:
            self._session.remove_torrent(handle)
            log.warning("not seeding %s: %s", ti.name(), exc)
            if isinstance(exc, TimeoutError):
                raise TorrentError(f"checking {ti.name()!r} took too long") from exc
            raise
        finally:
            self._checked.pop(key, None)
        self._handles[key] = handle
        log.info("seeding %s (%s) from %s", ti.name(), key, content_dir)

    async def unseed(self, info_hash: str) -> None:
        handle = self._handles.pop(info_hash.lower(), None)
        if handle is not None and self._session is not None:
            with contextlib.suppress(RuntimeError):
                self._session.remove_torrent(handle)

    def _dispatch(self, batch: Sequence[ev.Event]) -> None:
        for event in batch:
            fut = self._checked.get(event.info_hash or "")
            if fut is None or fut.done():
                continue
            if isinstance(event, ev.TorrentChecked):
                fut.set_result(None)
            elif isinstance(event, ev.TorrentFailed):
                fut.set_exception(TorrentError(f"cannot seed: {event.message}"))
