"""The Open torrent screen driven with remote keys only, over the real services (SQLite,
libtorrent engine + loopback seeder, stream server, the session's mpv): a pasted magnet,
an info hash typed on the on-screen keyboard and a .torrent picked from the folder list
each open Details for the new title, and Play plays it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow
from PySide6.QtTest import QTest

from miauflix_desktop.core.media import size_text
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.ui.add_torrent import FETCHING, AddTorrentViewModel
from miauflix_desktop.ui.details import DetailsViewModel
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.navigator import AppViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel
from miauflix_desktop.ui.shell import UiShell
from tests.ui.adhoc_stack import AdhocStack
from tests.ui.conftest import run
from tests.ui.helpers import (
    focused_name,
    item,
    one_focus,
    press,
    type_on_screen,
    type_text,
    visible_focus_items,
    wait_until,
)

K = Qt.Key
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(180)


@dataclass
class RealUi:
    window: QQuickWindow
    app: AppViewModel
    vm: AddTorrentViewModel
    details: DetailsViewModel
    player: PlayerService
    stack: AdhocStack
    downloads: Path
    loop: qasync.QEventLoop


@pytest.fixture
def real_ui(aloop: qasync.QEventLoop, shared_player: PlayerService, adhoc_stack: AdhocStack,
            tmp_path: Path) -> Iterator[RealUi]:
    """The app's wiring (container.build_ui) over the real services, Downloads in tmp."""
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    stack = adhoc_stack
    details = DetailsViewModel(stack.library, stack.streams, history=stack.history)
    player_vm = PlayerViewModel(stack.streams, shared_player)
    vm = AddTorrentViewModel(stack.adhoc, peers=stack.peers, timeout_s=20, folder=downloads)
    app = AppViewModel(HomeViewModel(stack.library), details, player_vm, add_torrent=vm)
    shell = UiShell(app, player_vm)
    window = shell.load()
    window.requestActivate()
    yield RealUi(window, app, vm, details, shared_player, stack, downloads, aloop)
    run(aloop, shell.close(stop_player=False))


async def open_screen(ui: RealUi) -> None:
    await wait_until(lambda: ui.window.activeFocusItem() is not None, 5, "window focus")
    await press(ui.window, K.Key_Menu)
    await wait_until(lambda: focused_name(ui.window) == "menu_home", 3, "menu")
    await press(ui.window, K.Key_Down)
    assert focused_name(ui.window) == "menu_addtorrent"
    assert item(ui.window, "menu_addtorrent").property("text") == "Open torrent"
    await press(ui.window, K.Key_Return)
    assert ui.app.property("screen") == "addtorrent"
    await wait_until(lambda: focused_name(ui.window) == "key_a", 3, "keyboard focus")
    assert [i.objectName() for i in visible_focus_items(ui.window)] == ["key_a"]


async def play_from_details(ui: RealUi, title: str) -> None:
    """Details shows the added title; OK plays it (first frame), Back returns."""
    await wait_until(lambda: ui.app.property("screen") == "details", 20, "details")
    await wait_until(lambda: ui.details.property("title") == title, 5, "title")
    await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5, "Play")
    await press(ui.window, K.Key_Return)
    assert ui.app.property("screen") == "player"
    await wait_until(lambda: ui.player.state.started, 20, "first frame")
    await wait_until(lambda: ui.player.state.position >= 0.5, 10, "playback advances")
    await press(ui.window, K.Key_Escape)
    assert ui.app.property("screen") == "details"
    await wait_until(lambda: ui.player.state.idle, 10, "player closed")


def test_paste_a_magnet_with_the_remote_then_play(real_ui: RealUi, media_dir: Path) -> None:
    ui = real_ui

    async def scenario() -> None:
        seeded = await ui.stack.seed_clip(media_dir, "Paste.Test.Clip.2023.720p.mp4")
        await open_screen(ui)
        # Right along the keyboard's top row leaves it for the Paste button.
        for _ in range(6):
            await press(ui.window, K.Key_Right)
        assert focused_name(ui.window) == "addTorrentPaste"
        QGuiApplication.clipboard().setText(seeded.magnet("Paste.Test.Clip.2023.720p.mp4"))
        messages: list[str] = []
        ui.vm.stateChanged.connect(lambda: messages.append(ui.vm.property("message")))
        await press(ui.window, K.Key_Return)
        await play_from_details(ui, "Paste Test Clip")
        assert FETCHING in messages
        # Back returns to the Open torrent screen, ready for the next one.
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "addtorrent"
        await wait_until(lambda: focused_name(ui.window) == "addTorrentPaste", 3)
        assert item(ui.window, "addTorrentMessage").property("text") == \
            "Added “Paste Test Clip”."
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "home"

    run(ui.loop, scenario(), timeout=120)


def test_type_an_info_hash_on_the_keyboard(real_ui: RealUi, media_dir: Path) -> None:
    ui = real_ui

    async def scenario() -> None:
        seeded = await ui.stack.seed_clip(media_dir, "Typed.Hash.Clip.2022.mp4", variant=2)
        await open_screen(ui)
        current = await type_on_screen(ui.window, seeded.info_hash)
        assert ui.vm.property("text") == seeded.info_hash
        assert item(ui.window, "addTorrentText").property("text") == seeded.info_hash + "▏"
        # To the right edge, then Down to "Open link", OK.
        for _ in range(6 - current % 6):
            await press(ui.window, K.Key_Right)
        assert focused_name(ui.window) == "addTorrentPaste"
        await press(ui.window, K.Key_Down)
        assert focused_name(ui.window) == "addTorrentOpen"
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: ui.app.property("screen") == "details", 20, "details")
        await wait_until(lambda: ui.details.property("title") == "Typed Hash Clip", 5)
        await press(ui.window, K.Key_Escape)
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "home"

    run(ui.loop, scenario(), timeout=120)


def test_a_real_keyboard_types_deletes_and_pastes(real_ui: RealUi, media_dir: Path) -> None:
    ui = real_ui

    async def scenario() -> None:
        seeded = await ui.stack.seed_clip(media_dir, "Keyboard.Paste.Clip.2017.mp4")
        await open_screen(ui)
        await type_text(ui.window, "magnet:?xt=urn")
        assert ui.vm.property("text") == "magnet:?xt=urn"
        await press(ui.window, K.Key_Backspace)  # deletes here; Escape is Back
        assert ui.vm.property("text") == "magnet:?xt=ur"
        assert ui.app.property("screen") == "addtorrent"
        QGuiApplication.clipboard().setText(seeded.magnet("Keyboard.Paste.Clip.2017.mp4"))
        done = asyncio.get_running_loop().create_future()

        def ctrl_v() -> None:
            QTest.keyClick(ui.window, K.Key_V, Qt.KeyboardModifier.ControlModifier)
            done.set_result(None)

        asyncio.get_running_loop().call_soon(ctrl_v)
        await done
        await wait_until(lambda: ui.app.property("screen") == "details", 20, "details")
        await wait_until(lambda: ui.details.property("title") == "Keyboard Paste Clip", 5)
        await press(ui.window, K.Key_Escape)
        assert ui.vm.property("text") == ""
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "home"

    run(ui.loop, scenario(), timeout=120)


def test_pick_a_torrent_file_from_the_list(real_ui: RealUi, media_dir: Path) -> None:
    ui = real_ui

    async def scenario() -> None:
        seeded = await ui.stack.seed_clip(media_dir, "Listed.File.Clip.2018.720p.mp4",
                                          variant=3)
        films = ui.downloads / "Films"
        films.mkdir()
        (films / "clip.torrent").write_bytes(seeded.torrent)
        (ui.downloads / "broken.torrent").write_bytes(os.urandom(2000))
        # Files saved after the view model was built: the screen reads the folder when
        # it is shown (not while the window is built).
        files = ui.vm.property("files")
        await open_screen(ui)
        path = item(ui.window, "torrentListPath")
        await wait_until(lambda: path.property("text") == str(ui.downloads), 5, "listing")
        for _ in range(6):
            await press(ui.window, K.Key_Right)
        await press(ui.window, K.Key_Right)
        assert focused_name(ui.window) == "torrentEntry_Films/"  # the first entry
        await press(ui.window, K.Key_Up)
        assert focused_name(ui.window) == "torrentListUp"
        assert item(ui.window, "torrentListUp").property("text") == "‹ Parent folder"
        await press(ui.window, K.Key_Return)  # up to tmp
        await wait_until(lambda: path.property("text") == str(ui.downloads.parent), 5, "up")
        assert files.property("canGoBack")
        await wait_until(lambda: focused_name(ui.window) == "torrentEntry_Downloads/", 3)
        await press(ui.window, K.Key_Escape)  # Back: down to Downloads again, same screen
        assert ui.app.property("screen") == "addtorrent"
        await wait_until(lambda: path.property("text") == str(ui.downloads), 5, "back")
        names = [e["name"] for e in files.property("entries")]
        assert names == ["Films/", "broken.torrent"]
        await wait_until(lambda: focused_name(ui.window) == "torrentEntry_Films/", 3)

        # A damaged file: a clear message, focus stays on the row, nothing else moves.
        await press(ui.window, K.Key_Down)
        assert focused_name(ui.window) == "torrentEntry_broken.torrent"
        await press(ui.window, K.Key_Return)
        message = item(ui.window, "addTorrentMessage")
        await wait_until(lambda: "not a usable .torrent" in message.property("text"), 5)
        assert ui.app.property("screen") == "addtorrent"
        assert focused_name(ui.window) == "torrentEntry_broken.torrent"
        assert len(visible_focus_items(ui.window)) == 1

        # Into Films, OK on the file: Details, Play.
        await press(ui.window, K.Key_Up)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: path.property("text") == str(films), 5, "Films")
        await wait_until(lambda: focused_name(ui.window) == "torrentEntry_clip.torrent", 3)
        assert item(ui.window, "torrentEntry_clip.torrent").property("detail") == \
            size_text(len(seeded.torrent))
        await press(ui.window, K.Key_Return)
        await play_from_details(ui, "Listed File Clip")
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "addtorrent"
        # Shown again: the folder is read again and focus stays on the file's row.
        await wait_until(lambda: focused_name(ui.window) == "torrentEntry_clip.torrent", 5)
        await one_focus(ui.window)
        # Back goes up (Films -> Downloads, focus on Films), then leaves the screen.
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "addtorrent"
        await wait_until(lambda: path.property("text") == str(ui.downloads), 5, "up again")
        await wait_until(lambda: focused_name(ui.window) == "torrentEntry_Films/", 3)
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "home"

    run(ui.loop, scenario(), timeout=120)


@pytest.mark.gl
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (run under xvfb-run)")
def test_open_torrent_screenshot(tmp_path: Path) -> None:
    """docs/screens/open-torrent.png comes from here (MIAUFLIX_SCREENSHOT_DIR=docs/screens)."""
    out = Path(os.environ.get("MIAUFLIX_SCREENSHOT_DIR") or tmp_path / "screenshots")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "QSG_RENDER_LOOP": "basic"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.add_torrent_scenario", str(out), str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, f"scenario failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    assert "QML:" not in proc.stderr, proc.stderr[-4000:]
    assert "Fetching the torrent's details from peers" in proc.stderr, proc.stderr[-4000:]
    assert (out / "open-torrent.png").stat().st_size > 10_000
