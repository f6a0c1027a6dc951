"""Async helpers for driving the QML scene from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
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


async def one_focus(window: QQuickWindow, timeout: float = 3.0) -> QQuickItem:
    """Wait until exactly one item shows focus (screens may still be loading) and return it."""
    await wait_until(lambda: len(visible_focus_items(window)) == 1, timeout,
                     "exactly one visible focus item")
    return visible_focus_items(window)[0]


KEYBOARD_KEYS = "abcdefghijklmnopqrstuvwxyz0123456789"
KEYBOARD_COLUMNS = 6


def keyboard_path(current: int, target: int) -> list[Qt.Key]:
    """Arrow presses that move the on-screen keyboard's focus between two letter keys."""
    r0, c0 = divmod(current, KEYBOARD_COLUMNS)
    r1, c1 = divmod(target, KEYBOARD_COLUMNS)
    keys = [Qt.Key.Key_Down if r1 > r0 else Qt.Key.Key_Up] * abs(r1 - r0)
    keys += [Qt.Key.Key_Right if c1 > c0 else Qt.Key.Key_Left] * abs(c1 - c0)
    return keys


async def type_on_screen(window: QQuickWindow, text: str, current: int = 0) -> int:
    """Type letters/digits with arrows + OK only; returns the key index left focused."""
    for ch in text:
        target = KEYBOARD_KEYS.index(ch)
        for key in keyboard_path(current, target):
            await press(window, key, settle=0.01)
        assert focused_name(window) == f"key_{ch}", focused_name(window)
        await press(window, Qt.Key.Key_Return, settle=0.01)
        current = target
    return current


def _key_for(ch: str) -> int:
    if ch.isalnum() and ch.isascii():
        return ord(ch.upper())
    return {" ": Qt.Key.Key_Space, "-": Qt.Key.Key_Minus}.get(ch, Qt.Key.Key_unknown).value


async def type_text(window: QQuickWindow, text: str) -> None:
    """Physical typing: key press/release events carrying text, like a real keyboard."""
    done = asyncio.get_running_loop().create_future()

    def send() -> None:
        for ch in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, _key_for(ch), Qt.KeyboardModifier.NoModifier, ch)
                QGuiApplication.sendEvent(window, event)
        done.set_result(None)

    asyncio.get_running_loop().call_soon(send)
    await done
