"""Plain data shared by the source-discovery modules (providers, parsing, scoring, stats).

Kept free of I/O and of SQLAlchemy so every module can import it, and tests can build
values by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ProviderRelease:
    """One torrent a provider lists for a title, as the provider describes it."""

    provider: str  # short key: "yts", "therarbg"
    name: str  # the release name ("Movie.2019.1080p.BluRay.x264-GRP"); YTS: built from fields
    info_hash: str  # 40 lowercase hex characters (v1 info hash)
    size_bytes: int = 0
    seeds: int | None = None
    peers: int | None = None
    uploaded_at: datetime | None = None
    quality: str | None = None  # what the provider declares ("1080p"), if anything
    release_type: str | None = None  # provider's own kind ("bluray", "web")
    torrent_url: str | None = None  # where a .torrent can be downloaded, if offered
    magnet: str | None = None  # the provider's magnet, if offered
    imdb_id: str | None = None
    # Technical details some providers declare outright (YTS: video_codec "x265",
    # bit_depth "10", audio_channels "5.1"); merge_declared() fills name-parsing gaps with them.
    video_codec: str | None = None
    bit_depth: int | None = None
    audio_channels: str | None = None


@dataclass(frozen=True)
class ReleaseInfo:
    """What a release name says about the file (parsed by services.sources.release)."""

    title: str = ""
    year: int | None = None
    resolution: str | None = None  # "2160p", "1080p", "720p", "480p"
    video_codec: str | None = None  # "x264", "x265", "av1", "xvid", ...
    bit_depth: int | None = None  # 10 for Hi10P / 10bit
    hdr: tuple[str, ...] = ()  # ("HDR10",), ("DV",), ("HDR10+",) ...
    audio_codecs: tuple[str, ...] = ()  # ("AAC",), ("DTS",), ("TrueHD", "Atmos") ...
    channels: str | None = None  # "5.1", "2.0", "7.1"
    source: str | None = None  # "BluRay", "WEB-DL", "WEBRip", "HDTV", "CAM", "TS", ...
    languages: tuple[str, ...] = ()  # ISO 639-1 codes ("en", "de")
    seasons: tuple[int, ...] = ()
    episodes: tuple[int, ...] = ()
    season_pack: bool = False  # one or more whole seasons, no single episode
    group: str | None = None


@dataclass(frozen=True)
class TargetProfile:
    """What a playback target can decode. The PC's mpv plays anything."""

    name: str
    hevc: bool = True
    av1: bool = True
    hi10p: bool = True
    hdr: bool = True
    # Audio codecs this target cannot decode (as ReleaseInfo.audio_codecs names them).
    unsupported_audio: frozenset[str] = field(default_factory=frozenset)
    max_resolution: int = 2160  # lines
    # How explanations name the target ("DTS audio — this TV cannot play it").
    label: str = "this device"


@dataclass(frozen=True)
class Score:
    """A 0-10,000 score, its parts, and one line the UI shows to explain it."""

    total: int
    availability: int  # 0-4000
    quality: int  # 0-3000
    codec: int  # 0-2000
    activity: int  # 0-1000
    age_factor: float  # 0.7-1.0
    playable: bool  # False: the target cannot decode it (score still computed)
    explanation: str


@dataclass(frozen=True)
class TrackerStats:
    """Seeds/peers as trackers report them (the best answer across trackers)."""

    seeds: int
    peers: int
    completed: int | None = None
