"""torrent_check: unsafe names and paths, limits (a 10-million-file torrent), video choice."""

from __future__ import annotations

import time
import tracemalloc

import libtorrent as lt
import pytest

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.sources.torrent_check import (
    RejectReason,
    TorrentLimits,
    TorrentRejected,
    check_info,
    check_torrent,
    torrent_from_info,
)
from miauflix_desktop.services.torrent.metainfo import make_torrent

PIECE = 16384


def benc(value: object) -> bytes:
    """Minimal bencoder for hand-made (deliberately broken) torrents; keys sorted."""
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(benc(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(benc(k) + benc(v) for k, v in items) + b"e"
    raise TypeError(value)


def torrent(files: list[tuple[list, int]] | None = None, name: object = "Release",
            length: int | None = None, **extra: object) -> bytes:
    """A v1 torrent; ``files`` = [(path elements, size)] (multi-file) or ``length``."""
    info: dict = {"name": name, "piece length": PIECE, **extra}
    if files is not None:
        info["files"] = [{"length": size, "path": path} for path, size in files]
        total = sum(size for _, size in files)
    else:
        info["length"] = total = length if length is not None else 100_000
    info["pieces"] = b"\0" * 20 * max(1, -(-total // PIECE))
    return benc({"info": info})


def rejected(data: bytes, reason: RejectReason, limits: TorrentLimits | None = None
             ) -> TorrentRejected:
    with pytest.raises(TorrentRejected) as info:
        check_torrent(data, limits)
    assert info.value.reason == reason, str(info.value)
    assert isinstance(info.value, MiauflixError)
    return info.value


def test_real_single_file_torrent(tmp_path):
    path = tmp_path / "Movie (2020).mkv"
    path.write_bytes(b"x" * 300_000)
    data = make_torrent(path)
    checked = check_torrent(data)
    assert checked.info_hash == str(lt.torrent_info(data).info_hashes().v1)
    assert checked.name == "Movie (2020).mkv" and checked.total_size == 300_000
    assert checked.file_index == 0 and checked.file_size == 300_000
    assert checked.chosen.path == "Movie (2020).mkv"


def test_multi_file_picks_the_largest_video():
    data = torrent([
        (["Sample", "sample.mkv"], 40_000),
        (["extras.nfo"], 900_000),  # biggest file, but not video
        (["Subs", "en.srt"], 1_000),
        (["Movie.2019.1080p.MKV"], 500_000),  # extension case does not matter
        (["Movie.2019.720p.mp4"], 300_000),
    ])
    checked = check_torrent(data)
    assert checked.file_index == 3 and checked.file_size == 500_000
    assert checked.chosen.path == "Release/Movie.2019.1080p.MKV"
    assert [f.path for f in checked.files][:2] == ["Release/Sample/sample.mkv",
                                                   "Release/extras.nfo"]


def test_tie_prefers_the_first_file():
    assert check_torrent(torrent([(["b.mkv"], 5000), (["a.mkv"], 5000)])).file_index == 0


def test_a_title_with_a_colon_is_fine():
    assert check_torrent(torrent(length=10_000, name="X: The Movie.mkv")).name == \
        "X: The Movie.mkv"


@pytest.mark.parametrize("path", [
    ["..", "evil.mkv"],
    ["a", "..", "..", "evil.mkv"],
    [".", "evil.mkv"],
    ["/etc", "evil.mkv"],
    ["a/../../evil.mkv"],
    ["..\\..\\evil.mkv"],
    ["C:", "evil.mkv"],
    ["C:evil.mkv"],
])
def test_path_traversal_and_absolute_paths_are_rejected(path):
    # libtorrent alone would accept these, quietly renamed ("..": "_"); we refuse them.
    data = torrent([(["ok.mkv"], 10_000), (path, 10_000)])
    lt.torrent_info(data)
    err = rejected(data, RejectReason.UNSAFE_PATH)
    assert err.info_hash == str(lt.torrent_info(data).info_hashes().v1)


@pytest.mark.parametrize("name", ["/abs.mkv", "../up.mkv", "dir\\x.mkv"])
def test_unsafe_torrent_names_are_rejected(name):
    rejected(torrent(length=10_000, name=name), RejectReason.UNSAFE_PATH)


@pytest.mark.parametrize("data", [
    torrent([([b"bad\xff\xfe.mkv"], 10_000)]),
    torrent(length=10_000, name=b"caf\xe9.mkv"),  # Latin-1, not UTF-8
    torrent([(["", "a.mkv"], 10_000)]),
    torrent([([], 10_000)]),
    torrent(length=10_000, name=""),
    torrent(length=10_000, name=".."),
    torrent(length=10_000, name="   "),
    torrent(length=10_000, name="tab\there.mkv"),
])
def test_bad_names_are_rejected(data):
    err = rejected(data, RejectReason.BAD_NAME)
    assert "UTF-8" in str(err) or "empty" in str(err) or "control" in str(err)


def test_utf8_name_field_wins_over_the_legacy_one():
    # Old clients put a codepage name in "name" and the real one in "name.utf-8".
    data = torrent(length=10_000, name=b"caf\xe9.mkv", **{"name.utf-8": "café.mkv"})
    assert check_torrent(data).name == "café.mkv"
    bad = torrent(length=10_000, name="ok.mkv", **{"name.utf-8": "../up.mkv"})
    rejected(bad, RejectReason.UNSAFE_PATH)


def test_v2_file_tree_is_checked_too(tmp_path):
    (tmp_path / "show").mkdir()
    (tmp_path / "show" / "ep.mkv").write_bytes(b"y" * 40_000)
    creator = lt.create_torrent(lt.list_files(str(tmp_path / "show")), PIECE,
                                lt.create_torrent.v2_only)
    lt.set_piece_hashes(creator, str(tmp_path))
    data = bytes(lt.bencode(creator.generate()))
    assert check_torrent(data).chosen.size == 40_000
    # "file tree" sorts before "name": the first occurrence is the tree's key.
    rejected(data.replace(b"6:ep.mkv", b"2:..", 1), RejectReason.UNSAFE_PATH)


def test_no_video_is_rejected():
    err = rejected(torrent([(["a.txt"], 10_000), (["b.mkv.part"], 10_000), (["mkv"], 5)]),
                   RejectReason.NO_VIDEO)
    assert "no video" in str(err)


@pytest.mark.parametrize("data", [b"", b"not bencoded", b"d4:infoi1ee", b"de"])
def test_malformed_is_rejected(data):
    rejected(data, RejectReason.MALFORMED)


def test_size_and_count_limits():
    rejected(torrent(length=10_000, name="a.mkv"), RejectReason.TOO_LARGE,
             TorrentLimits(max_metadata_bytes=50))
    rejected(torrent(length=10 * PIECE, name="a.mkv"), RejectReason.TOO_BIG,
             TorrentLimits(max_total_bytes=PIECE))
    many = torrent([([f"{i}.mkv"], 100) for i in range(20)])
    err = rejected(many, RejectReason.TOO_MANY_FILES, TorrentLimits(max_files=10))
    assert "20 files" in str(err)
    assert check_torrent(many, TorrentLimits(max_files=20)).file_index == 0


def test_ten_million_files_are_rejected_fast_without_python_objects():
    entry = b"d6:lengthi1e4:pathl5:a.mkvee"
    n = 10_000_000
    pieces = b"\0" * 20 * (-(-n // PIECE))
    info_tail = b"e4:name1:x12:piece lengthi%de6:pieces%d:%se" % (PIECE, len(pieces), pieces)
    # One C-level repeat: the bencoding is ~280 MB but costs no Python object per file.
    data = b"".join((b"d4:infod5:filesl", entry * n, info_tail, b"e"))
    tracemalloc.start()
    try:
        started = time.perf_counter()
        rejected(data, RejectReason.TOO_LARGE)  # the default byte limit: O(1)
        assert time.perf_counter() - started < 0.1
        # Even with the byte limit lifted, libtorrent's decode-token limit stops it early.
        started = time.perf_counter()
        err = rejected(data, RejectReason.TOO_MANY_FILES,
                       TorrentLimits(max_metadata_bytes=len(data)))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "too many files" in str(err)
    assert elapsed < 5, elapsed
    assert peak < 5 * 1024 * 1024, f"{peak} bytes of Python objects"


def test_check_info_and_torrent_from_info_keep_the_hash():
    data = torrent([(["m.mkv"], 70_000)])
    ti = lt.torrent_info(data)
    info = bytes(ti.info_section())
    assert check_info(info).info_hash == str(ti.info_hashes().v1)
    wrapped = torrent_from_info(info, ("udp://127.0.0.1:1/announce", "http://a/announce"))
    assert lt.torrent_info(wrapped).info_hashes() == ti.info_hashes()
    outer = lt.bdecode(wrapped)
    assert outer[b"announce"] == b"udp://127.0.0.1:1/announce"
    assert outer[b"announce-list"] == [[b"udp://127.0.0.1:1/announce"], [b"http://a/announce"]]
