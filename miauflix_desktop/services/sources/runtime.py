"""SourcesRuntime: the lifecycle of source discovery — providers' HTTP clients, the VPN
gate, the scheduler running the seed's source jobs — and their Activity rows."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from miauflix_desktop.core.activity import DEGRADED, IDLE, OK, PAUSED, ActivityRow
from miauflix_desktop.services.network.vpn import VpnGate, VpnStatus
from miauflix_desktop.services.scheduler import Scheduler
from miauflix_desktop.services.sources.discovery import SourceDiscovery
from miauflix_desktop.services.sources.providers.base import HealthSnapshot, ProviderState

log = logging.getLogger(__name__)

VPN_PROBLEM = "vpn"


class ManagedProvider(Protocol):
    key: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def snapshot(self) -> HealthSnapshot: ...


class Banner(Protocol):
    def problem(self, source: str, message: str) -> None: ...

    def resolved(self, source: str) -> None: ...


def provider_row(snap: HealthSnapshot) -> ActivityRow:
    state = {ProviderState.HEALTHY: OK, ProviderState.DEGRADED: DEGRADED}.get(snap.state, IDLE)
    parts = [f"{snap.requests_ok} requests ok, {snap.requests_failed} failed"]
    if snap.last_ok_at is not None:
        parts.append(f"last answer {snap.last_ok_at.astimezone().strftime('%H:%M:%S')}")
    if snap.next_retry_at is not None and snap.state is ProviderState.DEGRADED:
        parts.append(f"asked again at {snap.next_retry_at.astimezone().strftime('%H:%M:%S')}")
    return ActivityRow("Providers", snap.name, state, " · ".join(parts),
                       snap.reason if snap.state is ProviderState.DEGRADED else "")


def vpn_row(status: VpnStatus) -> ActivityRow:
    if not status.required:
        return ActivityRow("Network", "VPN", OK, "not required (Settings: require VPN)")
    state = OK if status.vpn_up else PAUSED
    return ActivityRow("Network", "VPN", state, status.reason)


class SourcesRuntime:
    """Starts providers, then the gate, then the jobs; stops in reverse."""

    def __init__(self, discovery: SourceDiscovery | None,
                 providers: Sequence[ManagedProvider], gate: VpnGate,
                 scheduler: Scheduler | None, banner: Banner | None = None) -> None:
        self._discovery = discovery
        self._providers = list(providers)
        self._gate = gate
        self._scheduler = scheduler
        self._banner = banner
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def scheduler(self) -> Scheduler | None:
        return self._scheduler

    @property
    def gate(self) -> VpnGate:
        return self._gate

    @property
    def discovery(self) -> SourceDiscovery | None:
        return self._discovery

    async def start(self) -> None:
        for provider in self._providers:
            await provider.start()
        self._unsubscribe = self._gate.subscribe(self._on_gate)
        await self._gate.start()
        self._on_gate(self._gate.status)
        if self._scheduler is not None:
            await self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler is not None:
            await self._scheduler.stop()
        await self._gate.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for provider in reversed(self._providers):
            try:
                await provider.stop()
            except Exception:
                log.exception("provider %s did not stop cleanly", provider.key)

    async def search_now(self, movie_id: int, progress: Callable[[str], None]) -> int:
        """The Details screen's on-demand search (0 when discovery is off: demo/offline)."""
        if self._discovery is None:
            return 0
        return await self._discovery.search_title(movie_id, progress)

    def activity_rows(self) -> list[ActivityRow]:
        rows = [provider_row(p.snapshot()) for p in self._providers]
        rows.append(vpn_row(self._gate.status))
        return rows

    def _on_gate(self, status: VpnStatus) -> None:
        """The indicator: a banner while a required VPN is down (torrents are paused)."""
        if self._banner is None:
            return
        if status.is_open:
            self._banner.resolved(VPN_PROBLEM)
        else:
            self._banner.problem(VPN_PROBLEM, status.reason)
