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
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QUrl, Signal

log = logging.getLogger(__name__)

# After a failed fetch, the ref shows the placeholder for this long before trying again.
RETRY_AFTER_S = 60.0
_REMOTE = ("tmdb:", "http:", "https:")


class ImageSource(Protocol):
    """What the UI needs from services.catalog.images.ImageCache."""

    def cached_path(self, ref: str) -> Path | None: ...

    async def get(self, ref: str) -> Path | None: ...


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


class ImageUrls:
    """Resolves refs to file URLs, fetching missing ones through the ImageCache."""

    def __init__(self, source: ImageSource | None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._source = source
        self._loop = loop
        self._known: dict[str, Path] = {}
        self._failed: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}

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

    def _fetch(self, ref: str) -> None:
        failed_at = self._failed.get(ref)
        if ref in self._tasks or (failed_at is not None
                                  and time.monotonic() - failed_at < RETRY_AFTER_S):
            return
        loop = self._loop or asyncio.get_event_loop()
        task = loop.create_task(self._get(ref), name=f"image {ref}")
        self._tasks[ref] = task
        task.add_done_callback(lambda _t, r=ref: self._tasks.pop(r, None))

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


def image_url(ref: str | None) -> str:
    """A ref (local path, URL, "tmdb:<size>:<path>") as a URL QML can load, or "" for the
    placeholder (and, for a remote ref not on disk yet, a download in the background)."""
    if _resolver is not None:
        return _resolver.url(ref)
    if not ref or ref.startswith(_REMOTE):
        return ""
    local = Path(ref)
    return file_url(local) if local.is_file() else ""
