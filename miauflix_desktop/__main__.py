"""Command line: `miauflix-desktop [options]` runs the app, `... serve --demo` runs headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from miauflix_desktop import __version__


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
    serve.set_defaults(command="serve")
    args = parser.parse_args(argv)
    if args.port is not None and not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from miauflix_desktop.bootstrap import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
