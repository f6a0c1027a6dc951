"""What the Settings → Activity screen lists: background jobs, providers, the VPN gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Row states, also the colour the screen gives them.
OK, RUNNING, FAILING, DEGRADED, PAUSED, IDLE = (
    "ok", "running", "failing", "degraded", "paused", "idle")


@dataclass(frozen=True)
class ActivityRow:
    """One line: a job, a provider or the network gate, with its state in words."""

    group: str  # "Jobs", "Providers", "Network"
    name: str  # what the user reads ("Source search", "YTS", "VPN")
    state: str  # one of the states above
    summary: str  # "last run 12:03:04 · next in 0.1 s · 12 items (340 in all)"
    error: str = ""  # the last error, in words, when there is one


class ActivityPort(Protocol):
    """A cheap, synchronous snapshot (in-memory state only); the screen polls it."""

    def snapshot(self) -> list[ActivityRow]: ...
