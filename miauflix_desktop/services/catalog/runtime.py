"""TmdbRuntime: the TMDB client and its sync scheduler, present only while a key is set.

First run may start without a key (demo library) and gain one from the Setup screen;
`configure()` then builds and starts client and scheduler in place, so no restart is
needed. Status (banner) follows the scheduler's job results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from miauflix_desktop.services.catalog.tmdb import TmdbAuthError, TmdbClient, TmdbError
from miauflix_desktop.services.scheduler import Scheduler
from miauflix_desktop.services.status import StatusService

log = logging.getLogger(__name__)

STATUS_SOURCE = "tmdb"

ClientFactory = Callable[[str, str], TmdbClient]
JobOk = Callable[[str], None]
JobError = Callable[[str, BaseException], None]
SchedulerFactory = Callable[[TmdbClient, str, JobOk, JobError], Scheduler]


class TmdbRuntime:
    """Lifecycle service owning the optional (client, scheduler) pair."""

    def __init__(self, key: str, language: str, make_client: ClientFactory,
                 make_scheduler: SchedulerFactory, status: StatusService) -> None:
        self._key = key
        self._language = language
        self._make_client = make_client
        self._make_scheduler = make_scheduler
        self._status = status
        self._client: TmdbClient | None = None
        self._scheduler: Scheduler | None = None
        self._listeners: list[Callable[[str], None]] = []

    def on_job_done(self, listener: Callable[[str], None]) -> None:
        """Call `listener(job name)` after each successful sync run (e.g. refresh Home)."""
        self._listeners.append(listener)

    @property
    def client(self) -> TmdbClient | None:
        return self._client

    @property
    def scheduler(self) -> Scheduler | None:
        """The catalog sync jobs (None until a key is configured), for the Activity list."""
        return self._scheduler

    @property
    def configured(self) -> bool:
        return bool(self._key)

    async def start(self) -> None:
        if self._key:
            await self._start_pair()

    async def stop(self) -> None:
        if self._scheduler is not None:
            await self._scheduler.stop()
            self._scheduler = None
        if self._client is not None:
            await self._client.stop()
            self._client = None

    async def configure(self, key: str, language: str) -> None:
        """Switch to a new key/language: stop the old pair, start a new one."""
        await self.stop()
        self._key, self._language = key, language
        if key:
            await self._start_pair()

    async def _start_pair(self) -> None:
        client = self._make_client(self._key, self._language)
        await client.start()
        scheduler = self._make_scheduler(client, self._language, self._job_ok, self._job_error)
        await scheduler.start()
        self._client, self._scheduler = client, scheduler
        log.info("TMDB catalog sync running (language %s)", self._language)

    def _job_ok(self, name: str) -> None:
        self._status.resolved(STATUS_SOURCE)
        for listener in list(self._listeners):
            try:
                listener(name)
            except Exception:  # a broken listener must not fail the sync job
                log.exception("sync listener failed")

    def _job_error(self, name: str, exc: BaseException) -> None:
        if isinstance(exc, TmdbAuthError):
            self._status.problem(STATUS_SOURCE, str(exc))
        elif isinstance(exc, TmdbError):
            self._status.problem(STATUS_SOURCE, f"{exc} (sync of {name} will retry)")
        else:
            self._status.problem(STATUS_SOURCE, f"Catalog sync ({name}) failed; it will retry.")
