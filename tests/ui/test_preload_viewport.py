"""Home shelves and the Browse grid report the films in view to the PreloadPort (warm
start): the focused film, its neighbours, the rest on screen; series are left out, and
key repeat is throttled to about ten reports a second."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt

from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import focused_name, press, wait_until
from tests.ui.test_screens import _open_section

K = Qt.Key


class RecordingPreload:
    """A PreloadPort that keeps what it was told, with when."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, int | None, list[int], list[int]]] = []

    def report(self, focused: int | None, adjacent: Sequence[int],
               visible: Sequence[int]) -> None:
        self.reports.append((time.monotonic(), focused, list(adjacent), list(visible)))

    def last(self) -> tuple[int | None, list[int], list[int]]:
        _t, focused, adjacent, visible = self.reports[-1]
        return focused, adjacent, visible


def _card_id(name: str) -> int:
    return int(name.rsplit("_", 1)[-1])


def test_home_reports_the_focused_film_its_neighbours_and_the_row(ui: UiHarness) -> None:
    preload = RecordingPreload()
    ui.home._preload = preload  # what build_ui passes as preload=container.preload

    async def scenario() -> None:
        await wait_until(lambda: focused_name(ui.window) == "card_featured_1", 10)
        await wait_until(lambda: preload.reports and preload.last()[0] == 1, 3, "a report")
        assert preload.last() == (1, [2], [2, 3])
        await press(ui.window, K.Key_Right)
        await wait_until(lambda: preload.last()[0] == 2, 3, "focus moved")
        _focused, adjacent, visible = preload.last()
        assert sorted(adjacent) == [1, 3] and sorted(visible) == [1, 3]
        # A shelf of series: nothing to warm (a series is not played from its card).
        while not focused_name(ui.window).startswith("card_popular_tv_"):
            await press(ui.window, K.Key_Down)
        await wait_until(lambda: preload.last()[0] is None, 3, "series shelf report")
        assert preload.last() == (None, [], [])

    run(ui.loop, scenario())


def test_key_repeat_is_reported_at_most_about_ten_times_a_second(ui: UiHarness) -> None:
    preload = RecordingPreload()
    ui.home._preload = preload

    async def scenario() -> None:
        await wait_until(lambda: focused_name(ui.window) == "card_featured_1", 10)
        await wait_until(lambda: preload.reports, 3, "first report")
        start = time.monotonic()
        for n in range(40):  # a held key: a focus change every ~10 ms
            await press(ui.window, K.Key_Right if n % 2 == 0 else K.Key_Left, settle=0.01)
        elapsed = time.monotonic() - start
        await wait_until(lambda: preload.last()[0] == 1, 3, "the final focus")
        burst = [r for r in preload.reports if r[0] >= start]
        assert len(burst) <= elapsed / 0.1 + 2, f"{len(burst)} reports in {elapsed:.2f} s"
        assert len(burst) >= 1

    run(ui.loop, scenario())


def test_browse_grid_reports_the_focused_film_and_its_neighbours(ui: UiHarness) -> None:
    preload = RecordingPreload()
    ui.browse._preload = preload

    async def scenario() -> None:
        await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10)
        await _open_section(ui, "browse")
        items = ui.browse.property("items")
        await wait_until(lambda: items.rowCount() == 7, 5, "films")
        films = {items.item(i).id for i in range(items.rowCount())}
        assert preload.reports == []  # the filters have focus, not the grid
        await press(ui.window, K.Key_Right)
        await press(ui.window, K.Key_Right)
        card = _card_id(focused_name(ui.window))
        await wait_until(lambda: preload.reports and preload.last()[0] == card, 3, "report")
        _focused, adjacent, visible = preload.last()
        assert adjacent and set(adjacent) <= films and card not in adjacent
        assert set(adjacent) <= set(visible) and card not in visible
        assert set(visible) <= films

    run(ui.loop, scenario())
