"""Subprocess scenario: screenshots of the Setup screen's OpenSubtitles step under Xvfb
(xcb + OpenGL), over the fake ports, the real key port (file-backed secret store) and the
local fake OpenSubtitles API.

Usage: python -m tests.ui.setup_subtitles_scenario OUT_DIR MEDIA_DIR
Writes setup_subtitles_entry.png (page one, "OpenSubtitles key…" focused) and
setup_subtitles.png (page two after a key was checked and saved: "A key is stored",
Remove key, the saved message) to OUT_DIR. Keys only, like a remote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt

log = logging.getLogger("setup_subtitles_scenario")


async def scenario(out_dir: Path, media_dir: Path) -> list[str]:
    from miauflix_desktop.config.secrets import SecretStore
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.services.subtitles.keys import OpenSubtitlesKeys
    from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient
    from miauflix_desktop.ui.details import DetailsViewModel
    from miauflix_desktop.ui.home import HomeViewModel
    from miauflix_desktop.ui.navigator import AppViewModel
    from miauflix_desktop.ui.player_vm import PlayerViewModel
    from miauflix_desktop.ui.setup import SetupViewModel
    from miauflix_desktop.ui.shell import UiShell
    from miauflix_desktop.ui.status import StatusViewModel
    from tests.fakes.opensubtitles_server import API_KEY, FakeOpenSubtitles
    from tests.ui.fakes import build_ports
    from tests.ui.helpers import focused_name, one_focus, press, type_text, wait_until

    fake = FakeOpenSubtitles()
    await fake.start()
    secrets = SecretStore(Path(tempfile.mkdtemp(prefix="setup-secrets-")), use_keyring=False)
    keys_port = OpenSubtitlesKeys(
        secrets, lambda key: OpenSubtitlesClient(key, base_url=fake.base_url, max_retries=0))
    ports = await build_ports(media_dir)
    ports.setup.needed = True
    player = PlayerService(vo="libmpv")
    await player.start()
    player_vm = PlayerViewModel(ports.play, player)
    app = AppViewModel(
        HomeViewModel(ports.catalog), DetailsViewModel(ports.catalog, ports.play), player_vm,
        setup=SetupViewModel(ports.setup, subtitles_key=keys_port),
        status=StatusViewModel(ports.status))
    shell = UiShell(app, player_vm)
    window = shell.load()
    saved: list[str] = []
    K = Qt.Key

    async def shot(name: str, settle: float = 0.6) -> None:
        await asyncio.sleep(settle)
        await one_focus(window, 5)
        path = out_dir / f"{name}.png"
        window.grabWindow().save(str(path))
        saved.append(name)
        log.info("saved %s (focus on %s)", path, focused_name(window))

    async def keys(*pressed: Qt.Key) -> None:
        for k in pressed:
            await press(window, k)

    try:
        await wait_until(lambda: focused_name(window) == "setupKeyInput", 20, "setup")
        await keys(K.Key_Down, K.Key_Down, K.Key_Right, K.Key_Down)
        await wait_until(lambda: focused_name(window) == "setupSubtitlesButton", 5, "entry")
        await shot("setup_subtitles_entry")
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window) == "setupSubtitlesKeyInput", 5, "page")
        await type_text(window, API_KEY)  # a pasted key; the remote path is tested apart
        await keys(K.Key_Return)
        await wait_until(lambda: focused_name(window) == "setupSubtitlesDoneButton", 10,
                         "saved")
        await shot("setup_subtitles")
    finally:
        await shell.close()
        await ports.aclose()
        await fake.stop()
    return saved


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out_dir, media_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # grabWindow() deadlocks with the threaded render loop while mpv renders (GIL).
    os.environ["QSG_RENDER_LOOP"] = "basic"
    from miauflix_desktop.ui.app import create_qt_app

    _app, loop = create_qt_app(sys.argv[:1])
    with loop:
        saved = loop.run_until_complete(asyncio.wait_for(scenario(out_dir, media_dir), 240))
    log.info("screenshots: %s", saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
