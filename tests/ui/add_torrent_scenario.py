"""Subprocess scenario: a screenshot of the Open torrent screen under Xvfb (xcb + OpenGL)
over the real services: Menu -> Open torrent, a few keys on the on-screen keyboard, Paste
of a magnet nobody seeds (so the progress line shows), the folder list of ~/Downloads.

Usage: python -m tests.ui.add_torrent_scenario OUT_DIR WORK_DIR
Writes OUT_DIR/open-torrent.png. Sets HOME to WORK_DIR/home first, so the list shows a
tidy ~/Downloads with a few folders and .torrent files. Keys only, like a remote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt

log = logging.getLogger("add_torrent_scenario")

NOBODY_MAGNET = ("magnet:?xt=urn:btih:" + "5eed" * 10
                 + "&dn=Big.Buck.Bunny.2008.1080p.BluRay.x264&tr=udp%3A%2F%2F127.0.0.1%3A9")


def make_downloads(home: Path) -> None:
    from miauflix_desktop.services.torrent.metainfo import make_torrent

    downloads = home / "Downloads"
    for folder in ("Films", "Series", "Trailers"):
        (downloads / folder).mkdir(parents=True, exist_ok=True)
    content = home / ".content"
    content.mkdir(exist_ok=True)
    for name, size in (("Sintel.2010.720p.x264.mkv", 300_000),
                       ("Tears.of.Steel.2012.1080p.mp4", 500_000),
                       ("Elephants.Dream.2006.480p.avi", 120_000)):
        path = content / name
        path.write_bytes(os.urandom(size))
        (downloads / (name.rsplit(".", 1)[0] + ".torrent")).write_bytes(make_torrent(path))


async def scenario(out_dir: Path, work: Path) -> None:
    from PySide6.QtGui import QGuiApplication

    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.ui.add_torrent import AddTorrentViewModel
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.shell import UiShell
    from tests.ui.adhoc_stack import build_stack
    from tests.ui.helpers import focused_name, one_focus, press, type_on_screen, wait_until

    stack = await build_stack(work / "stack")
    player = PlayerService(vo="libmpv")
    await player.start()
    player_vm = PlayerViewModel(stack.streams, player)
    # The test engine is isolated (loopback only); the screenshot shows a normal run.
    vm = AddTorrentViewModel(stack.adhoc, peers=stack.peers, offline=False)
    app = AppViewModel(HomeViewModel(stack.library),
                       DetailsViewModel(stack.library, stack.streams, history=stack.history),
                       player_vm, add_torrent=vm)
    shell = UiShell(app, player_vm)
    window = shell.load()
    K = Qt.Key
    try:
        await wait_until(lambda: window.activeFocusItem() is not None, 20, "window")
        await press(window, K.Key_Menu)
        while focused_name(window) != "menu_addtorrent":
            await press(window, K.Key_Down)
        await press(window, K.Key_Return)
        await wait_until(lambda: focused_name(window) == "key_a", 5, "keyboard")
        current = await type_on_screen(window, "5eed")
        for _ in range(6 - current % 6):
            await press(window, K.Key_Right)
        assert focused_name(window) == "addTorrentPaste", focused_name(window)
        QGuiApplication.clipboard().setText(NOBODY_MAGNET)
        await press(window, K.Key_Return)
        await wait_until(lambda: vm.property("busy"), 5, "fetching")
        await asyncio.sleep(1.2)  # fades, the spinner turning
        await one_focus(window, 5)
        path = out_dir / "open-torrent.png"
        window.grabWindow().save(str(path))
        log.info("saved %s (focus on %s, message %r)", path, focused_name(window),
                 vm.property("message"))
    finally:
        await shell.close()
        await stack.aclose()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out_dir, work = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    make_downloads(home)
    os.environ["HOME"] = str(home)  # the list starts at ~/Downloads and shows it so
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # grabWindow() deadlocks with the threaded render loop while mpv renders (GIL).
    os.environ["QSG_RENDER_LOOP"] = "basic"
    from miauflix_desktop.ui.app import create_qt_app

    _app, loop = create_qt_app(sys.argv[:1])
    with loop:
        loop.run_until_complete(asyncio.wait_for(scenario(out_dir, work), 120))
    return 0


if __name__ == "__main__":
    sys.exit(main())
