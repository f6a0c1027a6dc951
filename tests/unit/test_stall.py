"""The stall detector: when a starving stream gives up its source, and when it must not."""

from __future__ import annotations

from miauflix_desktop.services.streaming.stall import (
    GRACE_SECONDS,
    NO_PEER_SECONDS,
    REASON_NO_PEERS,
    REASON_SLOW,
    SLOW_SECONDS,
    StallDetector,
    StallSample,
    StallThresholds,
)

BITRATE = 1_000_000.0  # 1 MB/s of playback


def run(detector: StallDetector, seconds: float, *, start: float = 0.0, step: float = 0.5,
        rate: float = 0.0, peers: int = 3, waiting: bool = True, bitrate: float = BITRATE,
        complete: bool = False):
    """Feed samples every `step` s from `start`; (time, decision) of the first decision."""
    t = start
    while t <= start + seconds + 1e-9:
        decision = detector.feed(StallSample(t, rate, peers, waiting, bitrate, complete))
        if decision is not None:
            return t, decision
        t += step
    return None


def test_slow_download_while_waiting_switches_after_the_threshold() -> None:
    d = StallDetector()
    hit = run(d, 30, rate=BITRATE * 0.5)
    assert hit is not None
    at, decision = hit
    assert decision.reason == REASON_SLOW and decision.text == "stalled"
    # The grace period passes first, then SLOW_SECONDS of starving.
    assert GRACE_SECONDS + SLOW_SECONDS - 0.5 <= at <= GRACE_SECONDS + SLOW_SECONDS + 0.5
    assert decision.waited >= SLOW_SECONDS


def test_fast_enough_download_never_switches() -> None:
    d = StallDetector()
    assert run(d, 60, rate=BITRATE * 1.2) is None


def test_slow_download_while_playing_from_buffer_is_fine() -> None:
    d = StallDetector()
    assert run(d, 60, rate=BITRATE * 0.2, waiting=False) is None


def test_complete_file_never_switches() -> None:
    d = StallDetector()
    assert run(d, 60, rate=0, peers=0, complete=True) is None


def test_short_stalls_that_recover_do_not_add_up() -> None:
    d = StallDetector()
    t = 0.0
    for _ in range(10):  # 6 s starving, then 2 s playing, ten times over
        assert run(d, 6, start=t, rate=BITRATE * 0.5) is None
        t += 6.5
        assert run(d, 2, start=t, rate=BITRATE * 0.5, waiting=False) is None
        t += 2.5


def test_no_peers_switches_after_the_longer_threshold() -> None:
    d = StallDetector()
    hit = run(d, 60, rate=0, peers=0)
    assert hit is not None
    at, decision = hit
    assert decision.reason == REASON_NO_PEERS and decision.text == "had no peers"
    assert at >= GRACE_SECONDS + NO_PEER_SECONDS - 0.5
    assert NO_PEER_SECONDS > SLOW_SECONDS


def test_peers_that_send_nothing_count_as_slow_even_without_a_bitrate() -> None:
    d = StallDetector()
    hit = run(d, 30, rate=0, peers=2, bitrate=0)
    assert hit is not None and hit[1].reason == REASON_SLOW


def test_unknown_bitrate_with_some_download_waits() -> None:
    # Without a duration there is no bitrate: a trickle is not judged "too slow".
    d = StallDetector()
    assert run(d, 30, rate=50_000, peers=2, bitrate=0) is None


def test_one_decision_per_spell_and_reset_starts_over() -> None:
    d = StallDetector()
    assert run(d, 30, rate=0, peers=1) is not None
    assert run(d, 30, start=31, rate=0, peers=1) is None  # already decided
    d.reset()
    assert run(d, 30, start=100, rate=0, peers=1) is not None


def test_a_gap_between_samples_restarts_the_clock() -> None:
    # A suspended laptop must not wake up to an instant switch.
    d = StallDetector()
    assert run(d, SLOW_SECONDS - 2, rate=0, peers=1, start=0) is None
    assert d.feed(StallSample(60.0, 0, 1, True, BITRATE)) is None
    assert run(d, SLOW_SECONDS - 2, rate=0, peers=1, start=60.5) is None


def test_thresholds_are_configurable() -> None:
    d = StallDetector(StallThresholds(slow_seconds=1.0, grace_seconds=0.0))
    hit = run(d, 10, rate=0, peers=1)
    assert hit is not None and hit[0] <= 1.5
