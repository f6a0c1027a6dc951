"""Typed, versioned user settings persisted as JSON; a damaged file falls back to defaults."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


@dataclass
class ServerSettings:
    """The stream server. Loopback only unless LAN mode is enabled by the user."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    token_ttl_seconds: int = 6 * 3600


@dataclass
class TorrentSettings:
    """Engine tuning; defaults suit streaming."""

    listen_interface: str = "0.0.0.0"
    listen_port: int = 0
    enable_dht: bool = True
    # Playback wants the next seconds of video, so keep the deadline window a few MiB.
    readahead_bytes: int = 8 * 1024 * 1024
    # Limits (TorrentEngine.apply_limits): KiB/s and open connections, 0 = unlimited.
    # 200 connections is libtorrent's own default; unlimited lets it open up to 20,000.
    download_rate_kib: int = 0
    upload_rate_kib: int = 0
    connections_limit: int = 200
    # The download folder's size cap (TorrentCache): least recently used torrents that
    # nobody is playing are removed with their files until the rest fits. 0 = no cap.
    cache_quota_gb: float = 20.0
    # Seeding policy: a finished torrent stops uploading once it has uploaded
    # seed_ratio x its size or after seed_time_minutes of seeding, whichever comes
    # first, unless it is being played. A negative value turns that criterion off.
    seed_ratio: float = 1.0
    seed_time_minutes: float = 60.0
    # Resume data of torrents with changes is written this often, so a crash (or
    # kill -9) loses at most this much progress bookkeeping; stop() writes it too.
    resume_save_interval_s: float = 60.0


@dataclass
class UiSettings:
    fullscreen: bool = False


@dataclass
class PlaybackSettings:
    """What Play picks and how mpv decodes."""

    # "auto" = the best source; "2160p", "1080p", "720p" = the best at most that tall
    # (a slower line or a smaller screen); falls back to the best when none fits.
    quality: str = "auto"
    hwdec: str = "auto-safe"  # mpv's hwdec: "auto-safe", "no", "vaapi", ...
    # Stall recovery (services/streaming/stall.py, which explains the defaults): switch
    # to the next source after the player starved this long below the film's bitrate,
    # or waited this long with no peer at all.
    stall_switch_seconds: float = 8.0
    no_peer_switch_seconds: float = 15.0


@dataclass
class TmdbSettings:
    """TMDB access; defaults stay well under TMDB's ~40 requests/s."""

    base_url: str = "https://api.themoviedb.org/3"
    image_base_url: str = "https://image.tmdb.org/t/p/"
    rate_per_second: float = 20.0
    max_retries: int = 4
    timeout_s: float = 10.0
    image_cache_mb: int = 512


@dataclass
class SourcesSettings:
    """Source discovery. Provider sections take ProviderOptions keys (mirrors, rate_max,
    rate_period_s, timeout_s, backoff_base_s, enabled ...); empty = the built-in defaults."""

    yts: dict[str, Any] = field(default_factory=dict)
    therarbg: dict[str, Any] = field(default_factory=dict)
    # Extra trackers for magnets we build and for scrapes (empty: the built-in list).
    trackers: list[str] = field(default_factory=list)
    # .torrent caches tried before the swarm, e.g. "https://example/torrent/{HASH}.torrent".
    cache_urls: list[str] = field(default_factory=list)
    research_after_hours: float = 24.0
    metadata_timeout_s: float = 30.0


@dataclass
class VpnSettings:
    """The VPN gate: with require_vpn, torrents and source search stop while it is down."""

    require_vpn: bool = False
    interface: str = ""  # "" = detect (wg*, tun*, the default route's device ...)
    poll_interval_s: float = 2.0
    bind_torrents: bool = True  # also bind libtorrent to the VPN device (not just pause)


@dataclass
class SubtitlesSettings:
    """Subtitle languages and OpenSubtitles access.

    The OpenSubtitles API key is kept in the keyring (secret "opensubtitles-api-key",
    services/subtitles/keys.py), never here; without one the search entry is hidden.
    """

    # Preferred subtitle languages in order (ISO 639-1, e.g. ["de", "en"]): mpv picks
    # the first embedded track that matches, and OpenSubtitles is searched in them.
    # Empty: subtitles stay off unless a file marks a track as forced or default.
    languages: list[str] = field(default_factory=list)
    base_url: str = "https://api.opensubtitles.com/api/v1"
    rate_per_second: float = 2.0
    timeout_s: float = 10.0


@dataclass
class PreloadSettings:
    """Warm start: titles the viewer lingers on get their first and last pieces early."""

    enabled: bool = True
    # A card focused this long (ms) starts its warm-up; scrolling past starts nothing.
    debounce_ms: int = 400
    max_jobs: int = 3
    # What the preload may download per minute (MiB); 0 = resolve sources and metadata
    # only, never pieces.
    budget_mib_per_minute: float = 48.0
    # Preloaded torrents nobody played kept at once; older ones are removed with their data.
    keep_warm: int = 8


@dataclass
class Settings:
    """Everything a user can change. Features add their own section dataclass here."""

    version: int = SETTINGS_VERSION
    # Normally empty: the key lives in the keyring (Setup screen); a value here overrides.
    tmdb_api_key: str = ""
    language: str = "en-US"
    setup_done: bool = False
    server: ServerSettings = field(default_factory=ServerSettings)
    torrent: TorrentSettings = field(default_factory=TorrentSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    playback: PlaybackSettings = field(default_factory=PlaybackSettings)
    tmdb: TmdbSettings = field(default_factory=TmdbSettings)
    sources: SourcesSettings = field(default_factory=SourcesSettings)
    vpn: VpnSettings = field(default_factory=VpnSettings)
    subtitles: SubtitlesSettings = field(default_factory=SubtitlesSettings)
    preload: PreloadSettings = field(default_factory=PreloadSettings)
    # Background job name -> interval in seconds, by the seed's names: refreshLists,
    # syncMovies, syncShows, syncIncompleteSeasons, movieSourceSearch, dataFileSearch,
    # updateSourcesStats, resyncMovieSources, cacheCleanup. Missing = the default.
    job_intervals: dict[str, float] = field(default_factory=dict)


def _merge(cls: type, data: dict[str, Any]) -> Any:
    """Build a dataclass from a dict, ignoring unknown keys and keeping defaults for bad ones."""
    obj = cls()
    for f in fields(cls):
        if f.name not in data:
            continue
        current = getattr(obj, f.name)
        value = data[f.name]
        if hasattr(current, "__dataclass_fields__"):
            if isinstance(value, dict):
                setattr(obj, f.name, _merge(type(current), value))
            continue
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            setattr(obj, f.name, float(value))  # JSON writes 20.0 as 20
        elif isinstance(value, type(current)) and not (
            isinstance(value, bool) and not isinstance(current, bool)
        ):
            setattr(obj, f.name, value)
        else:
            log.warning("setting %s has the wrong type (%r); using the default", f.name, value)
    return obj


def load_settings(path: Path) -> Settings:
    """Read settings; a missing or corrupt file gives defaults (the corrupt one is kept aside)."""
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("settings root is not an object")
    except (OSError, ValueError) as exc:
        backup = path.with_suffix(".corrupt")
        log.error("settings file %s is unreadable (%s); using defaults, kept it as %s",
                  path, exc, backup)
        with contextlib.suppress(OSError):
            os.replace(path, backup)
        return Settings()
    settings = _merge(Settings, data)
    settings.version = SETTINGS_VERSION
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically so a crash or full disk never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, path)
