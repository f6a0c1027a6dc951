"""Stall detection, re-exported: the pure detector lives in core/stall.py (view models use
it too, and they may not import services); this name stays for existing imports."""

from __future__ import annotations

from miauflix_desktop.core.stall import (
    GRACE_SECONDS,
    MAX_SAMPLE_GAP_SECONDS,
    NO_PEER_SECONDS,
    RATE_MARGIN,
    REASON_NO_PEERS,
    REASON_SLOW,
    REASON_TEXT,
    SLOW_SECONDS,
    StallDetector,
    StallSample,
    StallThresholds,
    SwitchDecision,
)

__all__ = ["GRACE_SECONDS", "MAX_SAMPLE_GAP_SECONDS", "NO_PEER_SECONDS", "RATE_MARGIN",
           "REASON_NO_PEERS", "REASON_SLOW", "REASON_TEXT", "SLOW_SECONDS", "StallDetector",
           "StallSample", "StallThresholds", "SwitchDecision"]
