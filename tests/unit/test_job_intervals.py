"""Settings → job intervals: the seed's job names reach both schedulers; bad values don't."""

from __future__ import annotations

from miauflix_desktop.config.paths import AppPaths
from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.config.settings import Settings, load_settings, save_settings
from miauflix_desktop.container import build_container, job_intervals
from miauflix_desktop.services.catalog.sync import CatalogSync


def test_intervals_from_settings_reach_the_source_jobs_and_catalog_jobs(tmp_path) -> None:
    paths = AppPaths(tmp_path / "data")
    settings = Settings()
    settings.job_intervals = {"movieSourceSearch": 0.5, "refreshLists": 7200,
                              "cacheCleanup": 60, "updateSourcesStats": -1,
                              "dataFileSearch": "fast"}  # type: ignore[dict-item]
    save_settings(paths.settings_file, settings)
    loaded = load_settings(paths.settings_file)
    chosen = job_intervals(loaded)
    assert chosen == {"movieSourceSearch": 0.5, "refreshLists": 7200.0, "cacheCleanup": 60.0}

    container = build_container(paths, loaded, demo=False, isolated_network=True,
                                secrets=SecretStore(tmp_path / "secrets"))
    scheduler = container.sources.scheduler
    assert scheduler is not None
    every = {s.name: s.interval_s for s in scheduler.statuses()}
    assert every == {"movieSourceSearch": 0.5, "dataFileSearch": 0.2,
                     "updateSourcesStats": 2.0, "resyncMovieSources": 5.0,
                     "cacheCleanup": 60.0}
    catalog = {j.name: j.interval_s
               for j in CatalogSync(None, None).jobs(chosen)}  # type: ignore[arg-type]
    assert catalog == {"refreshLists": 7200.0, "syncMovies": 5400.0, "syncShows": 5400.0,
                       "syncIncompleteSeasons": 1.0}
