"""DesktopIntegration: the lifecycle service that connects the session bus and runs MPRIS
and the screensaver inhibitor for the player.

Without a session bus (a bare X server, a container, a CI runner) or with a broken one,
the app plays exactly the same; one log line says what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable

from miauflix_desktop.services.desktop.bus import Bus, DBusMethodError, DBusUnavailable
from miauflix_desktop.services.desktop.controls import MediaControls
from miauflix_desktop.services.desktop.mpris import MprisServer
from miauflix_desktop.services.desktop.screensaver import ScreenSaverInhibitor

log = logging.getLogger(__name__)


class DesktopIntegration:
    """start(): connect, claim the MPRIS name, follow the player; stop(): undo all of it."""

    def __init__(self, controls: MediaControls, *, address: str | None = None,
                 mpris: bool = True, inhibit_screensaver: bool = True,
                 raise_window: Callable[[], None] | None = None) -> None:
        self._controls = controls
        self._address = address
        self._want_mpris = mpris
        self._want_inhibit = inhibit_screensaver
        self._raise = raise_window
        self._bus: Bus | None = None
        self._mpris: MprisServer | None = None
        self._inhibitor: ScreenSaverInhibitor | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._connecting: asyncio.Task[None] | None = None

    @property
    def mpris(self) -> MprisServer | None:
        return self._mpris

    @property
    def inhibitor(self) -> ScreenSaverInhibitor | None:
        return self._inhibitor

    async def start(self) -> None:
        """Connect in the background: a slow or wedged session bus must not hold up the
        app's startup (connecting and claiming the name can take seconds to time out)."""
        if not sys.platform.startswith("linux") or not (self._want_mpris or self._want_inhibit):
            return
        self._connecting = asyncio.get_running_loop().create_task(self._connect(),
                                                                  name="desktop.connect")

    async def wait_ready(self) -> None:
        """Wait until start()'s connection attempt has finished (either way)."""
        if self._connecting is not None:
            await asyncio.wait([self._connecting])

    async def _connect(self) -> None:
        try:
            await self._setup()
        except Exception:  # desktop extras must never take the player down
            log.exception("desktop integration failed; continuing without it")

    async def _setup(self) -> None:
        try:
            self._bus = await Bus.connect(self._address)
        except DBusUnavailable as exc:
            log.info("desktop integration off (no MPRIS, no screensaver inhibition): %s", exc)
            return
        if self._want_mpris:
            server = MprisServer(self._bus, self._controls, raise_window=self._raise)
            try:
                await server.start()
                self._mpris = server
            except (DBusMethodError, DBusUnavailable, TimeoutError) as exc:
                log.info("MPRIS unavailable: %s", exc)
        if self._want_inhibit:
            inhibitor = ScreenSaverInhibitor(self._bus)
            self._inhibitor = inhibitor
            self._unsubscribe = self._controls.subscribe(inhibitor.update)
            inhibitor.update(self._controls.now_playing())

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._inhibitor is not None:
            await self._inhibitor.aclose()
        if self._mpris is not None:
            await self._mpris.aclose()
        if self._bus is not None:
            await self._bus.close()
            self._bus = None
