"""The OpenSubtitles API key in the secret store (keyring, else a 0600 file), like TMDB's.

Set it on the Setup screen (`OpenSubtitlesKeys`, checked against the API first), with
`miauflix-desktop subtitles-key [--clear]` or `python -m
miauflix_desktop.services.subtitles.keys [--data-dir DIR] [--clear]` (the key is read
from stdin, so it stays out of shell history). Nothing caches the key: the player's
`OpenSubtitlesRuntime` reads it whenever it asks whether search is available (each new
title), so a key stored or removed while the app runs counts from the next title on.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.subtitles.opensubtitles import (
    OpenSubtitlesAuthError,
    OpenSubtitlesClient,
    OpenSubtitlesError,
)

log = logging.getLogger(__name__)

OPENSUBTITLES_SECRET = "opensubtitles-api-key"
# An API key is 32 letters and digits; allow some slack, refuse what is surely not one.
MAX_KEY_LENGTH = 200


def stored_opensubtitles_key(secrets: SecretStore) -> str:
    raw = secrets.get(OPENSUBTITLES_SECRET)
    return raw.decode("utf-8", "replace").strip() if raw else ""


def store_opensubtitles_key(secrets: SecretStore, key: str) -> None:
    """Keep `key` ("" forgets it: the search entry disappears)."""
    secrets.set(OPENSUBTITLES_SECRET, key.strip().encode("utf-8"))


def key_problem(key: str) -> str:
    """Why `key` cannot be an API key ("" when it may be one)."""
    if not key:
        return "Enter an OpenSubtitles API key first."
    if len(key) > MAX_KEY_LENGTH or any(c.isspace() or not c.isprintable() for c in key):
        return "That does not look like an OpenSubtitles API key (letters and digits)."
    return ""


class OpenSubtitlesKeys:
    """Implements core.subtitle_keys.SubtitleKeyPort over the secret store."""

    def __init__(self, secrets: SecretStore,
                 make_client: Callable[[str], OpenSubtitlesClient]) -> None:
        self._secrets = secrets
        self._make_client = make_client

    def has_key(self) -> bool:
        try:
            return bool(stored_opensubtitles_key(self._secrets))
        except Exception:  # a broken keyring reads as "no key", never as a crash
            log.warning("reading the OpenSubtitles key failed", exc_info=True)
            return False

    async def check_key(self, key: str) -> None:
        key = key.strip()
        problem = key_problem(key)
        if problem:
            raise MiauflixError(problem)
        client = self._make_client(key)
        try:
            await client.check_key()
        except OpenSubtitlesAuthError as exc:
            log.info("OpenSubtitles rejected the key")
            raise MiauflixError("OpenSubtitles rejected this key: copy the API key of your "
                                "consumer at opensubtitles.com and try again.") from exc
        except OpenSubtitlesError as exc:
            log.info("OpenSubtitles key check failed: %s (%s)", exc,
                     getattr(exc, "detail", ""))
            # Unreachable, busy or garbled: the key may be fine, it just was not checked.
            raise MiauflixError(f"{exc} — the key was not saved.") from exc
        finally:
            await client.aclose()

    async def save(self, key: str) -> None:
        # The keyring may talk D-Bus to a daemon: off the event loop.
        await asyncio.to_thread(store_opensubtitles_key, self._secrets, key)
        log.info("OpenSubtitles key stored (%s)", self._secrets.backend_name)

    async def remove(self) -> None:
        await asyncio.to_thread(store_opensubtitles_key, self._secrets, "")
        log.info("OpenSubtitles key removed")


def run(paths: AppPaths, clear: bool, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """The command: store the key read from stdin's first line, or forget it (--clear)."""
    secrets = SecretStore(paths.secrets_dir)
    if clear:
        store_opensubtitles_key(secrets, "")
        stdout.write("OpenSubtitles key removed\n")
        return 0
    key = stdin.readline().strip()
    if not key:
        stderr.write("no key given on stdin\n")
        return 2
    problem = key_problem(key)
    if problem:
        stderr.write(problem + "\n")
        return 2
    store_opensubtitles_key(secrets, key)
    stdout.write(f"OpenSubtitles key stored ({secrets.backend_name})\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Store the OpenSubtitles API key.")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--clear", action="store_true", help="forget the stored key")
    args = parser.parse_args(argv)
    paths = AppPaths(args.data_dir) if args.data_dir else AppPaths.default()
    return run(paths, args.clear, sys.stdin, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
