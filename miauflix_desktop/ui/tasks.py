"""TaskGroup-like owner of a view model's asyncio tasks: one slot per job, cancel on close."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class OwnedTasks:
    """Keeps strong references to a view model's tasks (the loop only keeps weak ones).

    Starting a job under a key that is already running cancels the older one: a person
    pressing OK twice, or opening another title, wants the newest request to win.
    """

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def spawn(self, key: str, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        old = self._tasks.get(key)
        if old is not None and not old.done():
            old.cancel()
        task = _loop().create_task(coro, name=f"{self._owner}.{key}")
        self._tasks[key] = task
        task.add_done_callback(self._finished)
        return task

    def running(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        for key, value in list(self._tasks.items()):
            if value is task:
                del self._tasks[key]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            # View models turn expected errors into visible messages themselves; anything
            # reaching here is a bug, so keep the traceback in the log (never on screen).
            log.error("task %s failed", task.get_name(), exc_info=exc)

    async def aclose(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()


def _loop() -> asyncio.AbstractEventLoop:
    """The running loop, or the installed qasync loop when a slot runs between its turns.

    qasync dispatches Qt events also outside run_forever (e.g. the final processEvents of
    run_until_complete), so a slot may run while no loop is "running"; the task then
    starts as soon as the loop runs again.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()
