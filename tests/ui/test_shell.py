"""UiShell guards and the graphics check."""

from __future__ import annotations

import pytest

from miauflix_desktop.core.errors import PlaybackError
from miauflix_desktop.services.playback.player import PlayerService
from miauflix_desktop.ui.details import DetailsViewModel, runtime_text
from miauflix_desktop.ui.home import HomeViewModel
from miauflix_desktop.ui.navigator import AppViewModel
from miauflix_desktop.ui.player_vm import PlayerViewModel, clock
from miauflix_desktop.ui.shell import UiShell


def test_video_on_offscreen_fails_loudly(qapp, ports) -> None:
    # Not started: load() must refuse before touching mpv or creating a window.
    player = PlayerService(vo="libmpv")
    player_vm = PlayerViewModel(ports.play, player)
    app = AppViewModel(HomeViewModel(ports.catalog), DetailsViewModel(ports.catalog), player_vm)
    with pytest.raises(PlaybackError, match="OpenGL"):
        UiShell(app, player_vm).load()


def test_formatting() -> None:
    assert clock(None) == "--:--"
    assert clock(65.4) == "01:05"
    assert clock(3725) == "1:02:05"
    assert runtime_text(104) == "1 h 44 min"
    assert runtime_text(45) == "45 min"
    assert runtime_text(None) == ""
