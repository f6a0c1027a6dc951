"""QML poster grid: time to first frame and frame times while scrolling (catalog.py "grid").

Run as a subprocess by bench/catalog.py (one process per variant and motion):

    python bench/_grid_bench.py generate DIR [--count 300]
    python bench/_grid_bench.py run {images,posters,rects} {keys,flick,stress} DIR
                               [--items 10000] [--seconds 5] [--keys-per-s 30]
                               [--flick-px-s 4000] [--stress-px-s 30000]

`generate` writes w342-sized (342x513) photo-like JPEG posters of TMDB's weight (30-40 kB)
into an ImageCache's directory, as the cache stores "tmdb:w342:/pNNNN.jpg", then has the
app's own code (ImageCache.thumbnail + ui.image_provider.make_thumbnail) make the card
thumbnails, and prints what that cost as one JSON line.

"images" is the product: the real MediaGrid.qml / PosterCard.qml where Browse puts it,
every card's URL from the app's `ImageUrls.card_url` (the card thumbnail), plus
"?card=N" so every card decodes afresh, like distinct posters. "posters" is the same grid
fed the full w342 files (`ImageUrls.url`, what cards got before thumbnails: QML decodes
342x513 and scales down per card). "rects" is the reference: a bare GridView of plain
rectangles with a title, same cells and keyboard navigation.

Motions: "keys" holds Down like a remote (one key-repeat press every 1/keys-per-s s, so
the grid's own keyboard navigation moves the current card, its focus scale-up and the
highlight-range scrolling); "flick" and "stress" scroll contentY at a constant speed.

`run` prints one JSON line: first-frame times and the frameSwapped intervals while moving.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import time

T0 = time.perf_counter()
SPAWNED = float(os.environ.get("GRID_BENCH_SPAWNED", "0"))  # parent's time.time() at spawn

from pathlib import Path  # noqa: E402

from PySide6.QtCore import (  # noqa: E402
    QAbstractListModel,
    QByteArray,
    QEasingCurve,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QPropertyAnimation,
    QRectF,
    Qt,
    QTimer,
    QUrl,
)
from PySide6.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QLinearGradient,
    QPainter,
    QRadialGradient,
)
from PySide6.QtQml import QQmlApplicationEngine  # noqa: E402
from PySide6.QtQuick import QQuickItem, QQuickWindow, QSGRendererInterface  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from miauflix_desktop.services.catalog.images import ImageCache  # noqa: E402
from miauflix_desktop.ui.image_provider import CARD_SIZE, ImageUrls, make_thumbnail  # noqa: E402

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


def _refs(count: int) -> list[str]:
    return [f"tmdb:w342:/p{i:04d}.jpg" for i in range(count)]


def _poster(i: int) -> QImage:
    """A 342x513 poster that compresses like a photo: gradients, soft shapes, grain, a title."""
    rnd = random.Random(i)
    img = QImage(342, 513, QImage.Format.Format_RGB32)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    bg = QLinearGradient(0, 0, 342, 513)
    bg.setColorAt(0, QColor.fromHsv((i * 47) % 360, 160, 140))
    bg.setColorAt(1, QColor.fromHsv((i * 47 + 120) % 360, 200, 40))
    p.fillRect(img.rect(), bg)
    p.setPen(Qt.PenStyle.NoPen)
    for _ in range(40):
        x, y, r = rnd.uniform(0, 342), rnd.uniform(0, 513), rnd.uniform(10, 120)
        blob = QRadialGradient(QPointF(x, y), r)
        c = QColor.fromHsv(rnd.randrange(360), rnd.randrange(60, 255), rnd.randrange(40, 255), 200)
        clear = QColor(c)
        clear.setAlpha(0)
        blob.setColorAt(0, c)
        blob.setColorAt(1, clear)
        p.setBrush(QBrush(blob))
        p.drawEllipse(QPointF(x, y), r, r)
    grain = QImage(rnd.randbytes(128 * 128), 128, 128, 128, QImage.Format.Format_Grayscale8)
    p.setOpacity(0.12)
    p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Overlay)
    for ty in range(0, 513, 128):
        for tx in range(0, 342, 128):
            p.drawImage(tx, ty, grain)
    p.setOpacity(1)
    p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
    font = QFont()
    font.setPixelSize(40)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(QRectF(10, 380, 322, 120),
               Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, f"Film #{i}")
    p.end()
    return img


def generate(folder: str, count: int) -> dict[str, object]:
    """TMDB w342 posters in an ImageCache, then their card thumbnails (the app's code)."""
    cache = ImageCache(Path(folder))
    refs = _refs(count)
    for i, ref in enumerate(refs):
        target = cache.target(ref)
        assert target is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        _poster(i).save(str(target), "JPEG", 85)

    async def thumbnails() -> float:
        await cache.start()
        try:
            t = time.perf_counter()
            for ref in refs:
                if await cache.thumbnail(ref, *CARD_SIZE, make_thumbnail) is None:
                    raise SystemExit(f"no thumbnail for {ref}")
            return time.perf_counter() - t
        finally:
            await cache.stop()

    seconds = asyncio.run(thumbnails())
    posters = [cache.cached_path(r) for r in refs]
    thumbs = [cache.cached_thumbnail(r, *CARD_SIZE) for r in refs]
    return {"posters": count,
            "poster_kb": sum(p.stat().st_size for p in posters if p) / count / 1024,
            "thumb_kb": sum(t.stat().st_size for t in thumbs if t) / count / 1024,
            "thumb_ms": seconds * 1000 / count}


def _thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name (Linux /proc): GUI/render, llvmpipe, image reader..."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = name.rstrip("0123456789-:") or name
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


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
    cache = ImageCache(Path(folder))
    refs = [r for r in _refs(10_000) if cache.cached_path(r) is not None]
    # The app's resolver; every file is on disk, so no download (and no loop) is needed.
    resolve = ImageUrls(cache, card_size=CARD_SIZE)
    urls = [resolve.card_url(r) if mode == "images" else resolve.url(r) for r in refs]
    if mode == "images" and not all("/thumb/" in u for u in urls):
        raise SystemExit("the posters have no card thumbnails: run `generate` first")
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
    threads: dict[str, dict[str, float]] = {}

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

    # Posters that reached the screen while moving: every card Image's progress reaching 1
    # (delegates are pooled, so the scan every 250 ms finds the few new Image items).
    watched: set[int] = set()
    shown: set[str] = set()

    def count_ready(image: QQuickItem, progress: float) -> None:
        if moving["on"] and progress >= 1.0:
            shown.add(image.property("source").toString())

    def watch_images() -> None:
        stack = [grid]
        while stack:
            it = stack.pop()
            if it.inherits("QQuickImage") and id(it) not in watched:
                watched.add(id(it))
                # (statusChanged's enum argument does not convert in PySide6 6.11)
                it.progressChanged.connect(lambda v, i=it: count_ready(i, v))
            stack.extend(it.childItems())

    scan = QTimer()
    scan.timeout.connect(watch_images)

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
        if mode != "rects":
            card = _find(win.contentItem(), "card_bench_1")
            if (card.width(), card.height()) != CARD_SIZE:
                print(f"warning: cards are {card.width()}x{card.height()}, thumbnails "
                      f"{CARD_SIZE[0]}x{CARD_SIZE[1]}", file=sys.stderr)
        res["grid"] = (f"{cols}x{grid.height() / grid.property('cellHeight'):.1f} cards "
                       f"of {grid.property('cellWidth'):.0f}x{grid.property('cellHeight'):.0f}"
                       f" in {grid.width():.0f}x{grid.height():.0f}")
        res["focus"] = win.activeFocusItem().objectName() if win.activeFocusItem() else ""
        watch_images()
        scan.start(250)
        moving["on"] = True
        cpu["start"] = time.process_time()
        threads["start"] = _thread_cpu() if sys.platform == "linux" else {}
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
        if sys.platform == "linux":
            before = threads["start"]
            res["thread_cpu_s"] = {k: round(v - before.get(k, 0.0), 2)
                                   for k, v in _thread_cpu().items()
                                   if v - before.get(k, 0.0) >= 0.01}
        timer.stop()
        scroller.stop()
        if motion == "keys":
            QGuiApplication.sendEvent(win, QKeyEvent(
                QEvent.Type.KeyRelease, Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier))
            res["current_index"] = grid.property("currentIndex")
        scan.stop()
        res["posters_shown"] = len(shown)
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
    r.add_argument("mode", choices=("images", "posters", "rects"))
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
        print(json.dumps(generate(args.folder, args.count)))
    else:
        print(json.dumps(run(args.mode, args.motion, args.folder, args.items, args.seconds,
                             args.keys_per_s, args.flick_px_s, args.stress_px_s)))


if __name__ == "__main__":
    main()
