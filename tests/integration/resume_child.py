"""Child process for the kill -9 test: download a torrent with TorrentEngine until killed.

Usage: resume_child.py TORRENT_FILE SAVE_DIR RESUME_DIR SEEDER_PORT
Saves resume data every 0.2 s (the app's default is 60 s) and prints "ready" once the
torrent is added; the test watches the resume file and SIGKILLs this process.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.torrent import TorrentEngine, TorrentSpec


async def main(torrent_file: str, save: str, resume: str, port: str) -> None:
    settings = TorrentSettings(resume_save_interval_s=0.2)
    engine = TorrentEngine(settings, Path(save), Path(resume), isolated=True)
    await engine.start()
    await engine.add(TorrentSpec(torrent_bytes=Path(torrent_file).read_bytes(),
                                 peers=(("127.0.0.1", int(port)),)))
    print("ready", flush=True)
    await asyncio.sleep(60)  # killed long before this


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
