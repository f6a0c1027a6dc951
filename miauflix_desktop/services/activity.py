"""ActivityService: the Activity screen's rows from the schedulers' job statuses and the
other status sources (provider health, the VPN gate), in words a viewer understands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from miauflix_desktop.core.activity import (
    FAILING,
    IDLE,
    OK,
    RUNNING,
    ActivityRow,
)
from miauflix_desktop.services.scheduler import JobStatus, Scheduler

# The seed's task names, as the screen says them.
JOB_LABELS = {
    "refreshLists": "Refresh lists",
    "syncMovies": "Film details",
    "syncShows": "Series details",
    "syncIncompleteSeasons": "Seasons and episodes",
    "movieSourceSearch": "Source search",
    "dataFileSearch": "Torrent metadata",
    "updateSourcesStats": "Tracker stats",
    "resyncMovieSources": "Source re-check",
    "cacheCleanup": "Cache cleanup",
}

SchedulerSource = Callable[[], Scheduler | None]
RowSource = Callable[[], list[ActivityRow]]


def _clock(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone()
    return local.strftime("%H:%M:%S") if (now - when).total_seconds() < 86400 else \
        local.strftime("%d %b %H:%M")


def _in(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    seconds = max(0.0, (when - now).total_seconds())
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _every(seconds: float) -> str:
    if seconds < 60:
        return f"every {seconds:g} s"
    if seconds < 3600:
        return f"every {seconds / 60:g} min"
    return f"every {seconds / 3600:g} h"


def job_row(status: JobStatus, now: datetime) -> ActivityRow:
    if status.running:
        state = RUNNING
    elif status.consecutive_failures:
        state = FAILING
    elif status.last_run is None:
        state = IDLE
    else:
        state = OK
    parts = [_every(status.interval_s), f"last run {_clock(status.last_run, now)}"]
    if status.running:
        parts.append("running now")
    elif status.next_run is not None:
        parts.append(f"next in {_in(status.next_run, now)}")
    if status.items_last is not None:
        parts.append(f"{status.items_last} items last run ({status.items_total} in all)")
    error = ""
    if status.last_error:
        tries = status.consecutive_failures
        error = f"{status.last_error} ({tries} failed run{'s' if tries != 1 else ''} in a row)"
    return ActivityRow("Jobs", JOB_LABELS.get(status.name, status.name), state,
                       " · ".join(parts), error)


class ActivityService:
    """Implements ActivityPort. Reads only in-memory state, so the GUI may poll it."""

    def __init__(self, schedulers: Sequence[SchedulerSource],
                 extra: Sequence[RowSource] = (),
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._schedulers = list(schedulers)
        self._extra = list(extra)
        self._now = now

    def add_rows(self, source: RowSource) -> None:
        self._extra.append(source)

    def snapshot(self) -> list[ActivityRow]:
        now = self._now()
        rows: list[ActivityRow] = []
        for source in self._schedulers:
            scheduler = source()
            if scheduler is not None:
                rows.extend(job_row(status, now) for status in scheduler.statuses())
        for extra in self._extra:
            rows.extend(extra())
        return rows
