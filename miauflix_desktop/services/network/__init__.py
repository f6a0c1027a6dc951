"""Network state the app depends on: the VPN gate that holds torrent traffic while the VPN is down.

Services doing network work for torrents await ``VpnGate.wait_open()`` first.
"""

from miauflix_desktop.services.network.vpn import (
    Detector,
    TorrentBinding,
    VpnConfig,
    VpnDetector,
    VpnGate,
    VpnProbe,
    VpnStatus,
    is_vpn_name,
)

__all__ = [
    "Detector",
    "TorrentBinding",
    "VpnConfig",
    "VpnDetector",
    "VpnGate",
    "VpnProbe",
    "VpnStatus",
    "is_vpn_name",
]
