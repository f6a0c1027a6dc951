"""Keep the screen awake while a film plays: org.freedesktop.ScreenSaver Inhibit/UnInhibit.

Follows the player's state: playing (a file is open, not paused, not at its end) holds
one inhibition cookie; pause, stop, end of file or shutdown release it. Calls are
serialised through one task so a quick pause/play cannot release a cookie twice or leak
one. Without a screensaver service (or a session bus) it logs once and does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from miauflix_desktop.services.desktop.bus import Bus, DBusMethodError, DBusUnavailable
from miauflix_desktop.services.desktop.controls import NowPlaying

log = logging.getLogger(__name__)

SCREENSAVER_NAME = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATH = "/org/freedesktop/ScreenSaver"
SCREENSAVER_INTERFACE = "org.freedesktop.ScreenSaver"
APP_NAME = "Miauflix"
REASON = "Playing a film"


class ScreenSaverInhibitor:
    """Call `update(now_playing)` on every player change; `aclose()` releases the cookie."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._want = False
        self._cookie: int | None = None
        self._wake = asyncio.Event()
        self._disabled = False
        self._task: asyncio.Task[None] | None = None

    @property
    def inhibited(self) -> bool:
        return self._cookie is not None

    def update(self, now: NowPlaying) -> None:
        want = now.status == "Playing"
        if want == self._want:
            return
        self._want = want
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="screensaver")

    async def settled(self) -> None:
        """For tests: wait until the bus agrees with the last update()."""
        while self._task is not None and not self._task.done():
            await asyncio.sleep(0.01)

    async def _run(self) -> None:
        while self._wake.is_set():
            self._wake.clear()
            if self._disabled:
                return
            try:
                if self._want and self._cookie is None:
                    (cookie,) = await self._bus.call(
                        SCREENSAVER_NAME, SCREENSAVER_PATH, SCREENSAVER_INTERFACE,
                        "Inhibit", "ss", (APP_NAME, REASON))
                    self._cookie = int(cookie)
                    log.debug("screensaver inhibited (cookie %s)", cookie)
                elif not self._want and self._cookie is not None:
                    cookie, self._cookie = self._cookie, None
                    await self._bus.call(SCREENSAVER_NAME, SCREENSAVER_PATH,
                                         SCREENSAVER_INTERFACE, "UnInhibit", "u", (cookie,))
                    log.debug("screensaver allowed again (cookie %s)", cookie)
            except (DBusMethodError, DBusUnavailable, TimeoutError) as exc:
                # No screensaver service on this desktop (or the bus left): nothing to keep
                # awake, and asking again on every pause would only fill the log.
                log.info("screensaver inhibition unavailable: %s", exc)
                self._disabled = True
                return

    async def aclose(self) -> None:
        self._want = False
        if self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 2.0)
        if self._cookie is not None and not self._disabled:
            self._wake.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._run(), 2.0)
