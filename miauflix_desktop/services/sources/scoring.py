"""Scores a release 0-10,000 for a playback target and ranks candidates best first (pure).

Same shape and intent as upstream Miauflix's streaming score: availability (≤ 4000) +
quality (≤ 3000) + codec (≤ 2000) + peer activity (≤ 1000), times an age factor
(0.7-1.0). What differs: seeds count with diminishing returns (the 200th seed matters far
less than the 2nd), the source (BluRay, WEB, CAM...) is part of quality, and the codec
part knows the target, so a release the target cannot decode is marked unplayable and
sorts after every playable one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from miauflix_desktop.services.sources.release import (
    CINEMA_SOURCES,
    RES_480,
    RES_720,
    RES_1080,
    RES_2160,
    SOURCE_BDRIP,
    SOURCE_BLURAY,
    SOURCE_CAM,
    SOURCE_DVD,
    SOURCE_DVDRIP,
    SOURCE_HDRIP,
    SOURCE_HDTV,
    SOURCE_R5,
    SOURCE_REMUX,
    SOURCE_SCR,
    SOURCE_TC,
    SOURCE_TS,
    SOURCE_TVRIP,
    SOURCE_VHS,
    SOURCE_WEBDL,
    SOURCE_WEBRIP,
)
from miauflix_desktop.services.sources.types import (
    ProviderRelease,
    ReleaseInfo,
    Score,
    TargetProfile,
)

MAX_TOTAL = 10_000
MAX_AVAILABILITY = 4000
MAX_QUALITY = 3000
MAX_CODEC = 2000
MAX_ACTIVITY = 1000
MIN_AGE_FACTOR = 0.7

BEST_SUFFIX = " — best that plays here"

# --- availability ----------------------------------------------------------------------
# log1p curve reaching the cap at 200 seeds: 1 seed ≈ 520, 10 ≈ 1810, 50 ≈ 2970, 100 ≈ 3480.
# Upstream caps linearly at 100 seeds; the curve keeps "a few seeds vs none" meaningful.
_FULL_SEEDS = 200
# A provider that lists a torrent without counts: it is usually alive, so it ranks above a
# torrent reported dead (0) and below any with real, healthy counts.
_UNKNOWN_SEEDS = 3

# --- quality ---------------------------------------------------------------------------
_RESOLUTION_POINTS = {RES_2160: 1900, RES_1080: 1500, RES_720: 1000, RES_480: 500}
_UNKNOWN_RESOLUTION_POINTS = 700  # unlabelled releases are mostly old and SD-ish
_SOURCE_POINTS = {
    SOURCE_REMUX: 1100,
    SOURCE_BLURAY: 1000,
    SOURCE_WEBDL: 950,
    SOURCE_BDRIP: 850,
    SOURCE_WEBRIP: 850,
    SOURCE_HDTV: 650,
    SOURCE_HDRIP: 600,
    SOURCE_DVD: 500,
    SOURCE_DVDRIP: 450,
    SOURCE_TVRIP: 350,
    SOURCE_VHS: 200,
    SOURCE_R5: 200,
    SOURCE_SCR: 150,
    SOURCE_TC: 50,
    SOURCE_TS: 50,
    SOURCE_CAM: 0,
}
_UNKNOWN_SOURCE_POINTS = 600
# A camera pointed at a cinema screen is not "1080p" in any sense that matters.
_CINEMA_RESOLUTION_FACTOR = 0.2

# --- codec -----------------------------------------------------------------------------
# Efficiency: better picture per byte streams sooner and survives a slow swarm.
_CODEC_POINTS = {
    "x265": 1800,
    "av1": 1700,  # as efficient, but decoders (hardware especially) are rarer and heavier
    "x264": 1500,
    "vp9": 1300,
    "xvid": 600,
    "mpeg2": 400,
    "vc1": 400,
}
_UNKNOWN_CODEC_POINTS = 1000
_TEN_BIT_BONUS = 200  # 10-bit HEVC/AV1 bands less at the same size
_HDR_ON_SDR_PENALTY = 500  # needs tone-mapping on an SDR target; looks washed out
_BAD_AUDIO_FACTOR = 0.5

# --- activity --------------------------------------------------------------------------
_LIFE_POINTS = 600  # leechers show the swarm is alive and pieces are moving
_FULL_LEECHERS = 100
_HEALTH_POINTS = 400  # seeds per leecher: many leechers per seed means a starved swarm

# --- age -------------------------------------------------------------------------------
# Recent uploads keep full score; the factor falls linearly to 0.7 at two years, like
# upstream's 1.0 / 0.85 / 0.7 steps but without cliffs. Unknown age: upstream's 0.9.
_FRESH_DAYS = 180.0
_OLD_DAYS = 730.0
_UNKNOWN_AGE_FACTOR = 0.9

_CODEC_LABELS = {"x264": "x264", "x265": "x265", "av1": "AV1", "vp9": "VP9", "xvid": "XviD",
                 "mpeg2": "MPEG-2", "vc1": "VC-1"}


@dataclass(frozen=True)
class Ranked:
    """One candidate with its score, as rank() returns it."""

    info: ReleaseInfo
    release: ProviderRelease
    score: Score


def score_release(info: ReleaseInfo, release: ProviderRelease, profile: TargetProfile,
                  now: datetime) -> Score:
    """Score `release` (described by `info`) for playback on `profile` at time `now`."""
    seeds = _effective_seeds(release.seeds)
    leechers = max(0, release.peers or 0)
    blocker = unplayable_reason(info, profile)

    availability = _availability(seeds)
    quality = _quality(info)
    codec = _codec(info, profile)
    activity = _activity(seeds, leechers)
    age = age_factor(release.uploaded_at, now)
    total = round((availability + quality + codec + activity) * age)
    return Score(
        total=max(0, min(MAX_TOTAL, total)),
        availability=availability,
        quality=quality,
        codec=codec,
        activity=activity,
        age_factor=age,
        playable=blocker is None,
        explanation=blocker if blocker is not None else describe(info, release),
    )


def rank(candidates: Iterable[tuple[ReleaseInfo, ProviderRelease]], profile: TargetProfile,
         now: datetime) -> list[Ranked]:
    """Candidates best first: playable ones before unplayable, then by score.

    The first playable one's explanation gets BEST_SUFFIX, so the UI can show why it was
    picked without knowing about scores.
    """
    ranked = [Ranked(info, release, score_release(info, release, profile, now))
              for info, release in candidates]
    # Ties break on seeds, then on the hash so the order never depends on input order.
    ranked.sort(key=lambda r: (not r.score.playable, -r.score.total,
                               -(r.release.seeds or 0), r.release.info_hash))
    if ranked and ranked[0].score.playable:
        top = ranked[0]
        best = dataclasses.replace(top.score, explanation=top.score.explanation + BEST_SUFFIX)
        ranked[0] = dataclasses.replace(top, score=best)
    return ranked


def unplayable_reason(info: ReleaseInfo, profile: TargetProfile) -> str | None:
    """Why `profile` cannot decode this release (one UI line), or None if it can."""
    cannot = f"{profile.label} cannot play it"
    if info.video_codec == "x265" and not profile.hevc:
        return f"HEVC video — {cannot}"
    if info.video_codec == "av1" and not profile.av1:
        return f"AV1 video — {cannot}"
    if _is_hi10p(info) and not profile.hi10p:
        return f"Hi10P video — {cannot}"
    for audio in info.audio_codecs:
        if audio in profile.unsupported_audio:
            return f"{audio} audio — {cannot}"
    lines = _lines(info.resolution)
    if lines is not None and lines > profile.max_resolution:
        return f"{info.resolution} — {profile.label} shows at most {profile.max_resolution}p"
    return None


def describe(info: ReleaseInfo, release: ProviderRelease) -> str:
    """'1080p x264 · 230 seeds · 2.1 GB': what a viewer needs to pick a release."""
    head = [info.resolution or ""]
    if info.source in CINEMA_SOURCES or info.source in (SOURCE_SCR, SOURCE_R5):
        head.append(info.source or "")
    head.append("Hi10P" if _is_hi10p(info) else _CODEC_LABELS.get(info.video_codec or "", ""))
    if info.hdr:
        head.append(info.hdr[0])
    parts = [" ".join(p for p in head if p) or "Unknown quality", _seeds_text(release.seeds)]
    size = _size_text(release.size_bytes)
    if size:
        parts.append(size)
    return " · ".join(parts)


def age_factor(uploaded_at: datetime | None, now: datetime) -> float:
    """1.0 for uploads up to ~6 months old, falling linearly to 0.7 at two years."""
    if uploaded_at is None:
        return _UNKNOWN_AGE_FACTOR
    days = (_aware(now) - _aware(uploaded_at)).total_seconds() / 86_400
    if days <= _FRESH_DAYS:  # also a future date (clock skew between us and the provider)
        return 1.0
    if days >= _OLD_DAYS:
        return MIN_AGE_FACTOR
    fraction = (days - _FRESH_DAYS) / (_OLD_DAYS - _FRESH_DAYS)
    return round(1.0 - (1.0 - MIN_AGE_FACTOR) * fraction, 4)


# --- parts -----------------------------------------------------------------------------


def _availability(seeds: int) -> int:
    if seeds <= 0:
        return 0
    fraction = min(1.0, math.log1p(seeds) / math.log1p(_FULL_SEEDS))
    return round(MAX_AVAILABILITY * fraction)


def _quality(info: ReleaseInfo) -> int:
    resolution = _RESOLUTION_POINTS.get(info.resolution or "", _UNKNOWN_RESOLUTION_POINTS)
    if info.source in CINEMA_SOURCES:
        resolution = round(resolution * _CINEMA_RESOLUTION_FACTOR)
    source = _SOURCE_POINTS.get(info.source or "", _UNKNOWN_SOURCE_POINTS)
    return max(0, min(MAX_QUALITY, resolution + source))


def _codec(info: ReleaseInfo, profile: TargetProfile) -> int:
    codec = info.video_codec
    video_blocked = ((codec == "x265" and not profile.hevc)
                     or (codec == "av1" and not profile.av1)
                     or (_is_hi10p(info) and not profile.hi10p))
    if video_blocked:
        return 0
    points = _CODEC_POINTS.get(codec or "", _UNKNOWN_CODEC_POINTS)
    if codec in ("x265", "av1") and info.bit_depth == 10:
        points += _TEN_BIT_BONUS
    if info.hdr and not profile.hdr:
        points -= _HDR_ON_SDR_PENALTY
    if any(a in profile.unsupported_audio for a in info.audio_codecs):
        points = round(points * _BAD_AUDIO_FACTOR)
    return max(0, min(MAX_CODEC, points))


def _activity(seeds: int, leechers: int) -> int:
    life = _LIFE_POINTS * min(1.0, math.log1p(leechers) / math.log1p(_FULL_LEECHERS))
    health = _HEALTH_POINTS * min(1.0, seeds / max(leechers, 1)) if seeds > 0 else 0.0
    return max(0, min(MAX_ACTIVITY, round(life + health)))


# --- helpers ---------------------------------------------------------------------------


def _effective_seeds(seeds: int | None) -> int:
    return _UNKNOWN_SEEDS if seeds is None else max(0, seeds)


def _is_hi10p(info: ReleaseInfo) -> bool:
    # 10-bit H.264 (High 10 profile): common in anime, decoded by no TV or GPU.
    return info.video_codec == "x264" and info.bit_depth == 10


def _lines(resolution: str | None) -> int | None:
    if not resolution or not resolution.endswith("p") or not resolution[:-1].isdigit():
        return None
    return int(resolution[:-1])


def _aware(moment: datetime) -> datetime:
    # Providers give naive UTC timestamps as often as aware ones; mixing them would raise.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _seeds_text(seeds: int | None) -> str:
    if seeds is None:
        return "seeds unknown"
    return "1 seed" if seeds == 1 else f"{max(0, seeds):,} seeds"


def _size_text(size_bytes: int) -> str:
    if size_bytes <= 0:
        return ""
    gib = size_bytes / 1024**3
    if gib >= 1:
        return f"{gib:.1f} GB"
    return f"{max(1, round(size_bytes / 1024**2))} MB"
