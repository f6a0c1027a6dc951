"""QML poster grid: time to first frame and frame times while scrolling (catalog.py "grid").

Run as a subprocess by bench/catalog.py (one process per variant and motion):

    python bench/_grid_bench.py generate DIR [--count 300]
    python bench/_grid_bench.py run {images,rects} {keys,flick,stress} DIR
                               [--items 10000] [--seconds 5] [--keys-per-s 30]
                               [--flick-px-s 4000] [--stress-px-s 30000]

"images" is the product: the real MediaGrid.qml / PosterCard.qml where Browse puts it,
every card with its own poster URL (the file's URL plus "?card=N", so every card decodes
its JPEG afresh, like distinct posters). "rects" is the reference: a bare GridView of
plain rectangles with a title, same cells and keyboard navigation.

Motions: "keys" holds Down like a remote (one key-repeat press every 1/keys-per-s s, so
the grid's own keyboard navigation moves the current card, its focus scale-up and the
highlight-range scrolling); "flick" and "stress" scroll contentY at a constant speed.

`run` prints one JSON line: first-frame times and the frameSwapped intervals while moving.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time

T0 = time.perf_counter()
SPAWNED = float(os.environ.get("GRID_BENCH_SPAWNED", "0"))  # parent's time.time() at spawn

from PySide6.QtCore import (  # noqa: E402
    QAbstractListModel,
    QByteArray,
    QEasingCurve,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPropertyAnimation,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QPainter,
)
from PySide6.QtQml import QQmlApplicationEngine  # noqa: E402
from PySide6.QtQuick import QQuickItem, QQuickWindow, QSGRendererInterface  # noqa: E402

ROLES = (b"mediaId", b"title", b"year", b"posterUrl", b"isDemo", b"kind", b"progress")
FIRST_ROLE = Qt.ItemDataRole.UserRole + 1


class Posters(QAbstractListModel):
    """The roles of miauflix_desktop.ui.list_models.CardListModel, answered from lists."""

    def __init__(self, sources: list[str], titles: list[str]) -> None:
        super().__init__()
        self._sources, self._titles = sources, titles

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        row = index.row()
        match role - FIRST_ROLE:
            case 0:
                return row + 1
            case 1:
                return self._titles[row]
            case 2:
                return 1950 + row % 75
            case 3:
                return self._sources[row]
            case 4:
                return False
            case 5:
                return "tv" if row % 7 == 3 else "movie"  # some series badges
            case 6:
                return 0.4 if row % 23 == 5 else -1.0  # a few progress bars
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        return {FIRST_ROLE + i: QByteArray(name) for i, name in enumerate(ROLES)}


def generate(folder: str, count: int) -> None:
    """TMDB w342-sized JPEG posters."""
    os.makedirs(folder, exist_ok=True)
    font = QFont()
    font.setPixelSize(48)
    for i in range(count):
        img = QImage(342, 513, QImage.Format.Format_RGB32)
        img.fill(QColor.fromHsv((i * 47) % 360, 160, 140))
        p = QPainter(img)
        p.setPen(QColor("white"))
        p.setFont(font)
        p.drawRect(20, 20, 302, 473)
        p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, f"#{i}")
        p.end()
        img.save(os.path.join(folder, f"p{i:04d}.jpg"), "JPEG", 85)


def _find(root: QQuickItem, name: str) -> QQuickItem:
    stack = [root]
    while stack:
        it = stack.pop()
        if it.objectName() == name:
            return it
        stack.extend(it.childItems())
    raise SystemExit(f"no item {name!r} in the scene")


def run(mode: str, motion: str, folder: str, items: int, seconds: float,
        keys_per_s: float, flick_px_s: float, stress_px_s: float) -> dict[str, object]:
    app = QGuiApplication(sys.argv)
    files = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
    urls = [QUrl.fromLocalFile(os.path.join(folder, f)).toString() for f in files]
    sources = [f"{urls[i % len(urls)]}?card={i}" for i in range(items)]
    model = Posters(sources, [f"Film title number {i}" for i in range(items)])
    engine = QQmlApplicationEngine()
    engine.rootContext().setContextProperty("posters", model)
    engine.rootContext().setContextProperty("withImages", mode != "rects")

    stamps: list[float] = []
    first: dict[str, float] = {}
    res: dict[str, object] = {"mode": mode, "motion": motion}
    moving = {"on": False}
    cpu: dict[str, float] = {}

    def swapped() -> None:
        now = time.perf_counter()
        if not first:
            first["t"] = now
            first["wall"] = time.time()
        if moving["on"]:
            stamps.append(now)

    t_load = time.perf_counter()
    engine.load(QUrl.fromLocalFile(os.path.join(os.path.dirname(__file__), "_grid_scene.qml")))
    if not engine.rootObjects():
        raise SystemExit("QML failed to load")
    win = engine.rootObjects()[0]
    assert isinstance(win, QQuickWindow)
    win.requestActivate()
    api = win.rendererInterface().graphicsApi()
    if api != QSGRendererInterface.GraphicsApi.OpenGL:
        print(f"warning: scene graph is {api}, not OpenGL", file=sys.stderr)
    res["graphics_api"] = str(api).rsplit(".", 1)[-1]
    win.frameSwapped.connect(swapped, Qt.ConnectionType.DirectConnection)
    grid = _find(win.contentItem(), "grid")
    timer = QTimer()
    scroller = QPropertyAnimation(grid, QByteArray(b"contentY"))
    scroller.setEasingCurve(QEasingCurve.Type.Linear)
    timer.setTimerType(Qt.TimerType.PreciseTimer)

    def press_down() -> None:
        QGuiApplication.sendEvent(win, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Down,
                                                 Qt.KeyboardModifier.NoModifier, "", True))

    def start() -> None:
        res["first_frame_after_load_ms"] = (first["t"] - t_load) * 1000
        res["first_frame_after_start_ms"] = (first["t"] - T0) * 1000
        if SPAWNED:
            res["first_frame_after_spawn_ms"] = (first["wall"] - SPAWNED) * 1000
        cols = max(1, int((grid.width() - grid.property("leftMargin")
                           - grid.property("rightMargin")) // grid.property("cellWidth")))
        res["grid"] = (f"{cols}x{grid.height() / grid.property('cellHeight'):.1f} cards "
                       f"of {grid.property('cellWidth'):.0f}x{grid.property('cellHeight'):.0f}"
                       f" in {grid.width():.0f}x{grid.height():.0f}")
        res["focus"] = win.activeFocusItem().objectName() if win.activeFocusItem() else ""
        moving["on"] = True
        cpu["start"] = time.process_time()
        if motion == "keys":
            timer.timeout.connect(press_down)
            timer.start(round(1000 / keys_per_s))
        else:
            speed = flick_px_s if motion == "flick" else stress_px_s
            res["px_per_s"] = speed
            top = grid.property("contentY")
            bottom = grid.property("contentHeight") - grid.height()
            # A linear animation of contentY, driven (like QML's) by the animation driver.
            scroller.setStartValue(top)
            scroller.setEndValue(top + speed * (seconds + 1))
            scroller.setDuration(int((seconds + 1) * 1000))
            if scroller.endValue() > bottom:
                raise SystemExit(f"grid too short for {speed} px/s over {seconds} s")
            scroller.start()
        QTimer.singleShot(int(seconds * 1000), finish)

    def finish() -> None:
        moving["on"] = False
        res["cpu_s"] = time.process_time() - cpu["start"]  # all threads: GUI, llvmpipe, decoders
        timer.stop()
        scroller.stop()
        if motion == "keys":
            QGuiApplication.sendEvent(win, QKeyEvent(
                QEvent.Type.KeyRelease, Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier))
            res["current_index"] = grid.property("currentIndex")
        res["content_y"] = grid.property("contentY")
        res["intervals_ms"] = [(b - a) * 1000 for a, b in itertools.pairwise(stamps)]
        res["moving_s"] = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
        app.quit()

    def wait_first() -> None:
        if first:
            QTimer.singleShot(1000, start)  # let the first screen's posters arrive
        else:
            QTimer.singleShot(5, wait_first)

    QTimer.singleShot(0, wait_first)
    QTimer.singleShot(int(seconds * 1000) + 30_000, app.quit)  # watchdog
    app.exec()
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("folder")
    g.add_argument("--count", type=int, default=300)
    r = sub.add_parser("run")
    r.add_argument("mode", choices=("images", "rects"))
    r.add_argument("motion", choices=("keys", "flick", "stress"))
    r.add_argument("folder")
    r.add_argument("--items", type=int, default=10_000)
    r.add_argument("--seconds", type=float, default=5.0)
    r.add_argument("--keys-per-s", type=float, default=30.0)
    r.add_argument("--flick-px-s", type=float, default=4_000.0)
    r.add_argument("--stress-px-s", type=float, default=30_000.0)
    args = ap.parse_args()
    if args.cmd == "generate":
        QGuiApplication(sys.argv)
        generate(args.folder, args.count)
    else:
        print(json.dumps(run(args.mode, args.motion, args.folder, args.items, args.seconds,
                             args.keys_per_s, args.flick_px_s, args.stress_px_s)))


if __name__ == "__main__":
    main()
