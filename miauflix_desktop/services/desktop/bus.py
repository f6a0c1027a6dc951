"""One asyncio D-Bus connection (jeepney): method calls with replies, exported objects, signals.

jeepney is pure Python (it comes with keyring on Linux), speaks the wire protocol over
an asyncio Unix stream and so runs on the app's qasync loop without a Qt D-Bus adaptor.
This module adds what jeepney's plain connection lacks: one receive task that routes
replies to the calls waiting for them and incoming method calls to exported handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

# (signature, body) of a method return.
Reply = tuple[str, tuple[Any, ...]]
# handler(member, body) -> Reply; may raise DBusMethodError.
Handler = Callable[[str, tuple[Any, ...]], Reply | Awaitable[Reply]]

UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
FAILED = "org.freedesktop.DBus.Error.Failed"


class DBusUnavailable(Exception):
    """No session bus to talk to (no DBUS_SESSION_BUS_ADDRESS, socket gone, auth refused)."""


class DBusMethodError(Exception):
    """A D-Bus error: raised by handlers to answer with it, and by call() when one came back."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


class Bus:
    """A connected bus. Use `await Bus.connect()`; `close()` when done."""

    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._introspection: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader = asyncio.get_running_loop().create_task(self._receive(),
                                                              name="dbus.receive")

    @classmethod
    async def connect(cls, address: str | None = None, timeout: float = 3.0) -> Bus:
        """Connect to `address` (a D-Bus address) or the session bus."""
        from jeepney.io.asyncio import open_dbus_connection

        target = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if not target:
            raise DBusUnavailable("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            conn = await asyncio.wait_for(open_dbus_connection(target), timeout)
        except (OSError, EOFError, TimeoutError, ValueError, KeyError, StopIteration) as exc:
            raise DBusUnavailable(f"cannot connect to the session bus: {exc!r}") from exc
        return cls(conn)

    @property
    def unique_name(self) -> str:
        return str(self._conn.unique_name)

    # -- client side ----------------------------------------------------------------

    async def call(self, destination: str, path: str, interface: str, member: str,
                   signature: str = "", body: tuple[Any, ...] = (),
                   timeout: float = 5.0) -> tuple[Any, ...]:
        """Call a method and return the reply's body; DBusMethodError on an error reply."""
        from jeepney import DBusAddress, new_method_call

        msg = new_method_call(DBusAddress(path, destination, interface), member,
                              signature or None, body)
        serial = next(self._conn.outgoing_serial)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[serial] = future
        try:
            await self._conn.send(msg, serial=serial)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(serial, None)

    async def request_name(self, name: str) -> bool:
        """Own a well-known name; False when another process has it."""
        # flags 4 = DBUS_NAME_FLAG_DO_NOT_QUEUE; replies 1 = primary owner, 4 = already owner
        (result,) = await self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "RequestName", "su", (name, 4))
        return int(result) in (1, 4)

    # -- server side ----------------------------------------------------------------

    def export(self, path: str, interface: str, handler: Handler) -> None:
        """Answer method calls on (path, interface) with handler."""
        self._handlers[(path, interface)] = handler

    def set_introspection(self, path: str, xml: str) -> None:
        self._introspection[path] = xml

    async def emit(self, path: str, interface: str, member: str, signature: str,
                   body: tuple[Any, ...]) -> None:
        from jeepney import DBusAddress, new_signal

        await self._conn.send(new_signal(DBusAddress(path, interface=interface), member,
                                         signature, body))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self._conn.close()

    # -- receiving ------------------------------------------------------------------

    async def _receive(self) -> None:
        from jeepney import HeaderFields, MessageType

        while True:
            try:
                msg = await self._conn.receive()
            except (EOFError, OSError) as exc:
                log.info("D-Bus connection closed: %s", exc)
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(DBusUnavailable("the bus went away"))
                return
            kind = msg.header.message_type
            if kind in (MessageType.method_return, MessageType.error):
                serial = msg.header.fields.get(HeaderFields.reply_serial)
                future = self._pending.get(serial)
                if future is None or future.done():
                    continue
                if kind == MessageType.error:
                    name = msg.header.fields.get(HeaderFields.error_name, FAILED)
                    text = msg.body[0] if msg.body and isinstance(msg.body[0], str) else ""
                    future.set_exception(DBusMethodError(name, text))
                else:
                    future.set_result(msg.body)
            elif kind == MessageType.method_call:
                # Each call in its own task: a slow handler must not hold up replies.
                task = asyncio.get_running_loop().create_task(self._answer(msg))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: Any) -> None:
        from jeepney import HeaderFields, MessageFlag, new_error, new_method_return

        fields = msg.header.fields
        path = fields.get(HeaderFields.path, "")
        interface = fields.get(HeaderFields.interface, "")
        member = fields.get(HeaderFields.member, "")
        try:
            if interface == "org.freedesktop.DBus.Introspectable" and member == "Introspect":
                reply: Reply = ("s", (self._introspection.get(path, _EMPTY_NODE),))
            else:
                handler = self._handlers.get((path, interface))
                if handler is None and not interface:
                    # Callers may leave the interface out; take the one that has the path.
                    handler = next((h for (p, _i), h in self._handlers.items() if p == path),
                                   None)
                if handler is None:
                    raise DBusMethodError(UNKNOWN_METHOD,
                                          f"no method {interface}.{member} at {path}")
                result = handler(member, tuple(msg.body))
                reply = await result if isinstance(result, Awaitable) else result
            answer = new_method_return(msg, reply[0] or None, reply[1])
        except DBusMethodError as exc:
            answer = new_error(msg, exc.name, "s", (exc.message or exc.name,))
        except Exception as exc:
            log.exception("D-Bus handler for %s.%s failed", interface, member)
            answer = new_error(msg, FAILED, "s", (str(exc),))
        if msg.header.flags & MessageFlag.no_reply_expected:
            return
        with contextlib.suppress(Exception):
            await self._conn.send(answer)


_EMPTY_NODE = ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"'
               ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n<node/>')
