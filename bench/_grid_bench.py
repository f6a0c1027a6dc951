"""QML poster grid: time to first frame and frame times while scrolling (catalog.py "grid").

Run as a subprocess by bench/catalog.py (one process per variant):

    python bench/_grid_bench.py generate DIR [--count 300]
    python bench/_grid_bench.py run {images,unique,rects} DIR [--items 10000] [--seconds 5]

`run` prints one JSON line: first-frame times and the frameSwapped intervals while a
NumberAnimation scrolls contentY over half the list. "images" points the 10,000 cards at
the few hundred generated files (so the pixmap cache serves repeats), "unique" adds a
per-card query string so every card decodes its file afresh (like real, distinct posters),
"rects" shows no images at all.
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
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtQml import QQmlApplicationEngine  # noqa: E402
from PySide6.QtQuick import QQuickItem, QQuickWindow, QSGRendererInterface  # noqa: E402

SOURCE, TITLE = Qt.ItemDataRole.UserRole + 1, Qt.ItemDataRole.UserRole + 2


class Posters(QAbstractListModel):
    def __init__(self, sources: list[str], titles: list[str]) -> None:
        super().__init__()
        self._sources, self._titles = sources, titles

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._titles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if role == SOURCE:
            return self._sources[index.row()]
        if role == TITLE:
            return self._titles[index.row()]
        return None

    def roleNames(self) -> dict[int, QByteArray]:
        return {SOURCE: QByteArray(b"source"), TITLE: QByteArray(b"title")}


def generate(folder: str, count: int) -> None:
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


def run(mode: str, folder: str, items: int, seconds: float) -> dict[str, object]:
    app = QGuiApplication(sys.argv)
    files = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
    urls = [QUrl.fromLocalFile(os.path.join(folder, f)).toString() for f in files]
    sources = [urls[i % len(urls)] + (f"?card={i}" if mode == "unique" else "")
               for i in range(items)]
    model = Posters(sources, [f"Film title number {i}" for i in range(items)])
    engine = QQmlApplicationEngine()
    engine.rootContext().setContextProperty("posters", model)
    engine.rootContext().setContextProperty("withImages", mode != "rects")

    stamps: list[float] = []
    first: dict[str, float] = {}
    res: dict[str, object] = {"mode": mode}

    def swapped() -> None:
        now = time.perf_counter()
        if not first:
            first["t"] = now
            first["wall"] = time.time()
        if scrolling["on"]:
            stamps.append(now)

    scrolling = {"on": False}
    t_load = time.perf_counter()
    engine.load(QUrl.fromLocalFile(os.path.join(os.path.dirname(__file__), "_grid_scene.qml")))
    if not engine.rootObjects():
        raise SystemExit("QML failed to load")
    win = engine.rootObjects()[0]
    assert isinstance(win, QQuickWindow)
    api = win.rendererInterface().graphicsApi()
    if api != QSGRendererInterface.GraphicsApi.OpenGL:
        print(f"warning: scene graph is {api}, not OpenGL", file=sys.stderr)
    res["graphics_api"] = str(api).rsplit(".", 1)[-1]
    win.frameSwapped.connect(swapped, Qt.ConnectionType.DirectConnection)
    grid = win.findChild(QQuickItem, "grid")
    scroller = grid.findChild(QObject, "scroller")

    def start_scroll() -> None:
        res["first_frame_after_load_ms"] = (first["t"] - t_load) * 1000
        res["first_frame_after_start_ms"] = (first["t"] - T0) * 1000
        if SPAWNED:
            res["first_frame_after_spawn_ms"] = (first["wall"] - SPAWNED) * 1000
        cols = max(1, int(grid.width() // grid.property("cellWidth")))
        rows = items // cols
        target = (rows // 2) * grid.property("cellHeight")
        res["scrolled_rows"] = rows // 2
        res["scrolled_px"] = target
        scroller.setProperty("to", target)
        scroller.setProperty("duration", int(seconds * 1000))
        scrolling["on"] = True
        scroller.setProperty("running", True)
        QTimer.singleShot(int(seconds * 1000) + 300, finish)

    def finish() -> None:
        scrolling["on"] = False
        res["intervals_ms"] = [(b - a) * 1000 for a, b in itertools.pairwise(stamps)]
        res["scroll_s"] = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
        app.quit()

    def wait_first() -> None:
        if first:
            QTimer.singleShot(700, start_scroll)  # let the first screen's images arrive
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
    r.add_argument("mode", choices=("images", "unique", "rects"))
    r.add_argument("folder")
    r.add_argument("--items", type=int, default=10_000)
    r.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    if args.cmd == "generate":
        QGuiApplication(sys.argv)
        generate(args.folder, args.count)
    else:
        print(json.dumps(run(args.mode, args.folder, args.items, args.seconds)))


if __name__ == "__main__":
    main()
