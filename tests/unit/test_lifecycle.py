"""Ordered start, reverse stop with timeouts."""

import asyncio

import pytest

from miauflix_desktop.lifecycle import Lifecycle


class Rec:
    def __init__(self, name, log, fail_start=False, hang_stop=False):
        self.name, self.log, self.fail_start, self.hang_stop = name, log, fail_start, hang_stop

    async def start(self):
        if self.fail_start:
            raise RuntimeError("boom")
        self.log.append(f"start {self.name}")

    async def stop(self):
        if self.hang_stop:
            await asyncio.sleep(10)
        self.log.append(f"stop {self.name}")


async def test_stop_in_reverse_even_when_one_hangs():
    log = []
    lc = Lifecycle([("a", Rec("a", log)), ("b", Rec("b", log, hang_stop=True)),
                    ("c", Rec("c", log))], stop_timeout=0.1)
    await lc.start()
    await lc.stop()
    assert log == ["start a", "start b", "start c", "stop c", "stop a"]
    assert not lc.running


async def test_failed_start_stops_the_started():
    log = []
    lc = Lifecycle([("a", Rec("a", log)), ("b", Rec("b", log, fail_start=True))])
    with pytest.raises(RuntimeError):
        await lc.start()
    assert log == ["start a", "stop a"]
