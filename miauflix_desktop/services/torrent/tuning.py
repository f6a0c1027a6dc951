"""libtorrent session settings for streaming: internet defaults, and loopback-only isolation."""

from __future__ import annotations

from typing import Any

import libtorrent as lt

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.torrent.pump import ALERT_MASK

# Shared by every session the app makes (see docs: /work/shared/PLATFORM_NOTES.md).
_STREAMING: dict[str, Any] = {
    "alert_mask": int(ALERT_MASK),
    # A dropped piece_finished/read_piece alert would strand a reader; the queue is
    # cheap, so make overflow practically impossible (and AlertsDropped re-syncs anyway).
    "alert_queue_size": 100_000,
    # The picker and time-critical pieces are re-evaluated every tick; 100 ms instead of
    # 500 ms cut time-to-first-piece on loopback from ~500 ms to ~100 ms, and 25 ms
    # brought it to ~88 ms (measured with bench/play.py's setup; a tick is cheap).
    "tick_interval": 25,
    # A seeder and a leecher on one machine, or several peers behind one NAT.
    "allow_multiple_connections_per_ip": True,
    # Larger send buffers let a fast peer keep the pipe full (249 -> 430+ MB/s locally).
    "send_buffer_watermark": 8 * 1024 * 1024,
    "send_buffer_low_watermark": 1024 * 1024,
    "send_buffer_watermark_factor": 150,
    "max_queued_disk_bytes": 64 * 1024 * 1024,
    # Ask for more blocks up front so a seek's first piece is requested in one round trip.
    "request_queue_time": 1,
    "max_out_request_queue": 1500,
    # libtorrent picks its first few pieces at random (to have something to trade) and
    # takes "allowed fast" pieces while choked; both ignore the stream's order and fill
    # a slow peer's queue with pieces nobody is waiting for.
    "initial_picker_threshold": 0,
    "allowed_fast_set_size": 0,
    # Torrents are started by add() explicitly; queueing would pause a stream.
    "active_downloads": -1,
    "active_seeds": -1,
    "active_limit": -1,
    # Shutdown should not wait long on trackers that never answer.
    "stop_tracker_timeout": 1,
    # Streaming reads pieces right back after writing them; hashing in two threads keeps
    # piece_finished from lagging behind the network.
    "hashing_threads": 2,
    "user_agent": "miauflix-desktop/0.1 libtorrent/" + lt.__version__,
}


def loopback_settings(port: int = 0) -> dict[str, Any]:
    """A session that only ever talks over 127.0.0.1 (tests, the demo seeder).

    uTP is off: over loopback its congestion control caps transfers at ~12 MB/s, TCP
    does 20x that. No DHT, LSD, UPnP or NAT-PMP: nothing may leave the machine.
    """
    return {
        **_STREAMING,
        "listen_interfaces": f"127.0.0.1:{port}",
        "outgoing_interfaces": "",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        # Peers on loopback count as "local" and skip rate limits unless told otherwise;
        # keeping limits on lets tests throttle a seeder.
        "ignore_limits_on_local_network": False,
    }


def internet_settings(settings: TorrentSettings) -> dict[str, Any]:
    """A normal session for real swarms: uTP, DHT, LSD and port mapping on."""
    return {
        **_STREAMING,
        "listen_interfaces": f"{settings.listen_interface}:{settings.listen_port}",
        "enable_dht": settings.enable_dht,
        "enable_lsd": True,
        "enable_upnp": True,
        "enable_natpmp": True,
        # uTP yields to other traffic on a home line; loopback peers (the demo seeder)
        # are connected over TCP explicitly in TorrentEngine.add.
        "enable_outgoing_utp": True,
        "enable_incoming_utp": True,
        "dht_bootstrap_nodes": "dht.libtorrent.org:25401,router.bittorrent.com:6881,"
        "router.utorrent.com:6881,dht.transmissionbt.com:6881",
    }
