"""Demo media: the titles table, the ffmpeg check, and the pure helpers (no encoding here)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from miauflix_desktop.core.errors import MissingDependencyError
from miauflix_desktop.services.demo import media
from miauflix_desktop.services.demo.media import (
    DEMO_TITLES,
    DemoTitle,
    check_ffmpeg,
    demo_asset,
    ensure_demo_media,
)


def test_titles_table_is_sane():
    assert len(DEMO_TITLES) >= 3
    slugs = [t.slug for t in DEMO_TITLES]
    assert len(set(slugs)) == len(slugs)
    assert len({t.filename for t in DEMO_TITLES}) == len(DEMO_TITLES)
    for t in DEMO_TITLES:
        assert t.slug.replace("-", "").isalnum() and t.slug == t.slug.lower()
        assert t.container in ("mp4", "mkv")
        assert t.filename == f"{t.slug}.{t.container}"
        assert t.title and t.overview and 2000 < t.year < 2100
        assert t.duration_s == 60.0
        assert t.slug in media._RECIPES
    containers = [t.container for t in DEMO_TITLES]
    assert containers.count("mkv") >= 1 and containers.count("mp4") >= 2
    faststart = [media._RECIPES[t.slug].faststart for t in DEMO_TITLES if t.container == "mp4"]
    assert True in faststart and False in faststart


def test_titles_are_frozen():
    with pytest.raises(AttributeError):
        DEMO_TITLES[0].slug = "x"  # type: ignore[misc]


def test_asset_layout_keeps_art_out_of_the_content_dir(tmp_path):
    for t in DEMO_TITLES:
        a = demo_asset(tmp_path, t)
        assert a.content_dir == tmp_path / t.slug
        assert a.media_path == a.content_dir / t.filename
        assert a.poster_path.parent != a.content_dir
        assert a.backdrop_path.parent != a.content_dir
        assert a.poster_path.suffix == a.backdrop_path.suffix == ".jpg"


def test_check_ffmpeg_without_ffmpeg_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: nothing to find
    with pytest.raises(MissingDependencyError) as info:
        check_ffmpeg()
    assert info.value.what == "ffmpeg"
    assert "apt-get install ffmpeg" in str(info.value)


def test_ensure_refuses_without_ffmpeg_and_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MissingDependencyError):
        ensure_demo_media(tmp_path / "lib", duration_s=5)
    assert not (tmp_path / "lib").exists()


def test_ensure_rejects_nonpositive_duration(tmp_path):
    with pytest.raises(ValueError):
        ensure_demo_media(tmp_path, duration_s=0)


def test_check_ffmpeg_passes_here():
    check_ffmpeg()  # the dev and CI images install Debian's ffmpeg


def test_srt_cues_are_ordered_and_end_before_the_media():
    title = DEMO_TITLES[1]
    for duration in (3.0, 10.0, 60.0):
        text = media._srt_text(title, duration)
        blocks = [b for b in text.strip().split("\n\n") if b]
        assert blocks
        last_end = 0.0
        for n, block in enumerate(blocks, start=1):
            number, times, line = block.split("\n")
            assert int(number) == n
            start_s, end_s = (_parse_srt_time(x) for x in times.split(" --> "))
            assert last_end <= start_s < end_s <= duration
            assert title.title in line
            last_end = end_s
    assert media._srt_time(3723.5) == "01:02:03,500"


def _parse_srt_time(text: str) -> float:
    hms, ms = text.split(",")
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s + int(ms) / 1000


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_mp4_top_level_boxes(tmp_path):
    path = tmp_path / "x.mp4"
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 4) + b"abcd"  # 64-bit size form
    path.write_bytes(_box(b"ftyp", b"isom") + large + _box(b"moov", b"\0" * 10))
    assert media._mp4_top_level_boxes(path) == ["ftyp", "mdat", "moov"]
    # Truncated: the box whose size runs past the end is not reported.
    path.write_bytes(_box(b"ftyp", b"isom") + _box(b"moov", b"\0" * 10)[:-3])
    assert media._mp4_top_level_boxes(path) == ["ftyp"]


def test_fingerprint_changes_with_duration_and_recipe():
    title = DEMO_TITLES[0]
    recipe = media._RECIPES[title.slug]
    base = media._fingerprint(title, recipe, 10.0)
    assert base == media._fingerprint(title, recipe, 10.0)
    assert base != media._fingerprint(title, recipe, 20.0)
    other = media._RECIPES[DEMO_TITLES[2].slug]
    assert base != media._fingerprint(title, other, 10.0)


def test_file_matches_against_manifest_record(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"hello")
    record = media._record(path)
    assert media._file_matches(path, record, verify_hash=True)
    assert not media._file_matches(path, None, verify_hash=False)
    path.write_bytes(b"jello")  # same size, different content
    assert media._file_matches(path, record, verify_hash=False)
    assert not media._file_matches(path, record, verify_hash=True)
    path.write_bytes(b"hell")
    assert not media._file_matches(path, record, verify_hash=False)
    path.unlink()
    assert not media._file_matches(path, record, verify_hash=False)


def test_manifest_garbage_is_ignored(tmp_path):
    (tmp_path / media.MANIFEST_NAME).write_text("{not json")
    assert media._load_manifest(tmp_path) == {"version": 1, "titles": {}}
    (tmp_path / media.MANIFEST_NAME).write_text("[1, 2]")
    assert media._load_manifest(tmp_path)["titles"] == {}


def test_demo_title_is_hashable_value():
    t = DemoTitle("a", "A", "o", 2024, "a.mp4", "mp4", 1.0)
    assert t == DemoTitle("a", "A", "o", 2024, "a.mp4", "mp4", 1.0)
    assert {t: 1}[t] == 1
    assert isinstance(demo_asset(Path("/r"), t).media_path, Path)
