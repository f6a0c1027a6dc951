"""Typed exception hierarchy: every failure the app reports to a person or client."""

from __future__ import annotations


class MiauflixError(Exception):
    """Base of every error the app raises on purpose; the message is safe to show a user."""


class ConfigError(MiauflixError):
    """Settings or command-line input that cannot be used."""


class MissingDependencyError(MiauflixError):
    """A system library or program the app needs is not installed."""

    def __init__(self, what: str, install_hint: str) -> None:
        super().__init__(f"{what} is missing. Install it with: {install_hint}")
        self.what = what
        self.install_hint = install_hint


class StorageError(MiauflixError):
    """The database cannot be opened, migrated or written."""


class TorrentError(MiauflixError):
    """A torrent or magnet is malformed, or the engine cannot add or read it."""


class StreamError(MiauflixError):
    """A stream cannot be opened or read."""


class TokenError(StreamError):
    """A stream token is forged, malformed or expired (never tell the client which)."""


class RangeNotSatisfiable(StreamError):
    """A Range header asks for bytes outside the representation."""


class PlaybackError(MiauflixError):
    """mpv failed to load or render a stream."""


class DemoMediaError(MiauflixError):
    """Demo media could not be generated (ffmpeg failed or is missing)."""
