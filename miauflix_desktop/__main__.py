"""Command line: `miauflix-desktop [options]` runs the app, `... serve --demo` runs headless.

`serve --add MAGNET_OR_TORRENT` (repeatable) serves any torrent headless as well;
`rotate-key` re-encrypts the library, `subtitles-key [--clear]` stores the OpenSubtitles
API key read from stdin.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from miauflix_desktop import __version__

# How long `serve --add` waits for a torrent's metadata by default: a magnet on the
# internet often needs tens of seconds to find a peer through DHT and trackers.
DEFAULT_ADD_TIMEOUT_S = 120.0


def peer_address(text: str) -> tuple[str, int]:
    """"HOST:PORT" or "[V6]:PORT" -> (host, port), for --peer."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=None,
                        help="keep database, downloads and demo media here "
                             "(default: the platform data dir)")
    common.add_argument("--port", type=int, default=None,
                        help="stream server port (default: a free port; if taken, the next free)")
    common.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    common.add_argument("--demo", action="store_true",
                        help="use the offline demo library even when a TMDB key is set")
    # Tests and benchmarks use short demo clips to stay fast; not for users.
    common.add_argument("--demo-duration", type=float, default=None, help=argparse.SUPPRESS)
    # Keep the torrent engine on loopback even with a TMDB key (tests against fakes).
    common.add_argument("--isolated", action="store_true", help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(prog="miauflix-desktop", parents=[common],
                                     description="Miauflix Desktop media center")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--fullscreen", action="store_true", help="start fullscreen (F11 toggles)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", parents=[common],
                           help="run engine and stream server without the UI; print one JSON "
                                "line per title with a URL any player can open")
    serve.add_argument("--add", action="append", default=[], metavar="MAGNET_OR_TORRENT",
                       help="also serve this magnet link or .torrent file (repeatable): "
                            "prints a JSON line for its largest video once its metadata "
                            "is known; works with or without --demo")
    serve.add_argument("--add-timeout", type=float, default=DEFAULT_ADD_TIMEOUT_S,
                       metavar="SECONDS",
                       help="give up on an added torrent whose metadata has not arrived "
                            f"after this long (default {DEFAULT_ADD_TIMEOUT_S:g})")
    # Peers to dial for every added torrent (tests seed with a local client; with
    # --isolated there is no DHT or tracker to find it otherwise).
    serve.add_argument("--peer", action="append", default=[], type=peer_address,
                       help=argparse.SUPPRESS)
    serve.set_defaults(command="serve")
    rotate = sub.add_parser("rotate-key", parents=[common],
                            help="re-encrypt the library's sensitive source fields (magnets, "
                                 "info hashes, .torrent files) with a new key; close the app "
                                 "first")
    rotate.set_defaults(command="rotate-key")
    subs_key = sub.add_parser("subtitles-key", parents=[common],
                              help="store the OpenSubtitles API key read from stdin (it stays "
                                   "out of shell history); the player's Tracks panel then "
                                   "offers \"Search OpenSubtitles…\"")
    subs_key.add_argument("--clear", action="store_true", help="forget the stored key")
    subs_key.set_defaults(command="subtitles-key")
    args = parser.parse_args(argv)
    if args.port is not None and not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.command == "serve" and not (args.add_timeout > 0
                                        and math.isfinite(args.add_timeout)):
        parser.error("--add-timeout must be a positive number of seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "rotate-key":
        return rotate_key(args)
    if args.command == "subtitles-key":
        return subtitles_key(args)
    from miauflix_desktop.bootstrap import run

    return run(args)


def rotate_key(args: argparse.Namespace) -> int:
    """`rotate-key`: only the database and its key (no Qt, no torrent engine, no ffmpeg)."""
    import logging

    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.config.secrets import SecretStore
    from miauflix_desktop.core.errors import MiauflixError
    from miauflix_desktop.services.security.keys import SecretKeyStore
    from miauflix_desktop.services.storage.db import Database
    from miauflix_desktop.services.storage.encrypted import rotate_key as rotate

    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths = AppPaths(args.data_dir.resolve()) if args.data_dir else AppPaths.default()
    if not paths.database.exists():
        sys.stderr.write(f"miauflix-desktop: no database at {paths.database}; "
                         "nothing to re-encrypt.\n")
        return 2
    # The same store the app's container uses, so the app finds the new key.
    keys = SecretKeyStore(SecretStore(paths.secrets_dir))
    database = Database(paths.database, keys=keys)
    try:
        # open() first: it encrypts rows a pre-0005 database still has in plaintext and
        # finishes a rotation an earlier run left half done.
        database.open()
        report = rotate(database.engine, keys)
    except MiauflixError as exc:
        sys.stderr.write(f"miauflix-desktop: {exc}\n")
        return 2
    finally:
        database.close()
    values = ", ".join(f"{name} {n}" for name, n in report.values.items())
    # The command's report is its output (like serve's JSON lines), not a log record.
    out = sys.stdout
    out.write(f"rotated the database field key {report.old_key} -> {report.new_key} "
              f"({keys.description})\n")
    out.write(f"movie_source: {report.rows} rows re-encrypted ({values})\n")
    if report.unreadable:
        out.write(f"{report.unreadable} values could not be decrypted (their key is lost) "
                  "and were left as they are\n")
    return 0


def subtitles_key(args: argparse.Namespace) -> int:
    """`subtitles-key [--clear]`: only the secret store (no Qt, no engine, no network)."""
    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.services.subtitles.keys import run as run_keys

    paths = AppPaths(args.data_dir.resolve()) if args.data_dir else AppPaths.default()
    return run_keys(paths, args.clear, sys.stdin, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
