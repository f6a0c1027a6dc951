"""Release scoring: bounds, monotonicity, age factor, target playability, ranking."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from miauflix_desktop.services.sources.profiles import PC_PROFILE, basic_tv, samsung_tv
from miauflix_desktop.services.sources.release import parse_release
from miauflix_desktop.services.sources.scoring import (
    BEST_SUFFIX,
    MAX_ACTIVITY,
    MAX_AVAILABILITY,
    MAX_CODEC,
    MAX_QUALITY,
    age_factor,
    rank,
    score_release,
)
from miauflix_desktop.services.sources.types import ProviderRelease, ReleaseInfo

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
GB = 1024**3


def rel(name="Movie.2019.1080p.BluRay.x264-GRP", seeds=100, peers=10, days=30,
        size=2 * GB, info_hash="a" * 40):
    uploaded = None if days is None else NOW - timedelta(days=days)
    return ProviderRelease(provider="test", name=name, info_hash=info_hash, size_bytes=size,
                           seeds=seeds, peers=peers, uploaded_at=uploaded)


def score(name="Movie.2019.1080p.BluRay.x264-GRP", profile=PC_PROFILE, **kw):
    release = rel(name=name, **kw)
    return score_release(parse_release(release.name), release, profile, NOW)


# --- bounds ----------------------------------------------------------------------------

NAMES = [
    "Movie.2019.1080p.BluRay.x264-GRP",
    "Dune.2024.2160p.UHD.BluRay.REMUX.DV.HDR10.HEVC.TrueHD.Atmos.7.1-FGT",
    "Movie.2019.HDCAM.x264",
    "[Coalgirls] Clannad (1920x1080 Hi10P BD FLAC)",
    "garbage ~~~",
    "Movie.2020.2160p.WEB-DL.AV1.10bit.DTS-X",
]
SEEDS = [None, 0, 1, 7, 250, 10**9]
PEERS = [None, 0, 3, 10**7]
DAYS = [None, -30, 0, 400, 10_000]
PROFILES = [PC_PROFILE, samsung_tv(True), samsung_tv(False), basic_tv()]


def test_every_part_stays_in_its_bounds():
    infos = {name: parse_release(name) for name in NAMES}
    for name, seeds, peers, days, profile in itertools.product(NAMES, SEEDS, PEERS, DAYS,
                                                                PROFILES):
        s = score_release(infos[name], rel(name, seeds, peers, days), profile, NOW)
        assert 0 <= s.availability <= MAX_AVAILABILITY
        assert 0 <= s.quality <= MAX_QUALITY
        assert 0 <= s.codec <= MAX_CODEC
        assert 0 <= s.activity <= MAX_ACTIVITY
        assert 0.7 <= s.age_factor <= 1.0
        assert 0 <= s.total <= 10_000
        parts = s.availability + s.quality + s.codec + s.activity
        assert s.total == round(parts * s.age_factor)


def test_the_ideal_release_reaches_exactly_10000():
    s = score("Movie.2024.2160p.BluRay.REMUX.HEVC.10bit-GRP", seeds=5000, peers=100, days=1)
    assert (s.availability, s.quality, s.codec, s.activity) == (4000, 3000, 2000, 1000)
    assert s.total == 10_000


def test_a_dead_torrent_gets_no_availability_or_activity():
    s = score(seeds=0, peers=0)
    assert (s.availability, s.activity) == (0, 0)


def test_unknown_seeds_rank_between_dead_and_healthy():
    assert score(seeds=0).total < score(seeds=None).total < score(seeds=50).total


# --- seeds -----------------------------------------------------------------------------


def test_total_is_monotonic_in_seeds():
    totals = [score(seeds=n, peers=20).total for n in range(0, 600, 7)]
    assert totals == sorted(totals)
    assert score(seeds=0).total < score(seeds=1).total < score(seeds=10).total \
        < score(seeds=100).total


def test_seeds_have_diminishing_returns():
    a = [score(seeds=n).availability for n in (1, 2, 100, 101)]
    assert a[1] - a[0] > a[3] - a[2] >= 0


def test_leechers_show_life_but_starve_a_lone_seed():
    assert score(seeds=50, peers=20).activity > score(seeds=50, peers=0).activity
    # 1 seed shared by 500 leechers is worse than 1 seed and 1 leecher on the health half
    assert score(seeds=1, peers=500).activity < 1000
    assert score(seeds=200, peers=100).activity == 1000


# --- age -------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "expected"), [
    (None, 0.9), (-5, 1.0), (0, 1.0), (180, 1.0), (730, 0.7), (5000, 0.7)])
def test_age_factor_table(days, expected):
    uploaded = None if days is None else NOW - timedelta(days=days)
    assert age_factor(uploaded, NOW) == pytest.approx(expected)


def test_age_factor_falls_steadily_between_six_months_and_two_years():
    factors = [age_factor(NOW - timedelta(days=d), NOW) for d in range(180, 760, 30)]
    assert factors == sorted(factors, reverse=True)
    assert 0.7 < age_factor(NOW - timedelta(days=455), NOW) < 1.0
    assert score(days=1000).total < score(days=10).total


def test_naive_and_aware_timestamps_mix():
    naive = datetime(2025, 5, 1, 12, 0)
    assert age_factor(naive, NOW) == 1.0
    assert age_factor(NOW - timedelta(days=900), NOW.replace(tzinfo=None)) == pytest.approx(0.7)


# --- quality ---------------------------------------------------------------------------


def test_resolution_and_source_order_quality():
    q = {n: score(n).quality for n in [
        "M.2019.2160p.BluRay.REMUX.HEVC", "M.2019.2160p.BluRay.x265", "M.2019.1080p.BluRay.x264",
        "M.2019.1080p.WEB-DL.x264", "M.2019.1080p.WEBRip.x264", "M.2019.720p.HDTV.x264",
        "M.2019.480p.DVDRip.XviD"]}
    values = list(q.values())
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)


@pytest.mark.parametrize("capture", ["HDCAM", "TS", "HDTC"])
def test_cinema_captures_are_heavily_penalised(capture):
    cam = score(f"Movie.2019.1080p.{capture}.x264").quality
    assert cam < score("Movie.2019.480p.DVDRip.XviD").quality
    assert cam < 0.2 * score("Movie.2019.1080p.WEB-DL.x264").quality


def test_codec_efficiency_order():
    assert score("M.2019.1080p.BluRay.x265").codec > score("M.2019.1080p.BluRay.x264").codec \
        > score("M.2019.1080p.BluRay.XviD").codec


# --- target profiles -------------------------------------------------------------------

TV = samsung_tv(hevc=True)
TV_NO_HEVC = samsung_tv(hevc=False)


@pytest.mark.parametrize(("name", "profile", "explanation"), [
    ("M.2019.1080p.BluRay.DTS.x264", TV, "DTS audio — this TV cannot play it"),
    ("M.2019.1080p.BluRay.DTS-HD.MA.5.1.x264", TV, "DTS-HD audio — this TV cannot play it"),
    ("M.2019.1080p.BluRay.DTS-X.7.1.x264", TV, "DTS-X audio — this TV cannot play it"),
    ("M.2019.1080p.BluRay.TrueHD.7.1.Atmos.x264", TV, "TrueHD audio — this TV cannot play it"),
    ("[Grp] Show - 01 (1080p Hi10P AAC)", TV, "Hi10P video — this TV cannot play it"),
    ("M.2019.1080p.BluRay.10bit.x264", TV, "Hi10P video — this TV cannot play it"),
    ("M.2019.1080p.WEB-DL.x265.AAC", TV_NO_HEVC, "HEVC video — this TV cannot play it"),
    ("M.2019.1080p.WEB-DL.AV1.Opus", TV, "AV1 video — this TV cannot play it"),
    ("M.2019.2160p.WEB-DL.x264.AAC", basic_tv(), "2160p — this TV shows at most 1080p"),
])
def test_tv_cannot_play(name, profile, explanation):
    s = score(name, profile)
    assert not s.playable
    assert s.explanation == explanation
    # the same release is fine on the PC, where mpv plays anything
    assert score(name, PC_PROFILE).playable


@pytest.mark.parametrize("name", [
    "M.2019.1080p.WEB-DL.x265.10bit.DDP5.1",  # 10-bit HEVC is not Hi10P
    "M.2019.2160p.BluRay.x265.HDR.AC3.Atmos",
    "M.2019.1080p.BluRay.x264.AAC",
    "unparseable name",
])
def test_tv_plays(name):
    assert score(name, TV).playable


def test_hevc_switch_only_matters_for_hevc():
    name = "M.2019.1080p.WEB-DL.x265.AAC"
    assert score(name, TV).playable and score(name, TV).codec > 0
    assert score(name, TV_NO_HEVC).codec == 0
    x264 = "M.2019.1080p.WEB-DL.x264.AAC"
    assert score(x264, TV_NO_HEVC) == score(x264, TV)


def test_hdr_on_an_sdr_target_costs_codec_points():
    name = "M.2019.1080p.WEB-DL.x264.HDR.AAC"
    assert score(name, basic_tv()).codec < score(name, PC_PROFILE).codec


# --- explanation and rank --------------------------------------------------------------


@pytest.mark.parametrize(("name", "seeds", "size", "text"), [
    ("Movie.2019.1080p.BluRay.x264-GRP", 230, int(2.1 * GB), "1080p x264 · 230 seeds · 2.1 GB"),
    ("Movie.2019.720p.WEBRip.x265", 1, 700 * 1024**2, "720p x265 · 1 seed · 700 MB"),
    ("Movie.2019.HDCAM.x264", None, 0, "CAM x264 · seeds unknown"),
    ("Dune.2024.2160p.UHD.BluRay.DV.HEVC", 5, 30 * GB, "2160p x265 DV · 5 seeds · 30.0 GB"),
    ("???", 3, 0, "Unknown quality · 3 seeds"),
])
def test_explanation_line(name, seeds, size, text):
    assert score(name, seeds=seeds, size=size).explanation == text


def candidates(*releases):
    return [(parse_release(r.name), r) for r in releases]


def test_rank_puts_playable_first_and_marks_only_the_best():
    remux = rel("Dune.2024.2160p.BluRay.REMUX.HEVC.TrueHD.Atmos", seeds=900, peers=90,
                info_hash="1" * 40)
    good = rel("Movie.2019.1080p.BluRay.x264.AAC", seeds=230, peers=20, size=int(2.1 * GB),
               info_hash="2" * 40)
    weak = rel("Movie.2019.720p.WEBRip.x264.AAC", seeds=4, peers=1, size=GB,
               info_hash="3" * 40)
    ranked = rank(candidates(weak, remux, good), TV, NOW)
    assert [r.release.info_hash for r in ranked] == ["2" * 40, "3" * 40, "1" * 40]
    # the unplayable remux outscores the rest but still sorts last
    assert ranked[2].score.total > ranked[0].score.total
    assert ranked[0].score.explanation == "1080p x264 · 230 seeds · 2.1 GB" + BEST_SUFFIX
    assert not ranked[1].score.explanation.endswith(BEST_SUFFIX)
    assert ranked[2].score.explanation == "TrueHD audio — this TV cannot play it"

    on_pc = rank(candidates(weak, remux, good), PC_PROFILE, NOW)
    assert on_pc[0].release.info_hash == "1" * 40
    assert on_pc[0].score.explanation.endswith(BEST_SUFFIX)


def test_rank_adds_no_suffix_when_nothing_plays():
    dts = rel("M.2019.1080p.BluRay.DTS.x264", info_hash="4" * 40)
    ranked = rank(candidates(dts), TV, NOW)
    assert ranked[0].score.explanation == "DTS audio — this TV cannot play it"


def test_rank_is_stable_for_ties_and_empty_input():
    a = rel(info_hash="b" * 40)
    b = rel(info_hash="a" * 40)
    first = [r.release.info_hash for r in rank(candidates(a, b), PC_PROFILE, NOW)]
    second = [r.release.info_hash for r in rank(candidates(b, a), PC_PROFILE, NOW)]
    assert first == second == ["a" * 40, "b" * 40]
    assert rank([], PC_PROFILE, NOW) == []


def test_rank_returns_scores_consistent_with_score_release():
    r = rel()
    info = parse_release(r.name)
    (only,) = rank([(info, r)], PC_PROFILE, NOW)
    plain = score_release(info, r, PC_PROFILE, NOW)
    assert only.score.total == plain.total and only.info is info and only.release is r


def test_score_of_empty_info_is_still_valid():
    s = score_release(ReleaseInfo(), rel(), TV, NOW)
    assert s.playable and 0 < s.total < 10_000
