"""Generate the demo library's media files once with ffmpeg, verify them, regenerate damaged ones.

Layout under ``root``::

    <slug>/<filename>           content dir: exactly the media file (torrents are made over it)
    _art/<slug>-poster.jpg      2:3 poster made from a frame
    _art/<slug>-backdrop.jpg    16:9 frame
    demo-manifest.json          size + sha256 of every file, written after successful generation
    .tmp/                       work files; emptied on every run, renamed into place when complete
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from miauflix_desktop.core.errors import DemoMediaError, MissingDependencyError

log = logging.getLogger(__name__)

DEFAULT_DURATION_S = 60.0
MANIFEST_NAME = "demo-manifest.json"
ART_DIR_NAME = "_art"
TMP_DIR_NAME = ".tmp"

# Bump when a recipe changes in a way the dataclass repr below would not capture (e.g. a
# change in how commands are assembled), so existing libraries are regenerated once.
_RECIPE_VERSION = 1
# Container durations drift from the requested one by AAC priming and frame rounding
# (tens of ms); a second is far below what any truncation that survives the size check
# would cost, and well above encoder noise.
_DURATION_TOLERANCE_S = 1.0
# A single encode of 60 s takes ~30 s on 2 cores; ten minutes means ffmpeg is stuck.
_FFMPEG_TIMEOUT_S = 600.0
# How often a running ffmpeg checks for cancellation: fast enough that quitting feels
# immediate, slow enough to cost nothing.
_CANCEL_POLL_S = 0.1
# The cancel event of the ensure_demo_media call running on this thread.
_local = threading.local()


class DemoMediaCancelled(DemoMediaError):
    """Generation was stopped on request (the app is quitting)."""
_POSTER_SIZE = (500, 750)
_BACKDROP_SIZE = (1280, 720)
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
)
# Font paths go into a filtergraph unquoted; anything outside this set would need two
# levels of ffmpeg escaping, so such fonts are simply not used (poster stays plain).
_SAFE_FILTER_PATH = re.compile(r"^[A-Za-z0-9/._-]+$")


@dataclass(frozen=True)
class DemoTitle:
    slug: str
    title: str
    overview: str
    year: int
    filename: str
    container: str  # "mp4" | "mkv"
    duration_s: float


@dataclass(frozen=True)
class DemoAsset:
    title: DemoTitle
    content_dir: Path
    media_path: Path
    poster_path: Path
    backdrop_path: Path


DEMO_TITLES: tuple[DemoTitle, ...] = (
    DemoTitle(
        slug="big-cat-sunrise",
        title="Big Cat Sunrise",
        overview=(
            "A lion-hearted tabby greets the dawn from the rooftop. "
            "1080p H.264/AAC MP4 with the index at the front (faststart)."
        ),
        year=2024,
        filename="big-cat-sunrise.mp4",
        container="mp4",
        duration_s=DEFAULT_DURATION_S,
    ),
    DemoTitle(
        slug="whisker-waves",
        title="Whisker Waves",
        overview=(
            "Two cats, two languages, one cardboard boat. "
            "HEVC MKV with English and German audio and English subtitles."
        ),
        year=2023,
        filename="whisker-waves.mkv",
        container="mkv",
        duration_s=DEFAULT_DURATION_S,
    ),
    DemoTitle(
        slug="midnight-zoomies",
        title="Midnight Zoomies",
        overview=(
            "At 3 a.m. the hallway becomes a racetrack. "
            "720p H.264/AAC MP4 with the index at the end (no faststart)."
        ),
        year=2025,
        filename="midnight-zoomies.mp4",
        container="mp4",
        duration_s=DEFAULT_DURATION_S,
    ),
)


@dataclass(frozen=True)
class _AudioTrack:
    language: str  # ISO 639-2, what players show and pick by
    label: str
    frequency_hz: int  # distinct tones so a test (or an ear) can tell the tracks apart
    codec: str
    bitrate: str


@dataclass(frozen=True)
class _Recipe:
    """How one title is made; also what its validation expects back from ffprobe."""

    video_inputs: tuple[str, ...]  # lavfi sources, in input order
    video_graph: str | None  # filter_complex over the video inputs, output labelled [v]
    video_codec: str  # ffmpeg codec name as ffprobe reports it
    video_args: tuple[str, ...]
    audio: tuple[_AudioTrack, ...]
    subtitles_language: str | None
    faststart: bool  # mp4 only: moov before mdat
    quality: str  # how a release list would name its resolution


# Keyframes every second keep seeks (and the first frame after a seek) fast; a steady
# bitrate (maxrate/bufsize) spreads bytes evenly over torrent pieces.
_FPS = 24
_X264_ARGS = (
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    "-g", str(_FPS), "-keyint_min", str(_FPS), "-sc_threshold", "0",
)  # fmt: skip

_X265_ARGS = (
    "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "1000k",
    "-x265-params",
    f"log-level=error:keyint={_FPS}:min-keyint={_FPS}:scenecut=0"
    ":vbv-maxrate=1500:vbv-bufsize=2000",
)  # fmt: skip

_RECIPES: dict[str, _Recipe] = {
    "big-cat-sunrise": _Recipe(
        # testsrc2 burns a running timecode in, handy when checking seeks by eye.
        video_inputs=(f"testsrc2=size=1920x1080:rate={_FPS}",),
        video_graph=None,
        video_codec="h264",
        video_args=(*_X264_ARGS, "-b:v", "1500k", "-maxrate", "2250k", "-bufsize", "3000k"),
        audio=(_AudioTrack("eng", "English", 440, "aac", "128k"),),
        subtitles_language=None,
        faststart=True,
        quality="1080p",
    ),
    "whisker-waves": _Recipe(
        # 960x540, not 1080p: libx265 ultrafast encodes ~2x realtime at 540p on 2 cores
        # (1080p would take well over a minute per minute). Gradients are rendered small
        # and scaled up because the generator itself is single-threaded and slow.
        video_inputs=(
            f"gradients=size=240x135:rate={_FPS}:speed=0.02:n=4:seed=7"
            ":c0=0xff6b35:c1=0x2ec4b6:c2=0xffd23f:c3=0x9b5de5",
        ),
        video_graph="[0:v]scale=960:540,setsar=1[v]",
        video_codec="hevc",
        video_args=_X265_ARGS,
        # AC3 matches what real HEVC releases carry (and what TVs may not decode).
        audio=(
            _AudioTrack("eng", "English", 330, "ac3", "192k"),
            _AudioTrack("deu", "Deutsch", 660, "ac3", "192k"),
        ),
        subtitles_language="eng",
        faststart=False,
        quality="540p",
    ),
    "midnight-zoomies": _Recipe(
        # A small test pattern crossing colour bars: motion on a distinct background.
        video_inputs=(
            f"smptehdbars=size=1280x720:rate={_FPS}",
            f"testsrc2=size=320x180:rate={_FPS}",
        ),
        video_graph=("[0:v][1:v]overlay=x='mod(t*160\\,W-w)':y='(H-h)/2+sin(t)*150',setsar=1[v]"),
        video_codec="h264",
        video_args=(*_X264_ARGS, "-b:v", "1500k", "-maxrate", "2250k", "-bufsize", "3000k"),
        audio=(_AudioTrack("eng", "English", 550, "aac", "128k"),),
        subtitles_language=None,
        # Deliberately without faststart: the player must cope with moov at the end.
        faststart=False,
        quality="720p",
    ),
}


def release_facts(slug: str) -> tuple[str, str]:
    """(quality, video codec) of a demo title, as its source row shows them."""
    recipe = _RECIPES[slug]
    return recipe.quality, _CODEC_LABELS.get(recipe.video_codec, recipe.video_codec)


_CODEC_LABELS = {"h264": "x264", "hevc": "x265"}


def check_ffmpeg() -> None:
    """Raise MissingDependencyError unless both ffmpeg and ffprobe are on PATH."""
    for program in ("ffmpeg", "ffprobe"):
        if shutil.which(program) is None:
            raise MissingDependencyError("ffmpeg", "apt-get install ffmpeg")


def demo_asset(root: Path, title: DemoTitle) -> DemoAsset:
    """Where a title's files live under root (nothing is generated or checked)."""
    content_dir = root / title.slug
    art_dir = root / ART_DIR_NAME
    return DemoAsset(
        title=title,
        content_dir=content_dir,
        media_path=content_dir / title.filename,
        poster_path=art_dir / f"{title.slug}-poster.jpg",
        backdrop_path=art_dir / f"{title.slug}-backdrop.jpg",
    )


def ensure_demo_media(
    root: Path,
    *,
    duration_s: float | None = None,
    progress: Callable[[str], None] | None = None,
    verify_hashes: bool = False,
    cancel: threading.Event | None = None,
) -> list[DemoAsset]:
    """Make sure every demo title's media, poster and backdrop exist and are intact.

    Idempotent: valid files are left untouched (their mtimes do not change); missing,
    truncated or otherwise damaged ones are regenerated. ``duration_s`` overrides every
    title's duration (a library made for another duration is regenerated).
    ``verify_hashes`` also compares sha256 with the manifest (slower; size is the default).
    Setting ``cancel`` kills the running ffmpeg and raises DemoMediaCancelled, so an app
    asked to quit while generating exits at once instead of finishing a minute of encoding.
    """
    _local.cancel = cancel
    if duration_s is not None and duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    check_ffmpeg()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda _message: None)
    started = time.monotonic()
    assets: list[DemoAsset] = []
    with _exclusive(root):
        tmp_dir = root / TMP_DIR_NAME
        # Leftovers of an interrupted run are never trusted: they were not renamed into place.
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir()
        manifest = _load_manifest(root)
        try:
            for index, title in enumerate(DEMO_TITLES, start=1):
                duration = duration_s if duration_s is not None else title.duration_s
                asset = demo_asset(root, title)
                changed = _ensure_title(
                    asset, duration, manifest, tmp_dir, verify_hashes,
                    lambda message, i=index: report(f"[{i}/{len(DEMO_TITLES)}] {message}"),
                )  # fmt: skip
                if changed:
                    # Saved per title so an interrupted run keeps what it finished.
                    _save_manifest(root, manifest, tmp_dir)
                assets.append(asset)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    log.info("Demo media ready in %s (%.1f s)", root, time.monotonic() - started)
    report("Demo media ready")
    return assets


# --- one title ------------------------------------------------------------------------


def _ensure_title(
    asset: DemoAsset,
    duration: float,
    manifest: dict[str, Any],
    tmp_dir: Path,
    verify_hashes: bool,
    report: Callable[[str], None],
) -> bool:
    """Bring one title's files up to date; returns whether anything was (re)generated."""
    title = asset.title
    recipe = _RECIPES[title.slug]
    fingerprint = _fingerprint(title, recipe, duration)
    entry = manifest["titles"].get(title.slug)
    # Files without a manifest entry (manifest lost or deleted) are adopted when ffprobe
    # and the JPEG check vouch for them; files made by another recipe never are.
    adopt = entry is None
    if entry is not None and entry.get("fingerprint") != fingerprint:
        log.info("Demo %s was made with another recipe or duration; regenerating", title.slug)
        entry = None
    records: dict[str, Any] = dict(entry["files"]) if entry else {}
    root = asset.content_dir.parent

    def key(path: Path) -> str:
        return path.relative_to(root).as_posix()

    def present(path: Path) -> bool:
        record = records.get(key(path))
        if record is None and adopt and path.is_file():
            record = records[key(path)] = _record(path)
        return _file_matches(path, record, verify_hashes)

    media_ok = present(asset.media_path)
    if media_ok:
        problem = _probe_problem(asset.media_path, title, recipe, duration)
        if problem:
            log.warning("Demo %s is damaged (%s); regenerating", asset.media_path, problem)
            media_ok = False
    changed = False
    if not media_ok:
        report(f"Generating {title.title} ({duration:g} s)")
        t0 = time.monotonic()
        _generate_media(asset, recipe, duration, tmp_dir)
        log.info("Generated %s in %.1f s", asset.media_path, time.monotonic() - t0)
        records[key(asset.media_path)] = _record(asset.media_path)
        changed = True
    for path, make in (
        (asset.backdrop_path, _make_backdrop),
        (asset.poster_path, _make_poster),
    ):
        # Art is derived from the media, so new media means new art.
        if media_ok and present(path) and _is_jpeg(path):
            continue
        report(f"Drawing {path.name}")
        make(asset, duration, tmp_dir)
        records[key(path)] = _record(path)
        changed = True
    if changed or entry is None:
        manifest["titles"][title.slug] = {"fingerprint": fingerprint, "files": records}
        changed = True
    return changed


def _file_matches(path: Path, record: dict[str, Any] | None, verify_hash: bool) -> bool:
    """Cheap integrity check against the manifest: present, same size, optionally same hash."""
    if record is None:
        return False
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size != record.get("size"):
        log.warning("%s has %d bytes, manifest says %s", path, size, record.get("size"))
        return False
    if verify_hash and _sha256(path) != record.get("sha256"):
        log.warning("%s does not match its manifest hash", path)
        return False
    return True


def _probe_problem(path: Path, title: DemoTitle, recipe: _Recipe, duration: float) -> str | None:
    """What ffprobe finds wrong with a media file (streams, duration, moov position), if any."""
    try:
        info = _ffprobe(path)
    except DemoMediaError as exc:
        return str(exc)
    streams = [(s.get("codec_type"), s.get("codec_name")) for s in info.get("streams", [])]
    if streams != _expected_streams(recipe):
        return f"streams {streams}"
    try:
        actual = float(info["format"]["duration"])
    except (KeyError, TypeError, ValueError):
        return "no duration"
    if abs(actual - duration) > _DURATION_TOLERANCE_S:
        return f"duration {actual:.2f} s, expected {duration:g} s"
    if title.container == "mp4":
        boxes = _mp4_top_level_boxes(path)
        if "moov" not in boxes or "mdat" not in boxes:
            return f"top-level boxes {boxes}"
        if (boxes.index("moov") < boxes.index("mdat")) != recipe.faststart:
            return "moov on the wrong side of mdat"
    return None


def _expected_streams(recipe: _Recipe) -> list[tuple[str, str]]:
    streams = [("video", recipe.video_codec)]
    streams += [("audio", track.codec) for track in recipe.audio]
    if recipe.subtitles_language:
        streams.append(("subtitle", "subrip"))
    return streams


# --- generation -----------------------------------------------------------------------


def _generate_media(asset: DemoAsset, recipe: _Recipe, duration: float, tmp_dir: Path) -> None:
    title = asset.title
    tmp_out = tmp_dir / f"{title.slug}.partial.{title.container}"
    cmd: list[str] = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for source in recipe.video_inputs:
        cmd += ["-f", "lavfi", "-i", source]
    for track in recipe.audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency={track.frequency_hz}:sample_rate=48000"]
    subtitle_input = len(recipe.video_inputs) + len(recipe.audio)
    if recipe.subtitles_language:
        srt = tmp_dir / f"{title.slug}.srt"
        srt.write_text(_srt_text(title, duration), encoding="utf-8")
        cmd += ["-i", str(srt)]
    if recipe.video_graph:
        cmd += ["-filter_complex", recipe.video_graph, "-map", "[v]"]
    else:
        cmd += ["-map", "0:v"]
    cmd += list(recipe.video_args)
    for i, track in enumerate(recipe.audio):
        cmd += [
            "-map", f"{len(recipe.video_inputs) + i}:a",
            f"-c:a:{i}", track.codec, f"-b:a:{i}", track.bitrate, f"-ac:a:{i}", "2",
            f"-metadata:s:a:{i}", f"language={track.language}",
            f"-metadata:s:a:{i}", f"title={track.label}",
            f"-disposition:a:{i}", "default" if i == 0 else "0",
        ]  # fmt: skip
    if recipe.subtitles_language:
        cmd += [
            "-map", f"{subtitle_input}:s", "-c:s", "srt",
            "-metadata:s:s:0", f"language={recipe.subtitles_language}",
            "-metadata:s:s:0", "title=English",
        ]  # fmt: skip
    cmd += ["-t", f"{duration:.3f}", "-metadata", f"title={title.title}"]
    if title.container == "mp4":
        cmd += ["-f", "mp4"]
        if recipe.faststart:
            cmd += ["-movflags", "+faststart"]
    else:
        cmd += ["-f", "matroska"]
    cmd.append(str(tmp_out))
    _run(cmd, f"encoding {title.filename}")
    asset.content_dir.mkdir(parents=True, exist_ok=True)
    _commit(tmp_out, asset.media_path)


def _srt_text(title: DemoTitle, duration: float) -> str:
    """One cue every 5 s, each 4 s long, all ending before the media does."""
    cues: list[str] = []
    start = 1.0
    number = 1
    while start + 4.0 <= duration - 0.5:
        cues.append(
            f"{number}\n{_srt_time(start)} --> {_srt_time(start + 4.0)}\n"
            f"{title.title}: subtitle {number}\n"
        )
        number += 1
        start += 5.0
    if not cues:  # very short test clips still get one cue
        end = max(duration - 0.1, 0.2)
        cues.append(f"1\n{_srt_time(0.0)} --> {_srt_time(end)}\n{title.title}: subtitle 1\n")
    return "\n".join(cues)


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def _frame_time(duration: float) -> float:
    # A third of the way in: past any start-up frames, same frame on every run.
    return round(duration / 3, 3)


def _make_backdrop(asset: DemoAsset, duration: float, tmp_dir: Path) -> None:
    width, height = _BACKDROP_SIZE
    _grab_frame(asset, duration, tmp_dir, asset.backdrop_path, f"scale={width}:{height},setsar=1")


def _make_poster(asset: DemoAsset, duration: float, tmp_dir: Path) -> None:
    width, height = _POSTER_SIZE
    crop = f"scale=-2:{height},crop={width}:{height},setsar=1"
    font = _font_path()
    if font is not None:
        # The title goes through a file so no escaping of user-visible text is needed;
        # ffmpeg runs with cwd=tmp_dir, so the bare name resolves there.
        text_file = tmp_dir / f"{asset.title.slug}-title.txt"
        text_file.write_text(asset.title.title, encoding="utf-8")
        drawtext = (
            f"drawtext=fontfile={font}:textfile={text_file.name}:fontsize=40:fontcolor=white"
            ":box=1:boxcolor=black@0.6:boxborderw=16:x=(w-text_w)/2:y=h-text_h-72"
        )
        try:
            _grab_frame(asset, duration, tmp_dir, asset.poster_path, f"{crop},{drawtext}")
            return
        except DemoMediaError:
            log.warning("drawtext failed; drawing a plain poster for %s", asset.title.slug)
    _grab_frame(asset, duration, tmp_dir, asset.poster_path, crop)


def _font_path() -> str | None:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file() and _SAFE_FILTER_PATH.match(candidate):
            return candidate
    return None


def _grab_frame(asset: DemoAsset, duration: float, tmp_dir: Path, dest: Path, vf: str) -> None:
    tmp_out = tmp_dir / f"{dest.stem}.partial.jpg"
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-ss", f"{_frame_time(duration):.3f}", "-i", str(asset.media_path.resolve()),
        "-frames:v", "1", "-vf", vf,
        # mjpeg wants full-range YUV; q 3 is visually clean at ~100 KB per image.
        "-pix_fmt", "yuvj420p", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg",
        str(tmp_out.resolve()),
    ]  # fmt: skip
    _run(cmd, f"drawing {dest.name}", cwd=tmp_dir)
    if not _is_jpeg(tmp_out):
        raise DemoMediaError(f"ffmpeg wrote no valid JPEG for {dest.name}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _commit(tmp_out, dest)


# --- files, processes, manifest -------------------------------------------------------


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    log.debug("Running %s", " ".join(cmd))
    cancel: threading.Event | None = getattr(_local, "cancel", None)
    try:
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, errors="replace",
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise MissingDependencyError("ffmpeg", "apt-get install ffmpeg") from exc
    deadline = time.monotonic() + _FFMPEG_TIMEOUT_S
    stderr = ""
    while True:
        try:
            _, stderr = proc.communicate(timeout=_CANCEL_POLL_S)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                proc.kill()
                proc.communicate()
                raise DemoMediaCancelled(f"cancelled while {what}") from None
            if time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise DemoMediaError(f"ffmpeg timed out while {what}") from None
    if proc.returncode != 0:
        log.error("ffmpeg failed while %s (exit %d):\n%s", what, proc.returncode,
                  stderr[-4000:])  # fmt: skip
        raise DemoMediaError(f"ffmpeg failed while {what} (exit {proc.returncode})")


def _ffprobe(path: Path) -> dict[str, Any]:
    cmd = [
        "ffprobe", "-v", "error", "-of", "json",
        "-show_entries", "format=duration:stream=codec_type,codec_name",
        str(path),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", timeout=60, check=False
        )
    except FileNotFoundError as exc:
        raise MissingDependencyError("ffmpeg", "apt-get install ffmpeg") from exc
    except subprocess.TimeoutExpired as exc:
        raise DemoMediaError(f"ffprobe timed out on {path.name}") from exc
    if result.returncode != 0:
        raise DemoMediaError(f"ffprobe cannot read {path.name}: {result.stderr.strip()[-300:]}")
    try:
        info = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise DemoMediaError(f"ffprobe gave no JSON for {path.name}") from exc
    return info if isinstance(info, dict) else {}


def _mp4_top_level_boxes(path: Path) -> list[str]:
    """Types of the top-level ISO-BMFF boxes, in file order (stops at the first bad header)."""
    boxes: list[str] = []
    size_total = path.stat().st_size
    with path.open("rb") as f:
        offset = 0
        while offset + 8 <= size_total:
            f.seek(offset)
            header = f.read(8)
            size, kind = struct.unpack(">I4s", header)
            if size == 1:  # 64-bit largesize follows the type
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:  # box runs to the end of the file
                size = size_total - offset
            if size < 8 or offset + size > size_total:
                break
            boxes.append(kind.decode("latin-1"))
            offset += size
    return boxes


def _is_jpeg(path: Path) -> bool:
    """Start-of-image and end-of-image markers: catches truncation without decoding."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return data.startswith(b"\xff\xd8") and data.rstrip(b"\x00").endswith(b"\xff\xd9")


def _commit(tmp: Path, dest: Path) -> None:
    """Flush a finished work file to disk and rename it over dest (atomic on one filesystem)."""
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _record(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": _sha256(path)}


def _fingerprint(title: DemoTitle, recipe: _Recipe, duration: float) -> str:
    blob = json.dumps(
        [_RECIPE_VERSION, asdict(title) | {"duration_s": duration}, repr(recipe)], sort_keys=True
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _load_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("titles"), dict):
            return data
        log.warning("Ignoring malformed %s", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable %s: %s", path, exc)
    # Without a manifest, existing files are re-checked with ffprobe and adopted if sound.
    return {"version": 1, "titles": {}}


def _save_manifest(root: Path, manifest: dict[str, Any], tmp_dir: Path) -> None:
    tmp = tmp_dir / f"{MANIFEST_NAME}.partial"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    _commit(tmp, root / MANIFEST_NAME)


@contextlib.contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """Serialise runs on one root (two app instances starting at once would clash in .tmp)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; single instance is the norm
        yield
        return
    with (root / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
