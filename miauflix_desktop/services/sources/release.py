"""Turns a torrent release name into a normalised ReleaseInfo (pure; never raises).

The heavy lifting is done by `parsett` (PTT); this module maps its vocabulary onto the
small, stable one the rest of the app uses (see the constants below), fills the few gaps
PTT leaves (Hi10P, UHD, VP9, Opus, DTS:X, "6CH"), and lets a provider's own declarations
fill whatever the name does not say (`merge_declared`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any

import PTT

from miauflix_desktop.services.sources.types import ProviderRelease, ReleaseInfo

# --- The vocabulary ReleaseInfo uses (TargetProfile.unsupported_audio uses these too) ---

RES_2160 = "2160p"
RES_1080 = "1080p"
RES_720 = "720p"
RES_480 = "480p"  # every SD size (576p, 480p, 360p...) lands here

AUDIO_TRUEHD = "TrueHD"
AUDIO_DTS_X = "DTS-X"
AUDIO_DTS_HD = "DTS-HD"  # DTS-HD Master Audio / lossless
AUDIO_DTS = "DTS"
AUDIO_EAC3 = "EAC3"  # Dolby Digital Plus
AUDIO_AC3 = "AC3"  # Dolby Digital
AUDIO_AAC = "AAC"
AUDIO_FLAC = "FLAC"
AUDIO_PCM = "PCM"
AUDIO_OPUS = "Opus"
AUDIO_MP3 = "MP3"
AUDIO_ATMOS = "Atmos"  # an object layer carried inside TrueHD or EAC3, not a codec alone

# Order in ReleaseInfo.audio_codecs: the carrying codec first, Atmos last.
_AUDIO_ORDER = (AUDIO_TRUEHD, AUDIO_DTS_X, AUDIO_DTS_HD, AUDIO_DTS, AUDIO_EAC3, AUDIO_AC3,
                AUDIO_AAC, AUDIO_FLAC, AUDIO_PCM, AUDIO_OPUS, AUDIO_MP3, AUDIO_ATMOS)

# Sources, best first. "TS"/"TC"/"CAM" are filmed or captured in a cinema.
SOURCE_REMUX = "REMUX"
SOURCE_BLURAY = "BluRay"
SOURCE_WEBDL = "WEB-DL"
SOURCE_BDRIP = "BDRip"
SOURCE_WEBRIP = "WEBRip"
SOURCE_HDTV = "HDTV"
SOURCE_HDRIP = "HDRip"
SOURCE_DVD = "DVD"
SOURCE_DVDRIP = "DVDRip"
SOURCE_TVRIP = "TVRip"
SOURCE_VHS = "VHS"
SOURCE_SCR = "SCR"
SOURCE_R5 = "R5"
SOURCE_TC = "TC"
SOURCE_TS = "TS"
SOURCE_CAM = "CAM"
CINEMA_SOURCES = frozenset({SOURCE_CAM, SOURCE_TS, SOURCE_TC})

# PTT's "quality" values -> ours.
_SOURCE_MAP = {
    "bluray remux": SOURCE_REMUX,
    "remux": SOURCE_REMUX,
    "bluray": SOURCE_BLURAY,
    "bdrip": SOURCE_BDRIP,
    "brrip": SOURCE_BDRIP,
    "uhdrip": SOURCE_BDRIP,
    # The scene's bare "WEB" tag has meant an untouched web download since ~2016.
    "web": SOURCE_WEBDL,
    "web-dl": SOURCE_WEBDL,
    "webmux": SOURCE_WEBDL,
    "web-dlrip": SOURCE_WEBRIP,
    "webrip": SOURCE_WEBRIP,
    "hdtv": SOURCE_HDTV,
    "hdtvrip": SOURCE_HDTV,
    "pdtv": SOURCE_HDTV,
    "tvrip": SOURCE_TVRIP,
    "satrip": SOURCE_TVRIP,
    "ppvrip": SOURCE_TVRIP,
    "hdrip": SOURCE_HDRIP,
    "dvd": SOURCE_DVD,
    "dvdrip": SOURCE_DVDRIP,
    "vhs": SOURCE_VHS,
    "vhsrip": SOURCE_VHS,
    "scr": SOURCE_SCR,
    "r5": SOURCE_R5,
    "telecine": SOURCE_TC,
    "telesync": SOURCE_TS,
    "cam": SOURCE_CAM,
}

# Provider "type" declarations -> ours. YTS re-encodes its web sources itself and names
# them "WEBRip" in its own release names, so "web" is a WEBRip there.
_DECLARED_SOURCE_MAP = {
    "bluray": SOURCE_BLURAY,
    "blu-ray": SOURCE_BLURAY,
    "web": SOURCE_WEBRIP,
    "webrip": SOURCE_WEBRIP,
    "web-dl": SOURCE_WEBDL,
    "webdl": SOURCE_WEBDL,
    "hdtv": SOURCE_HDTV,
    "dvd": SOURCE_DVDRIP,
    "dvdrip": SOURCE_DVDRIP,
    "cam": SOURCE_CAM,
}

_VIDEO_MAP = {
    "avc": "x264", "h264": "x264", "h.264": "x264", "x264": "x264",
    "hevc": "x265", "h265": "x265", "h.265": "x265", "x265": "x265",
    "av1": "av1", "xvid": "xvid", "divx": "xvid", "vp9": "vp9", "mpeg": "mpeg2",
    "mpeg2": "mpeg2", "vc1": "vc1", "vc-1": "vc1",
}

_AUDIO_MAP = {
    "truehd": AUDIO_TRUEHD,
    "dts lossless": AUDIO_DTS_HD,
    "dts lossy": AUDIO_DTS,
    "dolby digital plus": AUDIO_EAC3,
    "dolby digital": AUDIO_AC3,
    "aac": AUDIO_AAC,
    "flac": AUDIO_FLAC,
    "pcm": AUDIO_PCM,
    "opus": AUDIO_OPUS,
    "mp3": AUDIO_MP3,
    "atmos": AUDIO_ATMOS,
}

_HDR_MAP = {"dv": "DV", "hdr10+": "HDR10+", "hdr": "HDR10", "hdr10": "HDR10", "hlg": "HLG"}
_HDR_ORDER = ("DV", "HDR10+", "HDR10", "HLG")

# PTT is quadratic in the input length (10k characters take ~13 s); a real release name
# is at most ~255 characters (a file name), so longer input is cut before parsing.
MAX_NAME_LENGTH = 300
# Guards against absurd ranges ("E1-E99999") turning into huge tuples.
_MAX_NUMBERS = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")

# Gaps in PTT's vocabulary, matched on the (cleaned) name itself.
_HI10P = re.compile(r"\bHi10P?\b", re.IGNORECASE)
_UHD = re.compile(r"\b(?:UHD|4K)\b", re.IGNORECASE)
_VP9 = re.compile(r"\bVP-?9\b", re.IGNORECASE)
_VC1 = re.compile(r"\bVC-?1\b", re.IGNORECASE)
_OPUS = re.compile(r"\bOpus(?:\d|\b)", re.IGNORECASE)
_DTS_X = re.compile(r"\bDTS[-.:\s]?X\b", re.IGNORECASE)
_HLG = re.compile(r"\bHLG\b", re.IGNORECASE)
_CHANNELS_CH = re.compile(r"\b([2678])\s?CH\b", re.IGNORECASE)
_SERIES_WORD = re.compile(r"\b(?:series|seasons?|saison|temporada|staffel|stagione)\b",
                          re.IGNORECASE)
_CH_COUNT = {"2": "2.0", "6": "5.1", "7": "6.1", "8": "7.1"}


def parse_release(name: str) -> ReleaseInfo:
    """What `name` says about the file. Unknown fields stay empty; never raises."""
    try:
        text = _clean(name)
        if not text:
            return ReleaseInfo()
        raw = _ptt(text)
        return _normalise(raw, text)
    except Exception:
        # A parser bug on one weird name must not break a whole provider search.
        return ReleaseInfo()


def merge_declared(info: ReleaseInfo, release: ProviderRelease) -> ReleaseInfo:
    """`info` with its gaps filled from what `release`'s provider declares.

    The name wins when both speak: it describes the actual file, while provider fields
    are per-listing metadata that is sometimes generic (YTS's "web").
    """
    try:
        changes: dict[str, Any] = {}
        if info.resolution is None:
            resolution = _resolution(release.quality)
            if resolution:
                changes["resolution"] = resolution
        if info.source is None and isinstance(release.release_type, str):
            source = _DECLARED_SOURCE_MAP.get(release.release_type.strip().lower())
            if source:
                changes["source"] = source
        if info.video_codec is None and isinstance(release.video_codec, str):
            codec = _VIDEO_MAP.get(release.video_codec.strip().lower())
            if codec:
                changes["video_codec"] = codec
        if info.bit_depth is None and _is_int(release.bit_depth) and release.bit_depth in (
                8, 10, 12):
            changes["bit_depth"] = release.bit_depth
        if info.channels is None and isinstance(release.audio_channels, str):
            channels = _channels([release.audio_channels])
            if channels:
                changes["channels"] = channels
        return dataclasses.replace(info, **changes) if changes else info
    except Exception:
        return info


# --- internals ----------------------------------------------------------------------------


def _clean(name: object) -> str:
    if not isinstance(name, str):
        return ""
    # Lone surrogates (from badly decoded bytes) would make later encoding blow up.
    text = name[: MAX_NAME_LENGTH * 2].encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL.sub(" ", text)
    return text.strip()[:MAX_NAME_LENGTH]


def _ptt(text: str) -> dict[str, Any]:
    try:
        raw = PTT.parse_title(text)
    except Exception:
        return {}
    return raw if isinstance(raw, dict) else {}


def _normalise(raw: dict[str, Any], text: str) -> ReleaseInfo:
    video_codec = _VIDEO_MAP.get(str(raw.get("codec", "")).lower())
    bit_depth = _bit_depth(raw.get("bit_depth"))
    if _HI10P.search(text):
        # Hi10P is by definition H.264's High 10 profile.
        bit_depth = 10
        video_codec = video_codec or "x264"
    if video_codec is None and _VP9.search(text):
        video_codec = "vp9"
    if video_codec is None and _VC1.search(text):
        video_codec = "vc1"

    resolution = _resolution(raw.get("resolution"))
    if resolution is None and _UHD.search(text):
        resolution = RES_2160

    audio = {_AUDIO_MAP[a.lower()] for a in _strings(raw.get("audio")) if a.lower() in _AUDIO_MAP}
    if _OPUS.search(text):
        audio.add(AUDIO_OPUS)
    if _DTS_X.search(text):
        # PTT folds DTS:X into "DTS Lossless"; keep the distinction.
        audio.discard(AUDIO_DTS_HD)
        audio.add(AUDIO_DTS_X)
    audio_codecs = tuple(a for a in _AUDIO_ORDER if a in audio)

    channel_words = _strings(raw.get("channels"))
    channel_words += [_CH_COUNT[m] for m in _CHANNELS_CH.findall(text)]
    hdr = {_HDR_MAP[h.lower()] for h in _strings(raw.get("hdr")) if h.lower() in _HDR_MAP}
    if _HLG.search(text):
        hdr.add("HLG")

    seasons = _numbers(raw.get("seasons"))
    episodes = _numbers(raw.get("episodes"))
    complete = raw.get("complete") is True
    season_pack = not episodes and (bool(seasons) or (complete and bool(_SERIES_WORD.search(text))))

    return ReleaseInfo(
        # PTT does not know "Hi10P" and leaves it in the title.
        title=_HI10P.sub("", _string(raw.get("title")) or "").strip(),
        year=_year(raw.get("year")),
        resolution=resolution,
        video_codec=video_codec,
        bit_depth=bit_depth,
        hdr=tuple(h for h in _HDR_ORDER if h in hdr),
        audio_codecs=audio_codecs,
        channels=_channels(channel_words),
        source=_SOURCE_MAP.get(str(raw.get("quality", "")).lower()),
        languages=_languages(raw.get("languages")),
        seasons=seasons,
        episodes=episodes,
        season_pack=season_pack,
        group=_string(raw.get("group")),
    )


def _resolution(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("4k", "uhd"):
        return RES_2160
    match = re.fullmatch(r"(?:\d{3,4}x)?(\d{3,4})[pi]?", text)
    if not match:
        return None
    lines = int(match.group(1))
    # Buckets: 1440p counts as 1080p (rare; its players and bitrates are 1080p-class).
    if lines >= 2000:
        return RES_2160
    if lines >= 900:
        return RES_1080
    if lines >= 600:
        return RES_720
    if lines >= 200:
        return RES_480
    return None


def _bit_depth(value: object) -> int | None:
    match = re.fullmatch(r"(8|10|12)\s*-?bit", value.strip().lower()) if isinstance(
        value, str) else None
    return int(match.group(1)) if match else None


def _channels(words: Sequence[str]) -> str | None:
    # A release with several tracks lists the main (largest) layout.
    best: tuple[float, str] | None = None
    for word in words:
        text = word.strip().lower()
        if text == "stereo":
            text = "2.0"
        elif text == "mono":
            text = "1.0"
        if not re.fullmatch(r"[1-9]\.[0-2]", text):
            continue
        count = float(text)
        if best is None or count > best[0]:
            best = (count, text)
    return best[1] if best else None


def _languages(value: object) -> tuple[str, ...]:
    out: list[str] = []
    for code in _strings(value):
        code = code.strip().lower()
        # PTT writes Latin-American Spanish as "la", which is Latin in ISO 639-1.
        if code == "la":
            code = "es"
        if re.fullmatch(r"[a-z]{2}", code) and code not in out:
            out.append(code)
    return tuple(out)


def _numbers(value: object) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        return ()
    nums = sorted({v for v in value if _is_int(v) and 0 <= v < 10_000})
    return tuple(nums[:_MAX_NUMBERS])


def _year(value: object) -> int | None:
    return value if _is_int(value) and 1870 <= value <= 2100 else None


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [v for v in value if isinstance(v, str)]
    return []


def _string(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _is_int(value: object) -> bool:
    # bool is an int subclass; True is not a season number.
    return isinstance(value, int) and not isinstance(value, bool)
