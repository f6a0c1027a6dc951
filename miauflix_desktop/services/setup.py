"""SetupService: first run — check and store the TMDB key and language, or skip to demo."""

from __future__ import annotations

import logging
from collections.abc import Callable

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings, save_settings
from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.services.catalog.runtime import TmdbRuntime
from miauflix_desktop.services.catalog.tmdb import TmdbClient, TmdbError

log = logging.getLogger(__name__)

TMDB_SECRET = "tmdb-api-key"


def stored_tmdb_key(settings: Settings, secrets: SecretStore) -> str:
    """The key from settings.json (an explicit override) or else from the keyring."""
    if settings.tmdb_api_key:
        return settings.tmdb_api_key
    raw = secrets.get(TMDB_SECRET)
    return raw.decode("utf-8", "replace") if raw else ""


class SetupService:
    """Implements core.media.SetupPort."""

    def __init__(self, settings: Settings, paths: AppPaths, secrets: SecretStore,
                 runtime: TmdbRuntime, make_client: Callable[[str, str], TmdbClient]) -> None:
        self._settings = settings
        self._paths = paths
        self._secrets = secrets
        self._runtime = runtime
        self._make_client = make_client

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def needs_setup(self) -> bool:
        return not self._runtime.configured and not self._settings.setup_done

    async def check_key(self, key: str) -> None:
        key = key.strip()
        if not key:
            raise MiauflixError("Enter a TMDB API key or read access token.")
        client = self._make_client(key, self._settings.language)
        await client.start()
        try:
            await client.check_key()
        except TmdbError as exc:
            log.info("TMDB key check failed: %s", exc)
            raise
        finally:
            await client.stop()

    async def save(self, key: str, language: str) -> None:
        """Keep the key in the keyring (never in settings.json) and start syncing."""
        key = key.strip()
        self._secrets.set(TMDB_SECRET, key.encode("utf-8"))
        self._settings.language = language
        self._settings.setup_done = True
        save_settings(self._paths.settings_file, self._settings)
        await self._runtime.configure(key, language)

    async def skip(self) -> None:
        self._settings.setup_done = True
        save_settings(self._paths.settings_file, self._settings)
