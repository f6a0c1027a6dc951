"""Stall detection: decides, from samples of a stream's health, when to switch source.

In core because it is pure (no I/O, no clock of its own) and both layers use it: the
player's view model feeds it, settings build its thresholds; services/streaming/stall.py
re-exports it for older imports.

Pure and clock-free: the player feeds one `StallSample` per status poll (its own loop
time, the torrent's download rate and peers, whether the player is waiting on its
cache, the file's average bitrate) and gets back `None` or a `SwitchDecision`. The
thresholds are named constants here; `StallThresholds` lets settings override them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Starving means the player waits on its cache and the download runs below this share of
# the bitrate: a little under 1.0 because the bitrate is the file's *average* (size /
# duration), and a slightly slower download still plays once a few seconds are buffered.
RATE_MARGIN = 0.9

# How long the player must starve before we give up on the source. Long enough that a
# peer reconnect or a piece re-request (a few seconds on the internet) does not trigger
# it, short enough that the viewer is not staring at a spinner for half a minute.
SLOW_SECONDS = 8.0

# How long no peer may answer while the player waits. libtorrent dials new peers on its
# own schedule and a tracker answer can take 10+ s on a cold swarm, so this is longer
# than SLOW_SECONDS.
NO_PEER_SECONDS = 15.0

# After a (re)start or a seek the first pieces are being fetched: waiting is expected, so
# no judgement before this much time has passed.
GRACE_SECONDS = 3.0

# Samples further apart than this (the app was suspended, the loop was blocked) do not
# count as continuous waiting: the clock restarts instead of jumping past a threshold.
MAX_SAMPLE_GAP_SECONDS = 5.0

REASON_SLOW = "slow"
REASON_NO_PEERS = "no-peers"

# What the notice says after "the previous source ...".
REASON_TEXT = {REASON_SLOW: "stalled", REASON_NO_PEERS: "had no peers"}


@dataclass(frozen=True)
class StallThresholds:
    """The detector's tuning (defaults: the module constants)."""

    rate_margin: float = RATE_MARGIN
    slow_seconds: float = SLOW_SECONDS
    no_peer_seconds: float = NO_PEER_SECONDS
    grace_seconds: float = GRACE_SECONDS


@dataclass(frozen=True)
class StallSample:
    """One look at the stream. ``bitrate`` is bytes/s of playback (0: unknown yet)."""

    time: float  # seconds, any monotonic clock
    download_rate: float  # bytes/s
    peers: int
    waiting: bool  # the player is stalled on its cache (or still loading)
    bitrate: float
    complete: bool = False  # the file is fully downloaded: nothing can stall


@dataclass(frozen=True)
class SwitchDecision:
    """Give up on the current source: why, and for how long it starved."""

    reason: str  # REASON_SLOW or REASON_NO_PEERS
    waited: float

    @property
    def text(self) -> str:
        """"stalled" / "had no peers", for "the previous source ..."."""
        return REASON_TEXT.get(self.reason, "stalled")


class StallDetector:
    """Tracks one stream from `reset()` on; `feed()` returns a decision at most once
    per starving spell (reset after a switch, a seek or a new open)."""

    def __init__(self, thresholds: StallThresholds | None = None) -> None:
        self._t = thresholds or StallThresholds()
        self._started: float | None = None
        self._slow_since: float | None = None
        self._no_peer_since: float | None = None
        self._last: float | None = None
        self._decided = False

    @property
    def thresholds(self) -> StallThresholds:
        return self._t

    def reset(self) -> None:
        """Start over: a new source, a seek, or the player left."""
        self._started = None
        self._slow_since = None
        self._no_peer_since = None
        self._last = None
        self._decided = False

    def feed(self, sample: StallSample) -> SwitchDecision | None:
        now = sample.time
        if self._started is None:
            self._started = now
        if self._last is not None and now - self._last > MAX_SAMPLE_GAP_SECONDS:
            self._slow_since = self._no_peer_since = None
        self._last = now
        if sample.complete or not sample.waiting:
            # Playing (or everything is local): whatever the rate, the viewer is fine.
            self._slow_since = self._no_peer_since = None
            self._decided = False
            return None
        if self._decided or now - self._started < self._t.grace_seconds:
            return None
        if sample.peers <= 0:
            if self._no_peer_since is None:
                self._no_peer_since = now
        else:
            self._no_peer_since = None
        # Connected peers that send nothing are as bad as a slow swarm, bitrate or not.
        starving = sample.download_rate <= 0 or (
            sample.bitrate > 0 and sample.download_rate < sample.bitrate * self._t.rate_margin)
        if starving or sample.peers <= 0:
            if self._slow_since is None:
                self._slow_since = now
        else:
            self._slow_since = None
        if (self._no_peer_since is not None
                and now - self._no_peer_since >= self._t.no_peer_seconds):
            self._decided = True
            return SwitchDecision(REASON_NO_PEERS, now - self._no_peer_since)
        # Zero peers alone waits for the longer no-peer threshold: peers may still come.
        if (starving and sample.peers > 0 and self._slow_since is not None
                and now - self._slow_since >= self._t.slow_seconds):
            self._decided = True
            return SwitchDecision(REASON_SLOW, now - self._slow_since)
        return None


__all__ = ["GRACE_SECONDS", "MAX_SAMPLE_GAP_SECONDS", "NO_PEER_SECONDS", "RATE_MARGIN",
           "REASON_NO_PEERS", "REASON_SLOW", "REASON_TEXT", "SLOW_SECONDS", "StallDetector",
           "StallSample", "StallThresholds", "SwitchDecision"]
