"""make_torrent, info hashes and magnet validation against real libtorrent."""

from __future__ import annotations

import hashlib
import logging
import os

import libtorrent as lt
import pytest

from miauflix_desktop.core.errors import TorrentError
from miauflix_desktop.services.torrent.metainfo import (
    choose_piece_length,
    info_hash_of,
    make_torrent,
    parse_magnet,
)
from miauflix_desktop.services.torrent.torrent import meta_from_info


def test_make_torrent_single_file_round_trip(tmp_path):
    payload = os.urandom(700_000)
    path = tmp_path / "clip.mp4"
    path.write_bytes(payload)
    data = make_torrent(path, piece_length=64 * 1024)
    ti = lt.torrent_info(data)
    assert ti.name() == "clip.mp4"
    assert ti.total_size() == len(payload)
    assert ti.piece_length() == 64 * 1024
    assert ti.num_pieces() == -(-len(payload) // (64 * 1024))
    # The v1 info hash is the SHA-1 of the bencoded info dict.
    info = lt.bdecode(data)[b"info"]
    assert info_hash_of(data) == hashlib.sha1(lt.bencode(info)).hexdigest()
    # Piece hashes are the real ones.
    assert ti.hash_for_piece(0) == hashlib.sha1(payload[: 64 * 1024]).digest()


def test_make_torrent_directory_lists_files_unpadded(tmp_path):
    root = tmp_path / "Show"
    (root / "subs").mkdir(parents=True)
    (root / "a.mkv").write_bytes(os.urandom(300_001))
    (root / "subs" / "en.srt").write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    meta = meta_from_info(lt.torrent_info(make_torrent(root)))
    assert meta.name == "Show"
    paths = {f.path: f for f in meta.files}
    assert set(paths) == {os.path.join("Show", "a.mkv"), os.path.join("Show", "subs", "en.srt")}
    # v1 only: no pad files, so the second file starts right after the first.
    ordered = sorted(meta.files, key=lambda f: f.offset)
    assert ordered[1].offset == ordered[0].size
    assert meta.total_size == sum(f.size for f in meta.files)


def test_make_torrent_missing_or_empty_path(tmp_path):
    with pytest.raises(TorrentError, match="does not exist"):
        make_torrent(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TorrentError):
        make_torrent(tmp_path / "empty")


def test_choose_piece_length_bounds():
    assert choose_piece_length(1) == 256 * 1024
    assert choose_piece_length(30 * 1024**2) == 256 * 1024
    assert choose_piece_length(4 * 1024**3) == 4 * 1024**2
    assert choose_piece_length(10**15) == 16 * 1024**2


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"d4:infod4:name1:xee", b"d4:info" + b"x" * 100, b"i42e"],
)
def test_malformed_torrent_bytes_raise_torrent_error_and_log(data, caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(TorrentError):
        info_hash_of(data)
    assert caplog.records, "the rejection is logged"


def test_non_bytes_torrent_is_rejected():
    with pytest.raises(TorrentError):
        info_hash_of("d4:infoe")  # type: ignore[arg-type]


def test_parse_magnet_ok():
    ih = "c9e15763f722f23e98a29decdfae341b98d53056"
    tracker = "udp%3A%2F%2F127.0.0.1%3A6969"
    link = parse_magnet(f"magnet:?xt=urn:btih:{ih.upper()}&dn=Big+Buck&tr={tracker}")
    assert link.info_hash == ih
    assert link.name == "Big Buck"
    assert link.trackers == ("udp://127.0.0.1:6969",)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "garbage",
        "http://example.invalid/x.torrent",
        "magnet:?dn=no-hash",
        "magnet:?xt=urn:btih:zz",
        "magnet:?xt=urn:btih:" + "a" * 39,
        None,
    ],
)
def test_bad_magnets_raise_torrent_error(uri, caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(TorrentError):
        parse_magnet(uri)  # type: ignore[arg-type]
    assert caplog.records
