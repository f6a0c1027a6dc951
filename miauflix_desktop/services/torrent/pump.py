"""The alert pump: one thread per session, blocked in wait_for_alert, feeding the loop.

It turns each raw alert into a typed event (``events.py``) on the pump thread, because
libtorrent recycles alert objects on the next ``pop_alerts``, then hands the batch to
the asyncio loop with ``call_soon_threadsafe``: the only place the torrent code crosses
threads. A failing translation or handler is logged and the pump goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence

import libtorrent as lt

from miauflix_desktop.services.torrent import events as ev
from miauflix_desktop.services.torrent.metainfo import key_of

log = logging.getLogger(__name__)

# How long one wait_for_alert blocks; only bounds how late the pump notices a stop
# request that arrived without an alert (stop() also posts one to wake it at once).
WAIT_MS = 250

# Alerts the engine needs: errors, state changes (checked, metadata, status updates),
# storage answers (read_piece, resume data), and piece completion for readers.
ALERT_MASK = (
    lt.alert.category_t.error_notification
    | lt.alert.category_t.status_notification
    | lt.alert.category_t.storage_notification
    | lt.alert.category_t.piece_progress_notification
)

Dispatch = Callable[[Sequence[ev.Event]], None]


def _torrent_key(alert: lt.torrent_alert) -> str | None:
    try:
        handle = alert.handle
        if not handle.is_valid():
            return None
        return key_of(handle.info_hashes())
    except RuntimeError:
        return None


def _status(st: lt.torrent_status) -> ev.TorrentStatus:
    return ev.TorrentStatus(
        state=str(st.state).rsplit(".", 1)[-1],
        progress=float(st.progress),
        download_rate=int(st.download_rate),
        upload_rate=int(st.upload_rate),
        num_peers=int(st.num_peers),
        total_done=int(st.total_done),
        total_wanted=int(st.total_wanted),
        paused=bool(st.flags & lt.torrent_flags.paused),
        error=st.errc.message() if st.errc.value() else "",
    )


def translate(alert: lt.alert) -> list[ev.Event]:
    """Typed events for one alert (empty for alerts the engine does not use)."""
    if isinstance(alert, lt.read_piece_alert):
        key = _torrent_key(alert)
        if alert.error.value():
            return [ev.PieceRead(key, int(alert.piece), None, alert.error.message())]
        return [ev.PieceRead(key, int(alert.piece), bytes(alert.buffer), None)]
    if isinstance(alert, lt.piece_finished_alert):
        return [ev.PieceFinished(_torrent_key(alert), int(alert.piece_index))]
    if isinstance(alert, lt.state_update_alert):
        return [
            ev.StatusUpdated(key_of(st.info_hashes), _status(st)) for st in alert.status
        ]
    if isinstance(alert, lt.torrent_removed_alert):
        return [ev.TorrentRemoved(key_of(alert.info_hashes))]
    if isinstance(alert, lt.torrent_deleted_alert):
        return [ev.FilesDeleted(key_of(alert.info_hashes), None)]
    if isinstance(alert, lt.torrent_delete_failed_alert):
        return [ev.FilesDeleted(key_of(alert.info_hashes), alert.error.message())]
    if isinstance(alert, lt.save_resume_data_alert):
        data = bytes(lt.write_resume_data_buf(alert.params))
        return [ev.ResumeDataSaved(_torrent_key(alert), data)]
    if isinstance(alert, lt.save_resume_data_failed_alert):
        return [ev.ResumeDataFailed(_torrent_key(alert), alert.error.message())]
    if isinstance(alert, lt.torrent_checked_alert):
        return [ev.TorrentChecked(_torrent_key(alert))]
    if isinstance(alert, lt.metadata_received_alert):
        return [ev.MetadataReceived(_torrent_key(alert))]
    if isinstance(alert, lt.metadata_failed_alert):
        return [ev.MetadataFailed(_torrent_key(alert), alert.error.message())]
    if isinstance(alert, lt.torrent_finished_alert):
        return [ev.TorrentFinished(_torrent_key(alert))]
    if isinstance(alert, lt.hash_failed_alert):
        return [ev.HashFailed(_torrent_key(alert), int(alert.piece_index))]
    if isinstance(alert, lt.torrent_error_alert | lt.file_error_alert):
        return [ev.TorrentFailed(_torrent_key(alert), alert.message())]
    if isinstance(alert, lt.alerts_dropped_alert):
        return [ev.AlertsDropped(None)]
    if isinstance(alert, lt.listen_failed_alert):
        return [ev.ListenFailed(None, alert.message())]
    if isinstance(alert, lt.session_stats_alert):
        return [ev.Wakeup(None)]
    return []


class AlertPump:
    """Owns the single thread that pops a session's alerts."""

    def __init__(self, session: lt.session, loop: asyncio.AbstractEventLoop,
                 dispatch: Dispatch, name: str) -> None:
        self._session = session
        self._loop = loop
        self._dispatch = dispatch
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end; posting an alert wakes wait_for_alert immediately."""
        self._stopping.set()
        with contextlib.suppress(RuntimeError):
            self._session.post_session_stats()

    def join(self, timeout: float) -> bool:
        """Wait (blocking) for the thread; True when it has ended."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self._session.wait_for_alert(WAIT_MS):
                    continue
                batch: list[ev.Event] = []
                for alert in self._session.pop_alerts():
                    try:
                        batch.extend(translate(alert))
                    except Exception:
                        log.exception("could not translate alert %s", type(alert).__name__)
                if batch:
                    self._post(batch)
            except Exception:
                log.exception("alert pump iteration failed; continuing")

    def _post(self, batch: list[ev.Event]) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, batch)
        except RuntimeError:
            # The loop is closed (process shutting down): nobody is left to tell.
            self._stopping.set()

    def _deliver(self, batch: list[ev.Event]) -> None:
        try:
            self._dispatch(batch)
        except Exception:
            log.exception("alert dispatch failed")
