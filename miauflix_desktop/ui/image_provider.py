"""Image refs -> URLs QML can load without Python: cached files as file:// URLs.

Why not a Python QQuickAsyncImageProvider: Qt calls a provider's requestImageResponse()
(and cancel()) on its pixmap-reader thread while holding the reader mutex (PySide6's Qt
is built without quick_pixmap_cache_threaded_download). The Python override needs the
GIL; the GUI thread, running Python (a slot, a model reset), starts the next image load
and blocks on that mutex while holding the GIL: a deadlock, seen here on a window resize.

So images take this path instead, with no Python on any Qt thread but the GUI thread:
a model asks `image_url(ref)`; a file already on disk (local path, or in the ImageCache)
becomes a file:// URL that QML decodes on its own loader thread at the Image's
`sourceSize` (grids never decode full-size images); anything else returns "" (QML shows
its placeholder) and starts one download on the asyncio loop. When it lands,
`image_hub().resolved` tells the models, which refresh just the affected rows.
A missing, refused or corrupt image stays "" (or Image.Error): the placeholder.

Cards (grids, shelves) ask `card_image_url(ref)` instead: a thumbnail at the card's size,
made once by the ImageCache with `make_thumbnail` (Qt's decoder, in the cache's one
worker thread -- plain Python in a thread, not on Qt's loader thread) right after the
download. QML then decodes a 240x360 JPEG 1:1 instead of a w342 one plus a smooth
downscale for every card scrolled in: on the software renderer that decoding was what
cost grids their frames (docs/benchmarks.md). Details keeps the full poster (image_url).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage, QImageReader

log = logging.getLogger(__name__)

# After a failed fetch, the ref shows the placeholder for this long before trying again.
RETRY_AFTER_S = 60.0
_REMOTE = ("tmdb:", "http:", "https:")
# Theme.cardWidth x Theme.cardHeight at scale 1 (1920x1080), and the thumbnails' quality.
CARD_SIZE = (240, 360)
THUMB_QUALITY = 85


class ImageSource(Protocol):
    """What the UI needs from services.catalog.images.ImageCache."""

    def cached_path(self, ref: str) -> Path | None: ...

    async def get(self, ref: str) -> Path | None: ...

    def cached_thumbnail(self, ref: str, width: int, height: int) -> Path | None: ...

    def thumbnail_declined(self, ref: str, width: int, height: int) -> bool: ...

    async def thumbnail(self, ref: str, width: int, height: int,
                        make: Callable[[Path, int, int], bytes | None]) -> Path | None: ...


class ImageHub(QObject):
    """Process-wide notifier: models connect once, whatever resolver is installed later."""

    resolved = Signal(str)  # the ref whose file is now on disk


_hub: ImageHub | None = None
_resolver: ImageUrls | None = None


def image_hub() -> ImageHub:
    global _hub
    if _hub is None:
        _hub = ImageHub()
    return _hub


def file_url(path: Path) -> str:
    return QUrl.fromLocalFile(str(path.absolute())).toString()


def make_thumbnail(source: Path, width: int, height: int) -> bytes | None:
    """source scaled to cover width x height (as PreserveAspectCrop shows it), as JPEG.

    None when a thumbnail would not help: the source is not larger than the card, has
    transparency (JPEG has none), or does not decode. Thread-safe (QImage, no GUI).
    """
    reader = QImageReader(str(source))
    reader.setAutoTransform(False)  # like QML's Image (autoTransform: false)
    size = reader.size()
    if not size.isValid() or size.width() <= 0 or size.height() <= 0:
        return None
    scale = max(width / size.width(), height / size.height())
    if scale >= 1.0:
        return None
    reader.setScaledSize(QSize(max(1, round(size.width() * scale)),
                               max(1, round(size.height() * scale))))
    image = reader.read()
    if image.isNull() or image.hasAlphaChannel():
        return None
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.convertToFormat(QImage.Format.Format_RGB32).save(buffer, "JPEG",
                                                                    THUMB_QUALITY):
        return None
    return bytes(data.data())


def screen_card_size() -> tuple[int, int]:
    """The cards' size on a full-screen window on the primary screen, in device pixels
    (Main.qml scales Theme by min(width/1920, height/1080))."""
    app = QGuiApplication.instance()
    screen = app.primaryScreen() if isinstance(app, QGuiApplication) else None
    if screen is None:
        return CARD_SIZE
    size = screen.size()
    scale = max(0.25, min(size.width() / 1920, size.height() / 1080))
    scale *= screen.devicePixelRatio()
    return round(CARD_SIZE[0] * scale), round(CARD_SIZE[1] * scale)


class ImageUrls:
    """Resolves refs to file URLs, fetching missing ones through the ImageCache."""

    def __init__(self, source: ImageSource | None,
                 loop: asyncio.AbstractEventLoop | None = None,
                 card_size: tuple[int, int] | None = None) -> None:
        self._source = source
        self._loop = loop
        self._card_size = card_size
        self._known: dict[str, Path] = {}
        self._failed: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        # ref -> its card thumbnail, or None: no thumbnail, cards show the original.
        self._thumbs: dict[str, Path | None] = {}

    @property
    def card_size(self) -> tuple[int, int]:
        if self._card_size is None:
            self._card_size = screen_card_size()
        return self._card_size

    def url(self, ref: str | None) -> str:
        if not ref:
            return ""
        known = self._known.get(ref)
        if known is not None:
            return file_url(known)
        if not ref.startswith(_REMOTE):
            local = Path(ref)
            return file_url(local) if local.is_file() else ""
        if self._source is None:
            return ""
        cached = self._source.cached_path(ref)
        if cached is not None:
            self._known[ref] = cached
            return file_url(cached)
        self._fetch(ref)
        return ""

    def card_url(self, ref: str | None) -> str:
        """ref for a poster card: its card-sized thumbnail, made (after the download) when
        missing -- "" meanwhile; the original where a thumbnail would not help."""
        if not ref:
            return ""
        if not ref.startswith(_REMOTE) or self._source is None:
            return self.url(ref)
        if ref in self._thumbs:
            thumb = self._thumbs[ref]
            return file_url(thumb) if thumb is not None else self.url(ref)
        width, height = self.card_size
        cached = self._source.cached_thumbnail(ref, width, height)
        if cached is not None:
            self._thumbs[ref] = cached
            return file_url(cached)
        if self._source.thumbnail_declined(ref, width, height):
            self._thumbs[ref] = None
            return self.url(ref)
        self._fetch(ref, card=True)
        return ""

    def _fetch(self, ref: str, card: bool = False) -> None:
        key = f"card {ref}" if card else ref
        failed_at = self._failed.get(key)
        if key in self._tasks or (failed_at is not None
                                  and time.monotonic() - failed_at < RETRY_AFTER_S):
            return
        loop = self._loop or asyncio.get_event_loop()
        work = self._get_thumb(ref, key) if card else self._get(ref)
        task = loop.create_task(work, name=f"image {key}")
        self._tasks[key] = task
        task.add_done_callback(lambda _t, k=key: self._tasks.pop(k, None))

    async def _get_thumb(self, ref: str, key: str) -> None:
        assert self._source is not None
        width, height = self.card_size
        try:
            thumb = await self._source.thumbnail(ref, width, height, make_thumbnail)
        except Exception:  # a broken image must never break a screen
            log.exception("thumbnail of %r failed", ref)
            thumb = None
        if thumb is None:
            if not self._source.thumbnail_declined(ref, width, height):
                self._failed[key] = time.monotonic()  # no original: the placeholder
                return
            # Already small (or not JPEG-able): cards show the original, if it is here.
            self._thumbs[ref] = None
            if self._source.cached_path(ref) is None:
                return
        else:
            self._thumbs[ref] = thumb
        self._failed.pop(key, None)
        image_hub().resolved.emit(ref)

    async def _get(self, ref: str) -> None:
        assert self._source is not None
        try:
            path = await self._source.get(ref)
        except Exception:  # a broken image must never break a screen
            log.exception("image %r failed", ref)
            path = None
        if path is None:
            self._failed[ref] = time.monotonic()
            return
        self._failed.pop(ref, None)
        self._known[ref] = path
        image_hub().resolved.emit(ref)

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def install(resolver: ImageUrls | None) -> None:
    """Make `resolver` the one image_url() uses (the shell does this when it loads)."""
    global _resolver
    _resolver = resolver


def card_image_url(ref: str | None) -> str:
    """image_url for poster cards (grids, shelves): the card-sized thumbnail's URL."""
    if _resolver is not None:
        return _resolver.card_url(ref)
    return image_url(ref)


def image_url(ref: str | None) -> str:
    """A ref (local path, URL, "tmdb:<size>:<path>") as a URL QML can load, or "" for the
    placeholder (and, for a remote ref not on disk yet, a download in the background)."""
    if _resolver is not None:
        return _resolver.url(ref)
    if not ref or ref.startswith(_REMOTE):
        return ""
    local = Path(ref)
    return file_url(local) if local.is_file() else ""
