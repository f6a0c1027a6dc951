"""ImageCache: posters and backdrops on disk by TMDB size, fetched once, capped by an LRU.

Image references (MediaItem.poster/backdrop) are resolved to local files:
- a local path passes through (when it exists);
- "tmdb:<size>:<path>" (e.g. "tmdb:w342:/abc.jpg") is downloaded once from the image
  base URL into cache_dir/<size>/<file>;
- an http(s) URL is downloaded once into cache_dir/url/<sha1>.<ext>.

Downloads are validated by magic bytes (HTML error pages and truncated garbage never
reach the decoder), written atomically, and evicted least-recently-used when the cache
grows beyond its byte cap. No Qt here: the UI's image provider calls `get()`.

Thumbnails: grids and shelves show thousands of posters at card size, and decoding a
w342 JPEG and scaling it down on every card scrolled in cost the software renderer its
frames (docs/benchmarks.md). `thumbnail(ref, w, h, make)` keeps a card-sized copy next to
the original (cache_dir/thumb/<w>x<h>/...), made once, in one worker thread (never more
than one core), by `make` -- a function the UI supplies (the decoder is Qt's, and this
layer has no Qt). Thumbnails are ordinary cache files: counted, LRU-evicted, validated.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

TMDB_IMAGE_BASE = "https://image.tmdb.org/t/p/"
# The sizes TMDB serves; anything else would be a 404 (and a path-traversal vector).
TMDB_SIZES = frozenset({"w92", "w154", "w185", "w300", "w342", "w500", "w780", "w1280",
                        "h632", "original"})
# A poster is ~30-300 kB and an "original" backdrop a few MB; more than this is not an image
# we want (and a misbehaving server must not fill the disk through us).
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# After a failed download, wait before asking the network again for that ref: a grid of
# 40 posters while offline must not turn into 40 requests per scroll step.
RETRY_AFTER_S = 30.0
# Evict down to this fraction of the cap, so a full cache does not evict on every write.
EVICT_TO = 0.9
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
THUMB_DIR = "thumb"

# Makes a thumbnail: (source file, width, height) -> encoded image bytes, or None when the
# source is not worth thumbnailing (already that small) or cannot be decoded. Runs in a
# worker thread.
Thumbnailer = Callable[[Path, int, int], bytes | None]


def image_kind(head: bytes) -> str | None:
    """The image format from the first bytes, or None when it is not an image we decode."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _file_kind(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return image_kind(f.read(12))
    except OSError:
        return None


class ImageCache:
    """Resolves image refs to local files; lifecycle Service (start/stop)."""

    def __init__(
        self,
        cache_dir: Path,
        base_url: str = TMDB_IMAGE_BASE,
        max_bytes: int = 512 * 1024 * 1024,
        timeout: float = 15.0,
        retry_after: float = RETRY_AFTER_S,
    ) -> None:
        self._dir = cache_dir
        self._base = base_url if base_url.endswith("/") else base_url + "/"
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._retry_after = retry_after
        self._client: httpx.AsyncClient | None = None
        self._inflight: dict[str, asyncio.Task[Path | None]] = {}
        self._failed: dict[str, float] = {}  # ref -> monotonic time of the last failure
        self._total = 0  # bytes in the cache, kept incrementally after the start scan
        self.downloads = 0  # successful network fetches (diagnostics, tests)
        self.thumbnails = 0  # thumbnails made (diagnostics, tests)
        self._thumb_inflight: dict[Path, asyncio.Future[Path | None]] = {}
        self._no_thumb: set[Path] = set()  # thumbnails `make` declined (small, undecodable)
        self._thumb_pool: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def cache_dir(self) -> Path:
        return self._dir

    @property
    def total_bytes(self) -> int:
        return self._total

    async def start(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=True)
        self._total = await asyncio.to_thread(self._scan_total)

    async def stop(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._inflight.clear()
        thumbs = list(self._thumb_inflight.values())
        for fut in thumbs:
            fut.cancel()
        if thumbs:
            await asyncio.gather(*thumbs, return_exceptions=True)
        self._thumb_inflight.clear()
        if self._thumb_pool is not None:
            self._thumb_pool.shutdown(wait=False, cancel_futures=True)
            self._thumb_pool = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def cleanup(self) -> int:
        """The cacheCleanup job: drop crash leftovers and trim to the cap; files removed."""
        def run() -> int:
            before = len(self._files())  # also deletes stale .part files
            if self._scan_total() > self._max_bytes:
                self._evict(keep=self._dir)
            self._total = self._scan_total()
            return max(0, before - len(self._files()))

        return await asyncio.to_thread(run)

    # -- resolving -----------------------------------------------------------------

    def target(self, ref: str) -> Path | None:
        """Where a remote ref lives in the cache; None for refs that are not cacheable."""
        if ref.startswith("tmdb:"):
            parts = ref.split(":", 2)
            if len(parts) != 3:
                return None
            size, path = parts[1], parts[2].lstrip("/")
            if size not in TMDB_SIZES or not _SAFE_NAME.match(path):
                return None
            return self._dir / size / path
        if ref.startswith(("http://", "https://")):
            digest = hashlib.sha1(ref.encode()).hexdigest()
            suffix = Path(ref.split("?", 1)[0]).suffix.lower()
            suffix = suffix if suffix in (".jpg", ".jpeg", ".png", ".webp", ".gif") else ""
            return self._dir / "url" / f"{digest}{suffix}"
        return None

    def _url(self, ref: str) -> str:
        if ref.startswith("tmdb:"):
            _, size, path = ref.split(":", 2)
            return f"{self._base}{size}/{path.lstrip('/')}"
        return ref

    def cached_path(self, ref: str) -> Path | None:
        """The local file for ref if it is already here (stat only, no network, no read)."""
        if not ref:
            return None
        target = self.target(ref)
        if target is None:
            if ref.startswith(("tmdb:", "http://", "https://")):
                return None
            local = Path(ref)
            return local if local.is_file() else None
        return target if target.is_file() else None

    async def get(self, ref: str) -> Path | None:
        """The local file for ref, downloading it once if needed; None -> placeholder.

        Never raises for bad refs, network errors or garbage: the UI shows a placeholder
        and a later call (after RETRY_AFTER_S) tries the network again.
        """
        if not ref:
            return None
        target = self.target(ref)
        if target is None:
            if ref.startswith(("tmdb:", "http://", "https://")):
                log.debug("not a cacheable image ref: %r", ref)
                return None
            local = Path(ref)
            return local if local.is_file() else None
        if target.is_file():
            if _file_kind(target) is None:
                # Damaged on disk (e.g. by hand): drop it and fetch again.
                with contextlib.suppress(OSError):
                    self._total -= target.stat().st_size
                self._remove(target)
            else:
                self._touch(target)
                return target
        failed_at = self._failed.get(ref)
        if failed_at is not None and time.monotonic() - failed_at < self._retry_after:
            return None
        task = self._inflight.get(ref)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._download(ref, target),
                                                          name=f"image {ref}")
            self._inflight[ref] = task
            task.add_done_callback(lambda _t, r=ref: self._inflight.pop(r, None))
        # shield: one waiter giving up (a card scrolled away) must not cancel the shared
        # download the other waiters are still waiting for.
        return await asyncio.shield(task)

    # -- thumbnails ----------------------------------------------------------------------

    def thumb_target(self, ref: str, width: int, height: int) -> Path | None:
        """Where ref's width x height thumbnail lives; None for refs that are not cacheable."""
        target = self.target(ref)
        if target is None or width <= 0 or height <= 0:
            return None
        rel = target.relative_to(self._dir)
        return self._dir / THUMB_DIR / f"{width}x{height}" / rel.parent / f"{rel.name}.jpg"

    def cached_thumbnail(self, ref: str, width: int, height: int) -> Path | None:
        """ref's thumbnail if it is already made (stat only)."""
        thumb = self.thumb_target(ref, width, height) if ref else None
        return thumb if thumb is not None and thumb.is_file() else None

    def thumbnail_declined(self, ref: str, width: int, height: int) -> bool:
        """True when `make` said no for ref (show the original instead)."""
        thumb = self.thumb_target(ref, width, height) if ref else None
        return thumb is None or thumb in self._no_thumb

    async def thumbnail(self, ref: str, width: int, height: int,
                        make: Thumbnailer) -> Path | None:
        """ref at card size: made once from the original (downloaded first if needed).

        None when there is no original (placeholder) or `make` declined (the caller shows
        the original). Never raises for bad refs, network errors or undecodable files.
        """
        thumb = self.thumb_target(ref, width, height) if ref else None
        if thumb is None or thumb in self._no_thumb:
            return None
        if thumb.is_file():
            self._touch(thumb)
            return thumb
        source = await self.get(ref)
        if source is None:
            return None
        fut = self._thumb_inflight.get(thumb)
        if fut is None:
            task = asyncio.get_running_loop().create_task(
                self._make_thumb(source, thumb, width, height, make), name=f"thumb {ref}")
            self._thumb_inflight[thumb] = task
            task.add_done_callback(lambda _t, k=thumb: self._thumb_inflight.pop(k, None))
            fut = task
        return await asyncio.shield(fut)

    async def _make_thumb(self, source: Path, thumb: Path, width: int, height: int,
                          make: Thumbnailer) -> Path | None:
        if self._thumb_pool is None:
            # One worker: thumbnails never take both cores from the renderer.
            self._thumb_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="thumbnails")
        pool = self._thumb_pool

        def work() -> int | None:
            try:
                data = make(source, width, height)
            except Exception:  # a broken image must never break a screen
                log.exception("thumbnail of %s failed", source)
                data = None
            if not data or image_kind(data[:12]) is None:
                return None
            return self._write(thumb, data)

        size = await asyncio.get_running_loop().run_in_executor(pool, work)
        if size is None:
            self._no_thumb.add(thumb)
            return None
        self.thumbnails += 1
        self._total += size
        if self._total > self._max_bytes:
            await asyncio.to_thread(self._evict, thumb)
        return thumb

    async def _download(self, ref: str, target: Path) -> Path | None:
        if self._client is None:
            return None
        url = self._url(ref)
        try:
            data = await self._fetch(url)
        except (httpx.HTTPError, OSError, ValueError) as exc:
            log.info("image %s unavailable: %s", ref, exc)
            self._failed[ref] = time.monotonic()
            return None
        if image_kind(data[:12]) is None:
            log.warning("image %s is not an image (%d bytes); using a placeholder", ref, len(data))
            self._failed[ref] = time.monotonic()
            return None
        size = await asyncio.to_thread(self._write, target, data)
        self._failed.pop(ref, None)
        self.downloads += 1
        self._total += size
        if self._total > self._max_bytes:
            await asyncio.to_thread(self._evict, target)
        return target

    async def _fetch(self, url: str) -> bytes:
        assert self._client is not None
        async with self._client.stream("GET", url) as response:
            response.raise_for_status()
            chunks: list[bytes] = []
            got = 0
            async for chunk in response.aiter_bytes():
                got += len(chunk)
                if got > MAX_IMAGE_BYTES:
                    raise ValueError(f"larger than {MAX_IMAGE_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)

    # -- disk (run in a worker thread) -------------------------------------------------

    def _write(self, target: Path, data: bytes) -> int:
        """Atomic: a crash mid-write leaves a temp file, never a half image under the name."""
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.stat().st_size if target.exists() else 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return len(data) - old

    def _files(self) -> list[tuple[float, int, Path]]:
        out: list[tuple[float, int, Path]] = []
        for root, _dirs, names in os.walk(self._dir):
            for name in names:
                path = Path(root) / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                if name.startswith(".part-") and time.time() - st.st_mtime > 3600:
                    # Left behind by a crash during a write.
                    self._remove(path)
                    continue
                out.append((st.st_mtime, st.st_size, path))
        return out

    def _scan_total(self) -> int:
        return sum(size for _m, size, _p in self._files())

    def _evict(self, keep: Path) -> None:
        """Delete least-recently-used files (mtime = last access, see _touch) under the cap."""
        files = sorted(self._files())
        total = sum(size for _m, size, _p in files)
        goal = int(self._max_bytes * EVICT_TO)
        for _mtime, size, path in files:
            if total <= goal:
                break
            if path == keep:
                continue
            if self._remove(path):
                total -= size
        self._total = total

    @staticmethod
    def _touch(path: Path) -> None:
        # atime is unreliable (noatime/relatime mounts), so mtime records the last use.
        with contextlib.suppress(OSError):
            os.utime(path)

    @staticmethod
    def _remove(path: Path) -> bool:
        try:
            path.unlink()
            return True
        except OSError:
            return False
