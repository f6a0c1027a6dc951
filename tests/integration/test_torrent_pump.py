"""The alert pump: one thread, typed events on the loop, survives failing handlers."""

from __future__ import annotations

import asyncio
import threading

import libtorrent as lt

from miauflix_desktop.services.torrent import events as ev
from miauflix_desktop.services.torrent.pump import AlertPump
from miauflix_desktop.services.torrent.tuning import loopback_settings


async def test_handler_exception_does_not_kill_the_pump():
    session = lt.session(loopback_settings())
    loop = asyncio.get_running_loop()
    seen: list[ev.Event] = []
    threads: set[int] = set()
    got_second = asyncio.Event()
    calls = 0

    def dispatch(batch):
        nonlocal calls
        calls += 1
        threads.add(threading.get_ident())
        seen.extend(batch)
        if calls == 1:
            raise RuntimeError("a broken handler")
        if any(isinstance(e, ev.Wakeup) for e in batch):
            got_second.set()

    pump = AlertPump(session, loop, dispatch, name="test-pump")
    pump.start()
    try:
        session.post_session_stats()  # first batch: the handler raises
        await asyncio.sleep(0.3)
        session.post_session_stats()  # the pump still delivers afterwards
        await asyncio.wait_for(got_second.wait(), 3)
    finally:
        pump.request_stop()
        assert await asyncio.to_thread(pump.join, 2)
    # Handlers run on the loop thread, never on the pump thread.
    assert threads == {threading.get_ident()}
    assert all(isinstance(e, ev.Event) for e in seen)
    del session
