"""Magnet parsing and building: hash normalisation, names, trackers, clear rejections."""

from __future__ import annotations

import base64

import libtorrent as lt
import pytest

from miauflix_desktop.core.errors import MiauflixError, TorrentError
from miauflix_desktop.services.sources.magnets import (
    DEFAULT_TRACKERS,
    Magnet,
    MagnetError,
    build_magnet,
    normalise_info_hash,
    parse_magnet,
    to_uri,
)

HEX = "0123456789abcdef0123456789abcdef01234567"
B32 = base64.b32encode(bytes.fromhex(HEX)).decode()


def test_hex_and_base32_normalise_to_lower_hex():
    assert normalise_info_hash(HEX.upper()) == HEX
    assert normalise_info_hash(f"  {HEX}  ") == HEX
    assert len(B32) == 32
    assert normalise_info_hash(B32) == HEX
    assert normalise_info_hash(B32.lower()) == HEX


@pytest.mark.parametrize("bad", ["", "abc", HEX[:-1], HEX + "0", "g" * 40, "1" * 32, B32[:-1],
                                 "0" * 64])
def test_bad_hashes_are_rejected_with_a_clear_error(bad):
    with pytest.raises(MagnetError, match="info hash"):
        normalise_info_hash(bad)


def test_parse_full_magnet():
    uri = (f"magnet:?xt=urn:btih:{B32}&dn=Big+Buck%20Bunny%20(2008)"
           "&tr=udp%3A%2F%2Ftracker.example%3A1337%2Fannounce"
           "&tr=http://t2.example/announce&tr=http://t2.example/announce"
           "&tr=javascript:alert(1)&xl=123")
    m = parse_magnet(uri)
    assert m == Magnet(info_hash=HEX, name="Big Buck Bunny (2008)",
                       trackers=("udp://tracker.example:1337/announce",
                                 "http://t2.example/announce"))


def test_numbered_keys_and_case():
    m = parse_magnet(f"MAGNET:?xt.1=urn:btih:{HEX.upper()}&tr.1=udp://a:1/announce")
    assert m.info_hash == HEX and m.trackers == ("udp://a:1/announce",) and m.name is None


@pytest.mark.parametrize("uri, match", [
    ("http://example/x.torrent", "not a magnet"),
    ("magnet:?dn=x", "no info hash"),
    ("magnet:?xt=urn:btih:nothex", "bad info hash"),
    (f"magnet:?xt=urn:btih:{HEX}0", "bad info hash"),
    ("magnet:?xt=urn:btmh:1220" + "ab" * 32, "v1 btih hash is required"),
    (f"magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{'f' * 40}", "conflicting"),
    ("magnet:?xt=urn:btih:" + HEX + "&dn=" + "x" * 70_000, "too long"),
])
def test_bad_magnets_are_rejected(uri, match):
    with pytest.raises(MagnetError, match=match) as info:
        parse_magnet(uri)
    assert isinstance(info.value, TorrentError) and isinstance(info.value, MiauflixError)


def test_same_hash_twice_is_fine():
    assert parse_magnet(f"magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{B32}").info_hash == HEX


def test_build_appends_default_trackers_without_repeats():
    uri = build_magnet(B32, "A & B: the movie", ["udp://mine:1/announce", DEFAULT_TRACKERS[0]])
    m = parse_magnet(uri)
    assert m.info_hash == HEX and m.name == "A & B: the movie"
    assert m.trackers == ("udp://mine:1/announce", *DEFAULT_TRACKERS)


def test_default_trackers_are_configurable():
    uri = build_magnet(HEX, trackers=["http://a/announce"], default_trackers=["udp://b:2/announce"])
    assert parse_magnet(uri).trackers == ("http://a/announce", "udp://b:2/announce")
    assert parse_magnet(build_magnet(HEX, default_trackers=())).trackers == ()


def test_round_trip_and_libtorrent_agrees():
    m = Magnet(HEX, "Ünïcode name 100%", ("http://t.example/announce?passkey=a&b=c",))
    uri = to_uri(m, default_trackers=())
    assert parse_magnet(uri) == m
    params = lt.parse_magnet_uri(uri)
    assert str(params.info_hashes.v1) == HEX
    assert params.name == m.name
    assert list(params.trackers) == list(m.trackers)


def test_build_rejects_bad_hash():
    with pytest.raises(MagnetError):
        build_magnet("xyz")
