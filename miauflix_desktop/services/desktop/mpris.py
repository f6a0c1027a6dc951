"""MPRIS 2 on the session bus, so media keys, desktop widgets and playerctl drive the player.

Exports /org/mpris/MediaPlayer2 with org.mpris.MediaPlayer2, org.mpris.MediaPlayer2.Player
and org.freedesktop.DBus.Properties under the name org.mpris.MediaPlayer2.miauflix (with
an .instance<pid> suffix when another copy holds that name, as the spec asks). Everything
goes through the MediaControls port; PropertiesChanged follows status, title, length and
Next; Position is read on demand (the spec does not signal it) and Seeked is sent after
each seek lands.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from miauflix_desktop.services.desktop.bus import (
    INVALID_ARGS,
    UNKNOWN_METHOD,
    Bus,
    DBusMethodError,
    Reply,
)
from miauflix_desktop.services.desktop.controls import MediaControls, NowPlaying

log = logging.getLogger(__name__)

BUS_NAME = "org.mpris.MediaPlayer2.miauflix"
PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
TRACK = "/org/miauflix/track/current"
IDENTITY = "Miauflix"
DESKTOP_ENTRY = "miauflix-desktop"
US = 1_000_000  # MPRIS times are microseconds

Variant = tuple[str, Any]


def metadata(now: NowPlaying) -> dict[str, Variant]:
    """The Metadata map (a{sv}) for what plays now; only a trackid when nothing does."""
    if now.status == "Stopped":
        return {"mpris:trackid": ("o", NO_TRACK)}
    out: dict[str, Variant] = {"mpris:trackid": ("o", TRACK),
                               "xesam:title": ("s", now.title or IDENTITY)}
    if now.duration:
        out["mpris:length"] = ("x", round(now.duration * US))
    return out


class MprisServer:
    """Serve MPRIS for `controls` on `bus`; `start()` claims the name, `aclose()` stops."""

    def __init__(self, bus: Bus, controls: MediaControls, *,
                 raise_window: Callable[[], None] | None = None) -> None:
        self._bus = bus
        self._controls = controls
        self._raise = raise_window
        self._last = controls.now_playing()
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.name = ""

    async def start(self) -> None:
        self._bus.export(PATH, ROOT, self._root)
        self._bus.export(PATH, PLAYER, self._player)
        self._bus.export(PATH, PROPERTIES, self._properties)
        self._bus.set_introspection(PATH, _INTROSPECTION)
        name = BUS_NAME
        if not await self._bus.request_name(name):
            name = f"{BUS_NAME}.instance{os.getpid()}"
            if not await self._bus.request_name(name):
                raise DBusMethodError("org.freedesktop.DBus.Error.Failed",
                                      f"cannot own {name}")
        self.name = name
        self._unsubscribe = self._controls.subscribe(self._changed)
        log.info("MPRIS: serving as %s", name)

    async def aclose(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in list(self._tasks):
            await asyncio.wait([task], timeout=1.0)

    # -- properties -----------------------------------------------------------------

    def _root_props(self) -> dict[str, Variant]:
        return {
            "CanQuit": ("b", False), "CanRaise": ("b", self._raise is not None),
            "HasTrackList": ("b", False), "Identity": ("s", IDENTITY),
            "DesktopEntry": ("s", DESKTOP_ENTRY),
            "SupportedUriSchemes": ("as", []), "SupportedMimeTypes": ("as", []),
        }

    def _player_props(self) -> dict[str, Variant]:
        now = self._controls.now_playing()
        active = now.status != "Stopped"
        return {
            "PlaybackStatus": ("s", now.status),
            "Metadata": ("a{sv}", metadata(now)),
            "Position": ("x", round(now.position * US) if active else 0),
            "Rate": ("d", 1.0), "MinimumRate": ("d", 1.0), "MaximumRate": ("d", 1.0),
            "Volume": ("d", 1.0),
            "CanGoNext": ("b", now.can_next), "CanGoPrevious": ("b", False),
            "CanPlay": ("b", active), "CanPause": ("b", active),
            "CanSeek": ("b", active and bool(now.duration)),
            # Always True: False would tell desktops to ignore us (and so the media keys).
            "CanControl": ("b", True),
        }

    def _props_of(self, interface: str) -> dict[str, Variant]:
        if interface == ROOT:
            return self._root_props()
        if interface == PLAYER:
            return self._player_props()
        raise DBusMethodError(INVALID_ARGS, f"no interface {interface}")

    def _properties(self, member: str, body: tuple[Any, ...]) -> Reply:
        if member == "Get":
            interface, name = str(body[0]), str(body[1])
            props = self._props_of(interface)
            if name not in props:
                raise DBusMethodError(INVALID_ARGS, f"no property {name}")
            return "v", (props[name],)
        if member == "GetAll":
            return "a{sv}", (self._props_of(str(body[0])),)
        if member == "Set":
            # Rate, Volume, Fullscreen... are read-only here; say so rather than ignore it.
            raise DBusMethodError("org.freedesktop.DBus.Error.PropertyReadOnly",
                                  f"{body[1]} is read-only")
        raise DBusMethodError(UNKNOWN_METHOD, member)

    # -- methods --------------------------------------------------------------------

    def _root(self, member: str, body: tuple[Any, ...]) -> Reply:
        if member == "Raise":
            if self._raise is not None:
                self._raise()
            return "", ()
        if member == "Quit":
            raise DBusMethodError("org.freedesktop.DBus.Error.NotSupported", "CanQuit is false")
        raise DBusMethodError(UNKNOWN_METHOD, member)

    async def _player(self, member: str, body: tuple[Any, ...]) -> Reply:
        c = self._controls
        if member == "PlayPause":
            c.play_pause()
        elif member == "Play":
            c.set_paused(False)
        elif member == "Pause":
            c.set_paused(True)
        elif member == "Stop":
            c.stop()
        elif member == "Next":
            c.next()
        elif member == "Previous":
            pass  # CanGoPrevious is false: the spec says do nothing
        elif member == "Seek":
            await c.seek(int(body[0]) / US, absolute=False)
        elif member == "SetPosition":
            track, position = str(body[0]), int(body[1])
            now = c.now_playing()
            # The spec: ignore a stale track id or a position outside the track.
            if (track == TRACK and position >= 0
                    and (now.duration is None or position <= now.duration * US)):
                await c.seek(position / US, absolute=True)
        elif member == "OpenUri":
            raise DBusMethodError("org.freedesktop.DBus.Error.NotSupported",
                                  "opening URIs is not supported")
        else:
            raise DBusMethodError(UNKNOWN_METHOD, member)
        return "", ()

    # -- change signals -------------------------------------------------------------

    def _changed(self, now: NowPlaying) -> None:
        last, self._last = self._last, now
        changed: dict[str, Variant] = {}
        if now.status != last.status:
            changed["PlaybackStatus"] = ("s", now.status)
            active = now.status != "Stopped"
            changed["CanPlay"] = ("b", active)
            changed["CanPause"] = ("b", active)
        if (now.status == "Stopped") != (last.status == "Stopped") or (
                now.title, now.duration) != (last.title, last.duration):
            changed["Metadata"] = ("a{sv}", metadata(now))
            changed["CanSeek"] = ("b", now.status != "Stopped" and bool(now.duration))
        if now.can_next != last.can_next:
            changed["CanGoNext"] = ("b", now.can_next)
        if changed:
            self._spawn(self._bus.emit(PATH, PROPERTIES, "PropertiesChanged", "sa{sv}as",
                                       (PLAYER, changed, [])))
        if last.seeking and not now.seeking and now.status != "Stopped":
            self._spawn(self._bus.emit(PATH, PLAYER, "Seeked", "x",
                                       (round(now.position * US),)))

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception as exc:  # the bus went away; the player does not care
                log.debug("MPRIS signal not sent: %s", exc)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="GetAll">
      <arg name="interface" type="s" direction="in"/>
      <arg name="props" type="a{sv}" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface" type="s" direction="in"/><arg name="name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s"/><arg type="a{sv}"/><arg type="as"/>
    </signal>
  </interface>
  <interface name="org.mpris.MediaPlayer2">
    <method name="Raise"/><method name="Quit"/>
    <property name="CanQuit" type="b" access="read"/>
    <property name="CanRaise" type="b" access="read"/>
    <property name="HasTrackList" type="b" access="read"/>
    <property name="Identity" type="s" access="read"/>
    <property name="DesktopEntry" type="s" access="read"/>
    <property name="SupportedUriSchemes" type="as" access="read"/>
    <property name="SupportedMimeTypes" type="as" access="read"/>
  </interface>
  <interface name="org.mpris.MediaPlayer2.Player">
    <method name="Next"/><method name="Previous"/><method name="Pause"/>
    <method name="PlayPause"/><method name="Stop"/><method name="Play"/>
    <method name="Seek"><arg name="Offset" type="x" direction="in"/></method>
    <method name="SetPosition">
      <arg name="TrackId" type="o" direction="in"/><arg name="Position" type="x" direction="in"/>
    </method>
    <method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>
    <signal name="Seeked"><arg name="Position" type="x"/></signal>
    <property name="PlaybackStatus" type="s" access="read"/>
    <property name="Rate" type="d" access="read"/>
    <property name="Metadata" type="a{sv}" access="read"/>
    <property name="Volume" type="d" access="read"/>
    <property name="Position" type="x" access="read"/>
    <property name="MinimumRate" type="d" access="read"/>
    <property name="MaximumRate" type="d" access="read"/>
    <property name="CanGoNext" type="b" access="read"/>
    <property name="CanGoPrevious" type="b" access="read"/>
    <property name="CanPlay" type="b" access="read"/>
    <property name="CanPause" type="b" access="read"/>
    <property name="CanSeek" type="b" access="read"/>
    <property name="CanControl" type="b" access="read"/>
  </interface>
</node>
"""
