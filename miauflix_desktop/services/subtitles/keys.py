"""The OpenSubtitles API key in the secret store (keyring, else a 0600 file), like TMDB's.

Set it with `python -m miauflix_desktop.services.subtitles.keys [--data-dir DIR]` (the
key is read from stdin, so it stays out of shell history), or remove it with --clear.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore

OPENSUBTITLES_SECRET = "opensubtitles-api-key"


def stored_opensubtitles_key(secrets: SecretStore) -> str:
    raw = secrets.get(OPENSUBTITLES_SECRET)
    return raw.decode("utf-8", "replace").strip() if raw else ""


def store_opensubtitles_key(secrets: SecretStore, key: str) -> None:
    """Keep `key` ("" forgets it: the search entry disappears)."""
    secrets.set(OPENSUBTITLES_SECRET, key.strip().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Store the OpenSubtitles API key.")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--clear", action="store_true", help="forget the stored key")
    args = parser.parse_args(argv)
    paths = AppPaths(args.data_dir) if args.data_dir else AppPaths.default()
    secrets = SecretStore(paths.secrets_dir)
    if args.clear:
        store_opensubtitles_key(secrets, "")
        print("OpenSubtitles key removed")
        return 0
    key = sys.stdin.readline().strip()
    if not key:
        print("no key given on stdin", file=sys.stderr)
        return 2
    store_opensubtitles_key(secrets, key)
    print(f"OpenSubtitles key stored ({secrets.backend_name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
