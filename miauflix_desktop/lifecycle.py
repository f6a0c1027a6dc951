"""Service protocol and the ordered start/stop of services (stop in reverse, with timeouts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class Service(Protocol):
    """Anything with an async start and stop; built by the container, run by Lifecycle."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Lifecycle:
    """Starts services in order and stops the started ones in reverse order.

    A stop that hangs must not keep the app from exiting (a player holding an HTTP
    stream open is the usual culprit), so each stop gets its own timeout and failures
    are logged, never raised: shutdown always reaches the last service.
    """

    def __init__(self, services: Sequence[tuple[str, Service]], stop_timeout: float = 5.0) -> None:
        self._services = list(services)
        self._started: list[tuple[str, Service]] = []
        self._stop_timeout = stop_timeout

    async def start(self) -> None:
        for name, service in self._services:
            log.debug("starting %s", name)
            try:
                await service.start()
            except BaseException:
                log.exception("service %s failed to start; stopping the others", name)
                await self.stop()
                raise
            self._started.append((name, service))

    async def stop(self) -> None:
        while self._started:
            name, service = self._started.pop()
            log.debug("stopping %s", name)
            try:
                await asyncio.wait_for(service.stop(), self._stop_timeout)
            except TimeoutError:
                log.warning("service %s did not stop within %.1fs", name, self._stop_timeout)
            except Exception:
                log.exception("service %s failed to stop cleanly", name)

    @property
    def running(self) -> bool:
        return bool(self._started)
