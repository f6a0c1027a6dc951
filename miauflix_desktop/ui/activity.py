"""ActivityViewModel: the Settings → Activity rows, refreshed once a second while shown."""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from miauflix_desktop.core.activity import ActivityPort, ActivityRow
from miauflix_desktop.ui.list_models import RowListModel

log = logging.getLogger(__name__)

REFRESH_MS = 1000


class ActivityViewModel(QObject):
    activeChanged = Signal()

    def __init__(self, port: ActivityPort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._port = port
        self._rows = RowListModel(["group", "name", "state", "summary", "error"], self)
        self._current: list[ActivityRow] = []
        self._active = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def _get_rows(self) -> RowListModel:
        return self._rows

    def _get_active(self) -> bool:
        return self._active

    def _set_active(self, value: bool) -> None:
        """The screen is visible: poll; hidden: stop (nothing to redraw)."""
        if value == self._active:
            return
        self._active = value
        if value:
            self.refresh()
            self._timer.start()
        else:
            self._timer.stop()
        self.activeChanged.emit()

    rows = Property(QObject, _get_rows, constant=True)
    active = Property(bool, _get_active, _set_active, notify=activeChanged)

    @Slot()
    def refresh(self) -> None:
        try:
            rows = self._port.snapshot()
        except Exception:
            log.exception("activity snapshot failed")
            return
        if [(r.group, r.name) for r in rows] == [(r.group, r.name) for r in self._current]:
            # Same rows: update in place so the focused row stays where it is.
            for i, row in enumerate(rows):
                if row != self._current[i]:
                    self._rows.update_row(i, state=row.state, summary=row.summary,
                                          error=row.error)
        else:
            self._rows.set_rows([vars(r) for r in rows])
        self._current = rows

    async def aclose(self) -> None:
        self._timer.stop()
