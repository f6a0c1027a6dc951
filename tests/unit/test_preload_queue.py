"""The viewport preload queue: debounce, priorities, at most 3 jobs, preemption,
cancelling, the budget, the VPN and streaming pauses, retries and keep_warm, on a
ManualClock (the real warm-up is tested in tests/integration/test_preload.py)."""

from __future__ import annotations

import asyncio

import pytest

from miauflix_desktop.config.settings import PreloadSettings
from miauflix_desktop.core.preload import WarmResult
from miauflix_desktop.services.clock import ManualClock
from miauflix_desktop.services.preload import METADATA, PIECES, SOURCE, ViewportPreloader
from miauflix_desktop.services.torrent.priorities import MIB

HEADER, FOOTER = 1 * MIB, 2 * MIB  # a full warm-up costs 3 MiB of budget


class RecordingWarmer:
    """Stands in for StreamService.warm: each call waits until the test lets it finish,
    and says what it was asked to do and whether it was cancelled."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []  # (media id, level asked)
        self.cancelled: list[int] = []
        self.released: list[str] = []
        self.fail: set[int] = set()
        self.no_source: set[int] = set()
        self.magnet_only: set[int] = set()  # a source whose .torrent is not stored yet
        self.warm_only: list[str] = []
        self._release: dict[int, asyncio.Event] = {}

    def finish(self, media_id: int) -> None:
        self._release.setdefault(media_id, asyncio.Event()).set()

    async def warm(self, media_id: int, header_bytes: int, footer_bytes: int, *,
                   add_torrent: bool = True) -> WarmResult | None:
        level = PIECES if header_bytes or footer_bytes else METADATA if add_torrent else SOURCE
        self.calls.append((media_id, level))
        gate = self._release.setdefault(media_id, asyncio.Event())
        try:
            await gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(media_id)
            raise
        finally:
            self._release.pop(media_id, None)
        if media_id in self.fail:
            raise RuntimeError("tracker unreachable")
        if media_id in self.no_source:
            return None
        if media_id in self.magnet_only:
            return WarmResult(media_id, media_id * 10)
        info_hash = f"{media_id:040x}" if add_torrent else ""
        if add_torrent and info_hash not in self.warm_only:
            self.warm_only.append(info_hash)
        return WarmResult(media_id, media_id * 10, info_hash, header_bytes + footer_bytes,
                          warm_only=add_torrent, pieces_local=level == PIECES)

    async def release_warm(self, info_hash: str) -> bool:
        self.released.append(info_hash)
        self.warm_only.remove(info_hash)
        return True

    def warm_only_hashes(self) -> list[str]:
        return list(self.warm_only)


class Gate:
    def __init__(self) -> None:
        self.is_open = True


@pytest.fixture
async def rig():
    clock = ManualClock()
    warmer = RecordingWarmer()
    gate = Gate()
    busy = {"now": False}
    settings = PreloadSettings(debounce_ms=400, max_jobs=3, budget_mib_per_minute=48.0,
                               keep_warm=8)
    pre = ViewportPreloader(warmer, settings, gate=gate, busy=[lambda: busy["now"]],
                            clock=clock, header_bytes=HEADER, footer_bytes=FOOTER)
    await pre.start()
    yield pre, warmer, clock, gate, busy, settings
    await pre.stop()


async def test_focus_waits_for_the_debounce_and_fast_scrolling_starts_nothing(rig):
    pre, warmer, clock, *_ = rig
    pre.report(1, [], [])
    await clock.advance(0.3)
    assert warmer.calls == []
    # Scrolling on before the debounce: nothing for the titles passed over.
    for media_id in (2, 3, 4):
        pre.report(media_id, [], [])
        await clock.advance(0.2)
    assert warmer.calls == []
    await clock.advance(0.3)
    assert warmer.calls == [(4, PIECES)]
    assert pre.running() == {4: PIECES}
    warmer.finish(4)
    await clock.advance(0.1)
    assert pre.running() == {} and pre.achieved(4) == PIECES
    result = pre.result(4)
    assert result is not None and result.pieces_local


async def test_priorities_and_at_most_three_jobs(rig):
    pre, warmer, clock, _gate, _busy, settings = rig
    settings.budget_mib_per_minute = 4.0  # one full warm-up; adjacent stay at metadata
    pre.report(1, [2, 3], [4, 5])
    await clock.advance(0.5)
    assert warmer.calls == [(1, PIECES), (2, METADATA), (3, METADATA)]
    assert len(pre.running()) == 3
    warmer.finish(2)
    await clock.advance(0.1)
    # A freed slot goes to the next title in order: the first visible one, source only.
    assert warmer.calls[-1] == (4, SOURCE)
    assert set(pre.running()) == {1, 3, 4}
    for media_id in (1, 3, 4):
        warmer.finish(media_id)
    await clock.advance(0.1)
    assert warmer.calls[-1] == (5, SOURCE)
    warmer.finish(5)
    await clock.advance(0.1)
    assert pre.running() == {}
    assert [pre.achieved(m) for m in (1, 2, 3, 4, 5)] == [PIECES, METADATA, METADATA,
                                                            SOURCE, SOURCE]
    # Nothing is done twice while the viewport stays.
    calls = len(warmer.calls)
    pre.report(1, [2, 3], [4, 5, 6])
    await clock.advance(0.5)
    assert warmer.calls[calls:] == [(6, SOURCE)]


async def test_spare_budget_lets_adjacent_titles_fetch_pieces(rig):
    pre, warmer, clock, *_ = rig  # 48 MiB/min: adjacent get pieces while under half
    pre.report(1, [2], [])
    await clock.advance(0.5)
    assert warmer.calls == [(1, PIECES), (2, PIECES)]


async def test_focused_title_preempts_lower_work(rig):
    pre, warmer, clock, *_ = rig
    pre.report(None, [1, 2], [3])
    await clock.advance(0.5)
    assert set(pre.running()) == {1, 2, 3}
    pre.report(4, [1, 2], [3])
    await clock.advance(0.5)
    assert 3 in warmer.cancelled  # the visible title gave its slot up
    assert pre.running() == {1: PIECES, 2: PIECES, 4: PIECES}


async def test_moving_focus_cancels_the_old_work(rig):
    pre, warmer, clock, *_ = rig
    pre.report(1, [], [])
    await clock.advance(0.5)
    assert pre.running() == {1: PIECES}
    pre.report(2, [], [])
    await clock.advance(0.05)
    assert warmer.cancelled == [1]  # at once, not after the debounce
    assert pre.running() == {}
    await clock.advance(0.5)
    assert pre.running() == {2: PIECES}
    assert pre.achieved(1) == 0


async def test_budget_limits_piece_downloads_per_minute(rig):
    pre, warmer, clock, _gate, _busy, settings = rig
    settings.budget_mib_per_minute = 6.0  # two full warm-ups a minute
    for media_id in (1, 2):
        pre.report(media_id, [], [])
        await clock.advance(0.5)
        warmer.finish(media_id)
        await clock.advance(0.1)
    assert pre.spent_bytes() == 6 * MIB
    pre.report(3, [], [])
    await clock.advance(0.5)
    assert warmer.calls[-1] == (3, METADATA)  # over budget: no pieces
    warmer.finish(3)
    await clock.advance(0.1)
    assert pre.achieved(3) == METADATA
    # A minute after the first warm-up its bytes leave the window: pieces for 3 now.
    await clock.advance(60.0, step=0.5)
    assert warmer.calls[-1] == (3, PIECES)
    warmer.finish(3)
    await clock.advance(0.1)
    assert pre.achieved(3) == PIECES


async def test_zero_budget_never_fetches_pieces(rig):
    pre, warmer, clock, _gate, _busy, settings = rig
    settings.budget_mib_per_minute = 0.0
    pre.report(1, [2], [])
    await clock.advance(0.5)
    assert warmer.calls == [(1, METADATA), (2, METADATA)]


async def test_closed_vpn_gate_pauses_and_cancels(rig):
    pre, warmer, clock, gate, *_ = rig
    gate.is_open = False
    pre.report(1, [], [])
    await clock.advance(3.0)
    assert warmer.calls == [] and pre.paused_reason == "the VPN gate is closed"
    gate.is_open = True
    await clock.advance(1.1)
    assert pre.running() == {1: PIECES}
    gate.is_open = False
    await clock.advance(1.1)
    assert warmer.cancelled == [1] and pre.running() == {}
    gate.is_open = True
    await clock.advance(1.1)
    assert pre.running() == {1: PIECES}  # picked up again once the gate opens


async def test_streaming_pauses_the_preload(rig):
    pre, warmer, clock, _gate, busy, _settings = rig
    pre.report(1, [2], [])
    await clock.advance(0.5)
    busy["now"] = True
    await clock.advance(1.1)
    assert sorted(warmer.cancelled) == [1, 2]
    assert pre.running() == {} and pre.paused_reason == "a stream is playing"
    pre.report(3, [], [])
    await clock.advance(5.0)
    assert all(m != 3 for m, _l in warmer.calls)
    busy["now"] = False
    await clock.advance(1.1)
    assert pre.running() == {3: PIECES}


async def test_failures_and_missing_sources_are_retried_a_minute_later(rig):
    pre, warmer, clock, *_ = rig
    warmer.fail.add(1)
    warmer.no_source.add(2)
    pre.report(1, [2], [])
    await clock.advance(0.5)
    warmer.finish(1)
    warmer.finish(2)
    await clock.advance(30.0, step=0.5)
    assert warmer.calls == [(1, PIECES), (2, PIECES)]  # no tight retry loop
    warmer.fail.clear()
    warmer.no_source.clear()
    await clock.advance(31.0, step=0.5)
    assert sorted(warmer.calls[2:]) == [(1, PIECES), (2, PIECES)]


async def test_old_preloaded_torrents_beyond_keep_warm_are_released(rig):
    pre, warmer, clock, _gate, _busy, settings = rig
    settings.keep_warm = 1
    for media_id in (1, 2):
        pre.report(media_id, [], [])
        await clock.advance(0.5)
        warmer.finish(media_id)
        await clock.advance(0.1)
    assert warmer.released == [f"{1:040x}"]  # the one off screen, not the focused one
    assert pre.achieved(1) == SOURCE  # its pieces are gone: a later focus warms again
    assert pre.achieved(2) == PIECES


async def test_stop_releases_every_preloaded_torrent():
    clock = ManualClock()
    warmer = RecordingWarmer()
    pre = ViewportPreloader(warmer, PreloadSettings(debounce_ms=0), clock=clock)
    await pre.start()
    pre.report(1, [], [])
    await clock.advance(0.1)
    warmer.finish(1)
    await clock.advance(0.1)
    pre.report(2, [], [])
    await clock.advance(0.1)
    assert pre.running() == {2: PIECES}
    await pre.stop()
    assert warmer.cancelled == [2]
    assert warmer.released == [f"{1:040x}"] and warmer.warm_only == []


async def test_a_magnet_without_its_torrent_is_only_resolved_and_tried_again_later(rig):
    pre, warmer, clock, *_ = rig
    warmer.magnet_only.add(1)
    pre.report(1, [], [])
    await clock.advance(0.5)
    warmer.finish(1)
    await clock.advance(0.1)
    assert pre.achieved(1) == SOURCE and warmer.warm_only == []
    await clock.advance(30.0, step=0.5)
    assert warmer.calls == [(1, PIECES)]
    warmer.magnet_only.clear()  # discovery stored the .torrent meanwhile
    await clock.advance(31.0, step=0.5)
    assert warmer.calls == [(1, PIECES), (1, PIECES)]
    warmer.finish(1)
    await clock.advance(0.1)
    assert pre.achieved(1) == PIECES
