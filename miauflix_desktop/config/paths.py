"""Where the app keeps its data: the platform data dir, or --data-dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "miauflix-desktop"


@dataclass(frozen=True)
class AppPaths:
    """All on-disk locations, derived from one root so tests can use a temp dir."""

    root: Path

    @classmethod
    def default(cls) -> AppPaths:
        return cls(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))

    @property
    def database(self) -> Path:
        return self.root / "miauflix.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def demo_media(self) -> Path:
        return self.root / "demo" / "media"

    @property
    def demo_torrents(self) -> Path:
        return self.root / "demo" / "torrents"

    @property
    def resume(self) -> Path:
        return self.root / "resume"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> None:
        for p in (self.root, self.downloads, self.demo_media, self.demo_torrents, self.resume,
                  self.logs):
            p.mkdir(parents=True, exist_ok=True)
