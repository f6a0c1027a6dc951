"""StatusService: the one non-blocking banner line the UI shows (TMDB down, offline...).

Problems are reported per source ("tmdb", "sync:movies"...) so that one source
recovering clears only its own message; the banner shows the most recent open problem.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class StatusService:
    """Implements the UI's StatusPort; services report problems and recoveries here."""

    def __init__(self) -> None:
        self._problems: dict[str, str] = {}
        self._subscribers: list[Callable[[str], None]] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._subscribers.clear()

    def banner(self) -> str:
        # dicts keep insertion order; the newest open problem is the last one
        return next(reversed(self._problems.values()), "")

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def problem(self, source: str, message: str) -> None:
        """Open (or refresh) the problem of one source."""
        before = self.banner()
        self._problems.pop(source, None)
        self._problems[source] = message
        self._changed(before)

    def resolved(self, source: str) -> None:
        """The source works again: drop its message (no-op if it had none)."""
        if source in self._problems:
            before = self.banner()
            del self._problems[source]
            self._changed(before)

    def _changed(self, before: str) -> None:
        now = self.banner()
        if now == before:
            return
        for callback in list(self._subscribers):
            try:
                callback(now)
            except Exception:  # a broken subscriber must not stop the others
                log.exception("status subscriber failed")
