"""Playback targets: what the PC's mpv and the TVs we stream to can decode.

Scoring (services.sources.scoring) marks releases a target cannot decode as unplayable;
these profiles are the facts it checks against.
"""

from __future__ import annotations

from miauflix_desktop.services.sources.release import (
    AUDIO_DTS,
    AUDIO_DTS_HD,
    AUDIO_DTS_X,
    AUDIO_TRUEHD,
)
from miauflix_desktop.services.sources.types import TargetProfile

# Samsung (Tizen) dropped DTS decoding from 2018 models on, and no TV decodes TrueHD
# itself (it is passed through to a receiver, which we cannot assume).
_TV_UNSUPPORTED_AUDIO = frozenset({AUDIO_DTS, AUDIO_DTS_HD, AUDIO_DTS_X, AUDIO_TRUEHD})

# mpv decodes everything in software if it has to.
PC_PROFILE = TargetProfile(name="pc", label="this PC")


def samsung_tv(hevc: bool = True, av1: bool = False) -> TargetProfile:
    """A Samsung TV: no DTS or TrueHD, no Hi10P (no TV has a 10-bit H.264 decoder).

    HEVC is a switch because older or cheaper panels (and some DLNA paths) lack it; AV1
    only arrived in 2020+ models, so it is off unless the caller knows better.
    """
    suffix = "" if hevc else "-no-hevc"
    return TargetProfile(
        name=f"samsung-tv{suffix}",
        hevc=hevc,
        av1=av1,
        hi10p=False,
        hdr=True,
        unsupported_audio=_TV_UNSUPPORTED_AUDIO,
        max_resolution=2160,
        label="this TV",
    )


def basic_tv() -> TargetProfile:
    """The safe floor for an unknown DLNA TV: H.264 up to 1080p, SDR, AAC/AC3/EAC3."""
    return TargetProfile(
        name="basic-tv",
        hevc=False,
        av1=False,
        hi10p=False,
        hdr=False,
        unsupported_audio=_TV_UNSUPPORTED_AUDIO,
        max_resolution=1080,
        label="this TV",
    )
