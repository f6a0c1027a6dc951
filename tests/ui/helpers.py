"""Async helpers for driving the QML scene from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtQuick import QQuickItem, QQuickWindow
from PySide6.QtTest import QTest


async def wait_until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


async def press(window: QQuickWindow, key: Qt.Key, settle: float = 0.05) -> None:
    """Deliver a key like the event loop would: from a plain callback, not from inside
    this task (delivery processes Qt events, which may step other asyncio tasks, and
    asyncio refuses to step a task while another one is executing)."""
    done = asyncio.get_running_loop().create_future()

    def send() -> None:
        QTest.keyClick(window, key)
        done.set_result(None)

    asyncio.get_running_loop().call_soon(send)
    await done
    await asyncio.sleep(settle)


def all_items(window: QQuickWindow) -> list[QQuickItem]:
    """Every item in the visual tree (view delegates have no QObject parent, so
    findChild() misses them; walking childItems() does not)."""
    out: list[QQuickItem] = []
    stack = [window.contentItem()]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.childItems())
    return out


def item(window: QQuickWindow, name: str) -> QQuickItem:
    found = window.findChild(QQuickItem, name)
    if found is None:
        found = next((i for i in all_items(window) if i.objectName() == name), None)
    assert found is not None, f"no item named {name!r}"
    return found


def visible_focus_items(window: QQuickWindow) -> list[QQuickItem]:
    """Items that draw a focus indicator right now (they expose `showsFocus`)."""
    shown = []
    for candidate in all_items(window):
        if candidate.property("showsFocus") is True and candidate.isVisible():
            shown.append(candidate)
    return shown


def focused_name(window: QQuickWindow) -> str:
    focus = window.activeFocusItem()
    return focus.objectName() if focus is not None else ""
