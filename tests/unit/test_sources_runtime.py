"""SourcesRuntime: the VPN indicator (banner) and the Activity rows for providers/VPN."""

from __future__ import annotations

import asyncio

from miauflix_desktop.services.network.vpn import VpnConfig, VpnGate, VpnProbe
from miauflix_desktop.services.sources.providers import YtsOptions, YtsProvider
from miauflix_desktop.services.sources.runtime import SourcesRuntime
from miauflix_desktop.services.status import StatusService


class Switch:
    def __init__(self) -> None:
        self.up = False

    def detect(self, interface: str | None = None) -> VpnProbe:
        return VpnProbe(self.up, "wg0" if self.up else None,
                        "VPN wg0 is up" if self.up else "VPN wg0 is down")


async def test_banner_while_required_vpn_is_down_and_rows_for_activity() -> None:
    detector = Switch()
    gate = VpnGate(VpnConfig(require_vpn=True, interface="wg0", poll_interval_s=0.02),
                   detector=detector)
    status = StatusService()
    provider = YtsProvider(YtsOptions(mirrors=("http://127.0.0.1:9",)))
    runtime = SourcesRuntime(None, [provider], gate, None, status)
    await runtime.start()
    try:
        assert status.banner() == "VPN wg0 is down — torrents paused"
        rows = {r.name: r for r in runtime.activity_rows()}
        assert rows["VPN"].state == "paused" and rows["VPN"].group == "Network"
        assert rows["YTS"].group == "Providers" and rows["YTS"].state == "idle"
        detector.up = True
        for _ in range(100):
            if status.banner() == "":
                break
            await asyncio.sleep(0.02)
        assert status.banner() == ""
        assert {r.name: r for r in runtime.activity_rows()}["VPN"].state == "ok"
        # Discovery off (demo/offline): an on-demand search finds nothing, asks nobody.
        assert await runtime.search_now(1, lambda _t: None) == 0
    finally:
        await runtime.stop()
