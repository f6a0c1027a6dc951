"""Which source a playback target gets: its codecs, audio and lines, then the quality
setting; and the switch notice's wording."""

from __future__ import annotations

import pytest

from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.services.sources.profiles import PC_PROFILE, basic_tv, samsung_tv
from miauflix_desktop.services.storage.repositories import SourceRecord
from miauflix_desktop.services.streaming.service import (
    TARGETS,
    decodes,
    pick_source,
    switch_label,
    target_profile,
)


def rec(i: int, quality: str, codec: str, audio: str = "AAC 2.0", playable: bool = True,
        source: str = "yts") -> SourceRecord:
    return SourceRecord(id=i, movie_id=1, hash=f"{i:040x}", magnet_link="", torrent=b"x",
                        source=source, size=1, quality=quality, video_codec=codec,
                        audio=audio, playable=playable)


# Best first, as MovieRepository.sources returns them.
UHD_HEVC_TRUEHD = rec(1, "2160p", "x265", "TrueHD Atmos 7.1")
FHD_HEVC = rec(2, "1080p", "x265", "EAC3 5.1")
FHD_AVC_DTS = rec(3, "1080p", "x264", "DTS 5.1")
HD_AVC = rec(4, "720p", "x264", "AAC 2.0")
ALL = [UHD_HEVC_TRUEHD, FHD_HEVC, FHD_AVC_DTS, HD_AVC]


def test_each_target_gets_the_best_it_decodes() -> None:
    assert pick_source(ALL, PC_PROFILE, None) is UHD_HEVC_TRUEHD
    # Samsung: HEVC yes, TrueHD/DTS no.
    assert pick_source(ALL, samsung_tv(), None) is FHD_HEVC
    # No HEVC either: the 720p x264 with AAC (the 1080p x264 carries DTS).
    assert pick_source(ALL, samsung_tv(hevc=False), None) is HD_AVC
    assert pick_source(ALL, basic_tv(), None) is HD_AVC


def test_the_quality_setting_applies_within_what_the_target_decodes() -> None:
    assert pick_source(ALL, PC_PROFILE, 1080) is FHD_HEVC
    assert pick_source(ALL, PC_PROFILE, 720) is HD_AVC
    # Nothing fits 480p: the best the target decodes, not nothing.
    assert pick_source(ALL, samsung_tv(), 480) is FHD_HEVC


def test_the_pc_falls_back_to_the_best_but_a_tv_gets_none() -> None:
    unplayable = [rec(9, "1080p", "x265", playable=False)]
    assert not decodes(PC_PROFILE, unplayable[0])
    assert pick_source(unplayable, PC_PROFILE, None) is unplayable[0]
    assert pick_source([UHD_HEVC_TRUEHD, FHD_HEVC], basic_tv(), None) is None
    assert pick_source([], PC_PROFILE, None) is None


def test_max_lines_and_hevc_spellings() -> None:
    assert not decodes(basic_tv(), rec(5, "2160p", "x264"))
    assert decodes(basic_tv(), rec(6, "", "x264"))  # unknown resolution: not refused
    for spelling in ("x265", "HEVC", "h265"):
        assert not decodes(basic_tv(), rec(7, "1080p", spelling))
    assert not decodes(basic_tv(), rec(8, "1080p", "av1"))


def test_target_names() -> None:
    assert target_profile("pc") is PC_PROFILE
    assert target_profile("tv").hevc and target_profile("tv").name == "samsung-tv"
    assert not target_profile("samsung-tv-no-hevc").hevc
    assert set(TARGETS) >= {"pc", "tv", "samsung-tv", "samsung-tv-no-hevc", "basic-tv"}
    with pytest.raises(StreamError, match="Unknown playback target"):
        target_profile("fridge")


def test_switch_label() -> None:
    assert switch_label(HD_AVC) == "720p · x264 from YTS"
    assert switch_label(rec(1, "", "", source="therarbg")) == "a source from TheRARBG"


def test_hi10p_and_hdr_follow_the_target() -> None:
    from dataclasses import replace

    hi10p = replace(rec(10, "1080p", "x264"), bit_depth=10)
    hdr = replace(rec(11, "2160p", "x265"), hdr="HDR10")
    # mpv on this PC plays both; no TV decodes 10-bit H.264; only HDR panels get HDR.
    assert decodes(PC_PROFILE, hi10p) and decodes(PC_PROFILE, hdr)
    assert not decodes(samsung_tv(), hi10p) and not decodes(basic_tv(), hi10p)
    assert decodes(samsung_tv(), hdr) and not decodes(basic_tv(), hdr)
    assert decodes(basic_tv(), replace(hi10p, bit_depth=8))
    # HEVC at 10 bits is ordinary (Main10), not Hi10P.
    assert decodes(samsung_tv(), replace(rec(12, "1080p", "x265"), bit_depth=10))
    assert pick_source([hi10p, HD_AVC], samsung_tv(), None) is HD_AVC
