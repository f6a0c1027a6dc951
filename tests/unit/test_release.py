"""Release-name parsing: a table of real-world-style names, garbage input, provider fill-in."""

import random
import time

import pytest

from miauflix_desktop.services.sources import release as release_module
from miauflix_desktop.services.sources.release import (
    MAX_NAME_LENGTH,
    merge_declared,
    parse_release,
)
from miauflix_desktop.services.sources.types import ProviderRelease, ReleaseInfo

# (name, expected fields). Only the listed fields are checked, so each row states what
# that name is about; unlisted fields may be anything.
CASES = [
    # --- movies ---
    ("The.Matrix.1999.1080p.BluRay.x264-SPARKS",
     dict(title="The Matrix", year=1999, resolution="1080p", video_codec="x264",
          source="BluRay", group="SPARKS", seasons=(), episodes=(), season_pack=False,
          hdr=(), bit_depth=None)),
    ("Inception.2010.720p.BluRay.x264.AAC2.0-GRP",
     dict(resolution="720p", audio_codecs=("AAC",), channels="2.0", source="BluRay")),
    ("Movie.2019.1080p.WEB-DL.DD+5.1.H264-NTG",
     dict(video_codec="x264", audio_codecs=("EAC3",), channels="5.1", source="WEB-DL",
          group="NTG")),
    ("Movie 2019 1080p AVC",
     dict(video_codec="x264", year=2019, source=None)),
    ("Movie.2010.WEB.x264-GRP",
     dict(source="WEB-DL")),
    ("Movie.2010.BRRip.XviD.MP3-GRP",
     dict(source="BDRip", video_codec="xvid", audio_codecs=("MP3",))),
    ("Movie.2021.DVDRip.XviD.AC3",
     dict(source="DVDRip", video_codec="xvid", audio_codecs=("AC3",), resolution=None)),
    ("Movie.2010.576p.DVD.x264",
     dict(resolution="480p", source="DVD")),
    ("Some Movie (2010) [720p] [YTS.MX]",
     dict(title="Some Movie", year=2010, resolution="720p", source=None)),
    ("Movie.2021.1080p.WEB-DL.AV1.Opus.5.1-GRP",
     dict(video_codec="av1", audio_codecs=("Opus",), channels="5.1")),
    ("Movie.2010.1080p.BluRay.x264.6CH",
     dict(channels="5.1")),
    ("Movie.2010.1080p.10bit.BluRay.8CH.x265.HEVC-PSA",
     dict(video_codec="x265", bit_depth=10, channels="7.1", group="PSA")),
    ("Dune (2021) 2160p BluRay x265 10bit 5.1 YTS",  # as providers/yts.py builds names
     dict(title="Dune", year=2021, resolution="2160p", source="BluRay", video_codec="x265",
          bit_depth=10, channels="5.1")),
    # --- 4K / HDR / Dolby Vision / lossless audio ---
    ("Dune.Part.Two.2024.2160p.UHD.BluRay.REMUX.DV.HDR10.HEVC.TrueHD.Atmos.7.1-FGT",
     dict(title="Dune Part Two", resolution="2160p", video_codec="x265", source="REMUX",
          hdr=("DV", "HDR10"), audio_codecs=("TrueHD", "Atmos"), channels="7.1",
          group="FGT")),
    ("Oppenheimer.2023.4K.WEB-DL.DDP5.1.Atmos.H.265-FLUX",
     dict(resolution="2160p", video_codec="x265", audio_codecs=("EAC3", "Atmos"),
          source="WEB-DL")),
    ("Movie.2010.UHD.BluRay.x265-GRP",
     dict(resolution="2160p", source="BluRay")),
    ("Movie.2022.2160p.WEB-DL.DV.HDR10Plus.HEVC.EAC3-GRP",
     dict(hdr=("DV", "HDR10+"), audio_codecs=("EAC3",))),
    ("Movie.2018.2160p.HDR.10bit.x265",
     dict(hdr=("HDR10",), bit_depth=10)),
    ("Amelie.2001.MULTi.FRENCH.1080p.BluRay.DTS-HD.MA.5.1.x264-GRP",
     dict(audio_codecs=("DTS-HD",), languages=("fr",), channels="5.1")),
    ("Movie.2010.1080p.BluRay.DTS-X.7.1.x264",
     dict(audio_codecs=("DTS-X",))),
    ("Movie.2010.1080p.BluRay.DTS.x264",
     dict(audio_codecs=("DTS",))),
    # --- cinema captures ---
    ("Barbie.2023.HDCAM.x264-NOGRP",
     dict(title="Barbie", source="CAM", resolution=None)),
    ("Movie.2019.TS.XviD-GRP",
     dict(source="TS", video_codec="xvid")),
    ("Movie.2010.HDTC.x264",
     dict(source="TC")),
    ("Movie.2010.DVDScr.XviD",
     dict(source="SCR")),
    # --- episodes and season packs ---
    ("Breaking.Bad.S01E05.720p.HDTV.x264-CTU",
     dict(title="Breaking Bad", seasons=(1,), episodes=(5,), season_pack=False,
          source="HDTV", group="CTU")),
    ("Show.S01E01-E03.720p.WEBRip",
     dict(seasons=(1,), episodes=(1, 2, 3), season_pack=False)),
    ("Show.1x05.720p",
     dict(seasons=(1,), episodes=(5,), season_pack=False)),
    ("Game.of.Thrones.S02.COMPLETE.1080p.BluRay.x264-ROVERS",
     dict(title="Game of Thrones", seasons=(2,), episodes=(), season_pack=True)),
    ("The Office Season 1-3 720p WEBRip",
     dict(title="The Office", seasons=(1, 2, 3), season_pack=True, source="WEBRip")),
    ("Breaking Bad S01-S05 Complete 1080p BluRay x265 10bit AAC 5.1",
     dict(seasons=(1, 2, 3, 4, 5), season_pack=True, bit_depth=10, video_codec="x265")),
    ("Dark.S02.1080p.NF.WEB-DL.DDP5.1.x264-GRP",
     dict(seasons=(2,), season_pack=True, source="WEB-DL")),
    ("Friends.Complete.Series.1080p.BluRay",
     dict(title="Friends", season_pack=True, seasons=())),
    # --- anime ---
    ("[SubsPlease] Frieren - 05 (1080p) [ABCD1234].mkv",
     dict(title="Frieren", episodes=(5,), seasons=(), season_pack=False, group="SubsPlease",
          resolution="1080p")),
    ("[Coalgirls] Clannad (1920x1080 Hi10P BD FLAC) [ABCDEF12]",
     dict(title="Clannad", resolution="1080p", bit_depth=10, video_codec="x264",
          audio_codecs=("FLAC",), group="Coalgirls")),
    ("Toradora.Hi10P.720p",
     dict(title="Toradora", bit_depth=10, video_codec="x264")),
    ("[Judas] Shingeki no Kyojin S04E01 [1080p][HEVC x265 10bit][Multi-Subs]",
     dict(seasons=(4,), episodes=(1,), video_codec="x265", bit_depth=10, group="Judas")),
    # --- languages ---
    ("Film.2020.iTA.ENG.AC3.720p.WEBRip.x264",
     dict(languages=("en", "it"))),
    ("Movie.2010.German.DL.1080p.BluRay.x264",
     dict(languages=("de",))),
    ("Movie (2010) [Español Latino] 1080p",
     dict(languages=("es",))),  # PTT says "la" (Latin) for Latino Spanish
    ("Movie.2010.RUS.1080p.BluRay.x264",
     dict(languages=("ru",))),
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_release_names(name, expected):
    info = parse_release(name)
    actual = {field: getattr(info, field) for field in expected}
    assert actual == expected


def test_table_is_big_enough():
    assert len(CASES) >= 25


GARBAGE = [
    "",
    "   ",
    "\x00\x01\x02\xff\xfe",
    "🎬🍿🎥",
    ".-_[]()",
    "\ud800\udfff lone surrogates",
    "\u202e\ufeff\u200b right-to-left override",
    "日本語のタイトル",
    "S99E99999999",
    "a" * 10_000,
    "1080p." * 2_000,
    bytes(range(256)).decode("latin-1") * 10,
]


@pytest.mark.parametrize("name", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises_and_stays_mostly_empty(name):
    started = time.perf_counter()
    info = parse_release(name)
    # PTT is quadratic: unbounded input took ~13 s for 10k characters.
    assert time.perf_counter() - started < 2.0
    assert isinstance(info, ReleaseInfo)
    assert len(info.title) <= MAX_NAME_LENGTH
    assert info.source is None and info.video_codec is None and info.group is None
    assert all(0 <= n < 10_000 for n in info.seasons + info.episodes)


def test_empty_name_is_all_empty():
    assert parse_release("") == ReleaseInfo()


def test_random_strings_never_raise():
    rng = random.Random(1234)
    alphabet = "abcXYZ0123456789 .-_[]()+:SsEe\x00\n\t" + "éüßあ字🎬"
    for _ in range(150):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        info = parse_release(name)
        assert info.resolution in (None, "2160p", "1080p", "720p", "480p")
        assert all(len(code) == 2 for code in info.languages)


def test_a_crashing_parser_still_yields_a_release_info(monkeypatch):
    def explode(_name):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(release_module.PTT, "parse_title", explode)
    info = parse_release("Toradora.Hi10P.720p")
    # PTT's fields are lost, our own gap-fillers still work
    assert info.resolution is None
    assert (info.video_codec, info.bit_depth) == ("x264", 10)


def _yts(name="Movie (2019)", **declared):
    return ProviderRelease(provider="yts", name=name, info_hash="0" * 40, **declared)


def test_merge_fills_gaps_from_yts_declarations():
    release = _yts(quality="2160p", release_type="web", video_codec="x265", bit_depth=10,
                   audio_channels="5.1")
    info = merge_declared(parse_release(release.name), release)
    assert (info.resolution, info.source, info.video_codec, info.bit_depth, info.channels) == (
        "2160p", "WEBRip", "x265", 10, "5.1")
    assert info.title == "Movie" and info.year == 2019


def test_merge_keeps_what_the_name_says():
    release = _yts(name="Movie.2019.720p.BluRay.x264", quality="1080p", release_type="web",
                   video_codec="x265")
    info = merge_declared(parse_release(release.name), release)
    assert (info.resolution, info.source, info.video_codec) == ("720p", "BluRay", "x264")


def test_merge_ignores_declarations_it_does_not_understand():
    release = _yts(quality="3D", release_type="laserdisc", video_codec="cinepak", bit_depth=7,
                   audio_channels="lots")
    base = parse_release(release.name)
    assert merge_declared(base, release) == base


def test_merge_maps_bluray_type():
    info = merge_declared(ReleaseInfo(), _yts(quality="1080p", release_type="bluray"))
    assert (info.resolution, info.source) == ("1080p", "BluRay")
