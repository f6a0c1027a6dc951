"""One generated demo library shared by every test process (generation is the slow part).

Each test still gets its own data dir (database, secrets, torrents, downloads); only the
ffmpeg output is shared, through a symlink. ensure_demo_media locks the directory, so two
processes never generate at once, and it regenerates anything damaged.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".test-artifacts" / "demo-media"
# Short clips keep the suite fast; long enough for "plays to 3 s" and "seek to 80 %".
DEMO_DURATION = 12.0


def link_demo_media(data_dir: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    (data_dir / "demo").mkdir(parents=True, exist_ok=True)
    link = data_dir / "demo" / "media"
    if not link.exists():
        link.symlink_to(CACHE, target_is_directory=True)
