"""StatusViewModel: the non-blocking banner line (e.g. "TMDB unreachable, showing saved
data") mirrored from the StatusPort."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Property, QObject, Qt, Signal

from miauflix_desktop.core.media import StatusPort


class StatusViewModel(QObject):
    bannerChanged = Signal()
    # Internal: a StatusPort may report from any thread; a queued connection brings the
    # text to the GUI thread before any property changes.
    _incoming = Signal(str)

    def __init__(self, status: StatusPort | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._banner = status.banner() if status is not None else ""
        self._incoming.connect(self._apply, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe: Callable[[], None] | None = (
            status.subscribe(self._incoming.emit) if status is not None else None)

    def _get_banner(self) -> str:
        return self._banner

    banner = Property(str, _get_banner, notify=bannerChanged)

    def _apply(self, text: str) -> None:
        if text != self._banner:
            self._banner = text
            self.bannerChanged.emit()

    async def aclose(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
