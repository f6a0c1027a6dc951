"""Media keys through MPRIS on a private session bus, with the app's own wiring
(container.media_controls) over the real UI: PlayPause pauses the film on screen, the
title is the one the OSD shows, Stop leaves the player like Back."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from miauflix_desktop.container import media_controls
from miauflix_desktop.services.desktop.integration import DesktopIntegration
from miauflix_desktop.services.desktop.mpris import BUS_NAME
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import focused_name, press, wait_until

pytestmark = pytest.mark.skipif(
    not (shutil.which("dbus-daemon") and shutil.which("dbus-send")),
    reason="needs dbus-daemon and dbus-send (apt-get install dbus)")


@pytest.fixture
def bus_address() -> Iterator[str]:
    proc = subprocess.Popen(["dbus-daemon", "--session", "--print-address", "--nofork"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(5)


async def send(address: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "dbus-send", f"--bus={address}", "--print-reply", f"--dest={BUS_NAME}",
        "/org/mpris/MediaPlayer2", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def prop(address: str, name: str) -> str:
    return await send(address, "org.freedesktop.DBus.Properties.Get",
                      "string:org.mpris.MediaPlayer2.Player", f"string:{name}")


def test_media_keys_drive_the_player_on_screen(ui: UiHarness, bus_address: str) -> None:
    desktop = DesktopIntegration(media_controls(ui.app, ui.player, ui.player_vm),  # type: ignore[arg-type]
                                 address=bus_address, inhibit_screensaver=False)

    async def scenario() -> None:
        await desktop.start()
        await desktop.wait_ready()
        try:
            await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "card")
            await press(ui.window, Qt.Key.Key_Return)
            await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
            await press(ui.window, Qt.Key.Key_Return)
            await wait_until(lambda: ui.player.state.started, 10, "first frame")
            title = ui.player_vm.property("title")
            assert title
            assert f'"{title}"' in await prop(bus_address, "Metadata")
            assert '"Playing"' in await prop(bus_address, "PlaybackStatus")

            await send(bus_address, "org.mpris.MediaPlayer2.Player.PlayPause")
            await wait_until(lambda: ui.player_vm.property("paused"), 5, "paused")
            assert '"Paused"' in await prop(bus_address, "PlaybackStatus")
            await send(bus_address, "org.mpris.MediaPlayer2.Player.Play")
            await wait_until(lambda: not ui.player_vm.property("paused"), 5, "playing")

            await send(bus_address, "org.mpris.MediaPlayer2.Player.Stop")
            assert ui.app.property("screen") == "details"
            await ui.player_vm.wait_closed()
            assert '"Stopped"' in await prop(bus_address, "PlaybackStatus")
            # Stop outside the player does nothing (it never pops another screen).
            await send(bus_address, "org.mpris.MediaPlayer2.Player.Stop")
            assert ui.app.property("screen") == "details"
        finally:
            await desktop.stop()

    run(ui.loop, scenario(), timeout=60)
