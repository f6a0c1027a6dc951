"""MPRIS and screensaver inhibition on a private dbus-daemon, driven by dbus-send and gdbus,
with a real PlayerService (vo=null) playing a clip over local HTTP.

The session bus is the test's own `dbus-daemon --session`; the desktop's screensaver is
replaced on it by a small service that records Inhibit/UnInhibit.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from miauflix_desktop.services.desktop.bus import Bus, Reply
from miauflix_desktop.services.desktop.controls import PlayerControls
from miauflix_desktop.services.desktop.integration import DesktopIntegration
from miauflix_desktop.services.desktop.mpris import BUS_NAME
from miauflix_desktop.services.playback.player import PlayerService
from tests.ui.fakes import build_ports

pytestmark = pytest.mark.skipif(
    not (shutil.which("dbus-daemon") and shutil.which("dbus-send")),
    reason="needs dbus-daemon and dbus-send (apt-get install dbus)")


@pytest.fixture
def bus_address(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(["dbus-daemon", "--session", "--print-address", "--nofork"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbus-media")


async def dbus_send(address: str, *args: str, dest: str = BUS_NAME) -> str:
    proc = await asyncio.create_subprocess_exec(
        "dbus-send", f"--bus={address}", "--print-reply", f"--dest={dest}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def get_prop(address: str, name: str) -> str:
    return await dbus_send(address, "/org/mpris/MediaPlayer2",
                           "org.freedesktop.DBus.Properties.Get",
                           "string:org.mpris.MediaPlayer2.Player", f"string:{name}")


async def player_call(address: str, method: str, *args: str) -> None:
    await dbus_send(address, "/org/mpris/MediaPlayer2",
                    f"org.mpris.MediaPlayer2.Player.{method}", *args)


class FakeScreenSaver:
    """org.freedesktop.ScreenSaver on the private bus, recording what it is asked."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.active: set[int] = set()
        self._next = 100

    def handle(self, member: str, body: tuple[Any, ...]) -> Reply:
        self.calls.append((member, body))
        if member == "Inhibit":
            self._next += 1
            self.active.add(self._next)
            return "u", (self._next,)
        if member == "UnInhibit":
            self.active.discard(int(body[0]))
            return "", ()
        raise AssertionError(member)


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_mpris_and_screensaver_follow_the_player(bus_address: str,
                                                       media_dir: Path) -> None:
    saver_bus = await Bus.connect(bus_address)
    saver = FakeScreenSaver(saver_bus)
    saver_bus.export("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver",
                     saver.handle)
    assert await saver_bus.request_name("org.freedesktop.ScreenSaver")

    ports = await build_ports(media_dir)
    player = PlayerService(vo="null", ao="null", hwdec="no")
    await player.start()
    stopped: list[bool] = []
    desktop = DesktopIntegration(
        PlayerControls(player, stop=lambda: stopped.append(True)), address=bus_address)
    await desktop.start()
    await desktop.wait_ready()
    try:
        assert desktop.mpris is not None and desktop.mpris.name == BUS_NAME
        assert '"Stopped"' in await get_prop(bus_address, "PlaybackStatus")
        assert "NoTrack" in await get_prop(bus_address, "Metadata")

        await player.load(ports.server.url(1), title="Sintel Demo")
        await player.wait_for(lambda s: s.started and s.position > 0.3, timeout=15)
        assert '"Playing"' in await get_prop(bus_address, "PlaybackStatus")
        meta = await get_prop(bus_address, "Metadata")
        assert '"Sintel Demo"' in meta and "mpris:length" in meta
        await wait_until(lambda: bool(saver.active))
        assert [c[0] for c in saver.calls] == ["Inhibit"]
        assert saver.calls[0][1][0] == "Miauflix"

        # The media key: PlayPause pauses, the screensaver may come back.
        await player_call(bus_address, "PlayPause")
        await player.wait_for(lambda s: s.paused, timeout=5)
        assert '"Paused"' in await get_prop(bus_address, "PlaybackStatus")
        await wait_until(lambda: not saver.active)
        assert [c[0] for c in saver.calls] == ["Inhibit", "UnInhibit"]
        assert int(saver.calls[1][1][0]) == 101

        await player_call(bus_address, "Play")
        await player.wait_for(lambda s: not s.paused, timeout=5)
        await wait_until(lambda: bool(saver.active))

        # Seek +1 s (microseconds) and Position read back.
        before = player.state.position
        await player_call(bus_address, "Seek", "int64:1000000")
        await player.wait_for(lambda s: not s.seeking and s.position >= before + 0.9,
                              timeout=5)
        position = await get_prop(bus_address, "Position")
        assert int(position.split("int64")[1].split()[0]) >= int((before + 0.9) * 1e6)

        # gdbus (GLib's client) sees the same object, introspection included.
        if shutil.which("gdbus"):
            proc = await asyncio.create_subprocess_exec(
                "gdbus", "introspect", "--address", bus_address, "--dest", BUS_NAME,
                "--object-path", "/org/mpris/MediaPlayer2",
                stdout=asyncio.subprocess.PIPE, env={**os.environ})
            out, _ = await asyncio.wait_for(proc.communicate(), 10)
            assert b"PlayPause" in out and b"PlaybackStatus" in out

        await player_call(bus_address, "Stop")
        assert stopped == [True]  # Stop is the navigator's: it leaves the player
        await player.stop_playback()
        await wait_until(lambda: not saver.active)
        assert '"Stopped"' in await get_prop(bus_address, "PlaybackStatus")
    finally:
        await desktop.stop()
        await player.stop()
        await saver_bus.close()
        await ports.aclose()
    assert not saver.active  # nothing left inhibited


async def test_without_a_session_bus_playback_is_unaffected(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)

    class Idle:
        def now_playing(self) -> Any:
            from miauflix_desktop.services.desktop.controls import NowPlaying
            return NowPlaying()

        def subscribe(self, callback: Any) -> Any:
            raise AssertionError("must not subscribe without a bus")

    desktop = DesktopIntegration(Idle())  # type: ignore[arg-type]
    with caplog.at_level("INFO"):
        await desktop.start()
        await desktop.wait_ready()
    assert desktop.mpris is None and desktop.inhibitor is None
    assert "desktop integration off" in caplog.text
    await desktop.stop()


async def test_screensaver_missing_is_logged_once(bus_address: str, media_dir: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A bus without org.freedesktop.ScreenSaver: one log line, MPRIS still works."""
    from miauflix_desktop.services.desktop.controls import NowPlaying

    class Fixed:
        def __init__(self) -> None:
            self.now = NowPlaying(status="Playing", title="X", duration=10.0)
            self.callbacks: list[Any] = []

        def now_playing(self) -> NowPlaying:
            return self.now

        def subscribe(self, callback: Any) -> Any:
            self.callbacks.append(callback)
            return lambda: None

    controls = Fixed()
    desktop = DesktopIntegration(controls, address=bus_address)  # type: ignore[arg-type]
    with caplog.at_level("INFO"):
        await desktop.start()
        await desktop.wait_ready()
        assert desktop.inhibitor is not None
        await desktop.inhibitor.settled()
        for status in ("Paused", "Playing", "Paused"):
            controls.now = NowPlaying(status=status, title="X", duration=10.0)  # type: ignore[arg-type]
            for cb in controls.callbacks:
                cb(controls.now)
            await desktop.inhibitor.settled()
    assert caplog.text.count("screensaver inhibition unavailable") == 1
    assert '"Paused"' in await get_prop(bus_address, "PlaybackStatus")
    await desktop.stop()
