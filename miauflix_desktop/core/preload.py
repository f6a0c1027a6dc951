"""The viewport preload port: what Home and Browse tell the warm-start service, and what
a warm-up achieved.

View models only know this Protocol; services/preload.py implements it. ``report`` is
called on the GUI thread on every (throttled) focus change, so it must only record the
ids and return: all work happens later on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class PreloadPort(Protocol):
    """Where the UI reports which titles the viewer is looking at."""

    def report(self, focused: int | None, adjacent: Sequence[int],
               visible: Sequence[int]) -> None:
        """The focused title (None: no card has focus), its neighbours and the rest of the
        titles on screen. Films only (series are not played from a card). Never blocks,
        never raises."""
        ...


@dataclass(frozen=True)
class WarmResult:
    """What one warm-up did: the source chosen, its torrent, the bytes it downloaded.

    ``info_hash`` is empty when only the source was resolved (no torrent added).
    ``warm_only``: the torrent was added for the preload and nobody has played it yet,
    so only the warmed pieces are wanted and it is the first thing to evict.
    """

    media_id: int
    source_id: int
    info_hash: str = ""
    fetched_bytes: int = 0
    warm_only: bool = False
    pieces_local: bool = False  # every header and footer piece asked for is downloaded
