"""Subprocess scenario for the OpenGL test: real X (Xvfb), xcb + OpenGL, mpv in QML.

Usage: python -m tests.ui.gl_scenario OUT_DIR DATA_DIR
Saves home.png, details.png, player.png to OUT_DIR and writes OUT_DIR/result.json with
pixel statistics of the mpv item's area. Separate process: the Qt platform is per process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

log = logging.getLogger("gl_scenario")


def region_stats(image: QImage, x0: int, y0: int, x1: int, y1: int, step: int = 6) -> dict:
    """Fraction of clearly non-black pixels and the number of distinct (coarse) colours."""
    total = bright = 0
    colours: set[int] = set()
    for y in range(max(0, y0), min(image.height(), y1), step):
        for x in range(max(0, x0), min(image.width(), x1), step):
            rgb = image.pixel(x, y) & 0xFFFFFF
            r, g, b = rgb >> 16, (rgb >> 8) & 0xFF, rgb & 0xFF
            total += 1
            if max(r, g, b) > 40:
                bright += 1
            colours.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4))
    return {"samples": total, "nonblack_fraction": bright / max(1, total),
            "distinct_colours": len(colours)}


async def scenario(out_dir: Path, data_dir: Path) -> dict:
    """The real composition: container (demo swarm, engine, server) + build_ui."""
    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.config.secrets import SecretStore
    from miauflix_desktop.config.settings import Settings
    from miauflix_desktop.container import build_container, build_ui
    from miauflix_desktop.services.playback.player import PlayerService
    from miauflix_desktop.ui.graphics import OPENGL, scene_graph_api
    from miauflix_desktop.ui.shell import UiShell
    from tests.demo_cache import DEMO_DURATION, link_demo_media
    from tests.ui.helpers import focused_name, item, press, wait_until

    paths = AppPaths(data_dir)
    link_demo_media(data_dir)
    container = build_container(
        paths, Settings(setup_done=True), demo=True, demo_duration_s=DEMO_DURATION,
        secrets=SecretStore(paths.secrets_dir, use_keyring=False),
    )  # fmt: skip
    ui = build_ui(container)
    player = ui.player
    shell = ui.shell
    assert isinstance(player, PlayerService) and isinstance(shell, UiShell)
    container.extra_services.append(("player", player))
    lifecycle = container.lifecycle()
    await lifecycle.start()
    window = shell.load()
    result: dict = {}
    try:
        await wait_until(lambda: focused_name(window).startswith("card_"), 150, "home")
        await asyncio.sleep(1.0)  # posters decode asynchronously
        result["graphics_api"] = str(scene_graph_api(window))
        result["opengl"] = scene_graph_api(window) == OPENGL
        window.grabWindow().save(str(out_dir / "home.png"))

        await press(window, Qt.Key.Key_Right)
        await press(window, Qt.Key.Key_Return)
        await wait_until(lambda: focused_name(window) == "detailsPlayButton", 5, "details")
        await asyncio.sleep(1.0)
        window.grabWindow().save(str(out_dir / "details.png"))

        t0 = time.monotonic()
        await press(window, Qt.Key.Key_Return)
        await wait_until(lambda: player.state.started, 20, "first frame")
        result["first_frame_ms"] = round((time.monotonic() - t0) * 1000)
        await wait_until(lambda: player.state.position >= 1.5, 20, "playback")
        # Bring the overlay up for the screenshot: Menu opens the Tracks panel, a second
        # Menu closes it again and leaves the OSD up (it auto-hides as usual).
        await press(window, Qt.Key.Key_Menu)
        await press(window, Qt.Key.Key_Menu)
        await asyncio.sleep(0.5)
        image = window.grabWindow()
        image.save(str(out_dir / "player.png"))
        video = item(window, "mpvItem")
        top_left = video.mapToScene(QPointF(0, 0))
        ratio = image.width() / max(1, window.width())
        x0, y0 = int(top_left.x() * ratio), int(top_left.y() * ratio)
        w, h = int(video.width() * ratio), int(video.height() * ratio)
        # The middle band of the picture: the overlay only covers the top and bottom.
        result["video"] = region_stats(image, x0 + w // 10, y0 + h // 4, x0 + w * 9 // 10,
                                       y0 + h * 3 // 4)
        result["video_rect"] = [x0, y0, w, h]
        result["position"] = player.state.position
        result["duration"] = player.state.duration
        result["render_context_live"] = player.render_context_live

        await asyncio.sleep(4.5)  # overlay auto-hides
        result["overlay_hidden"] = not item(window, "playerOverlay").isVisible()
        window.grabWindow().save(str(out_dir / "player_no_overlay.png"))
    finally:
        await shell.close()
        result["render_context_freed"] = not player.render_context_live
        await lifecycle.stop()
    # Back/close saved where the viewer stopped (the resume position).
    entry = container.demo.entries[1] if container.demo else None
    progress = container.movies.progress(entry.movie_id) if entry else None
    result["saved_position"] = progress.position if progress else None
    result["demo_duration"] = DEMO_DURATION
    return result


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out_dir, data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    # grabWindow() deadlocks with the threaded render loop while mpv renders (GIL).
    os.environ["QSG_RENDER_LOOP"] = "basic"
    from miauflix_desktop.ui.app import create_qt_app

    _app, loop = create_qt_app(sys.argv[:1])
    with loop:
        result = loop.run_until_complete(asyncio.wait_for(scenario(out_dir, data_dir), 240))
    (out_dir / "result.json").write_text(json.dumps(result, indent=2))
    log.info("result: %s", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
