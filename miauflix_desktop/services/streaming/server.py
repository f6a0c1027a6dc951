"""The stream server: aiohttp on loopback (LAN only when enabled), Host allow-list, no leaks."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from miauflix_desktop.config.settings import ServerSettings
from miauflix_desktop.services.streaming.routes import Resolver, add_stream_routes

log = logging.getLogger(__name__)

# When the configured port is taken, try this many following ports before giving up.
PORT_SEARCH = 20
# Players keep streams open until stopped; do not wait a minute for them on shutdown.
SHUTDOWN_TIMEOUT = 1.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so "port in use" moves on to the next port."""
    candidates = [port] if port == 0 else list(range(port, min(port + PORT_SEARCH, 65536)))
    last: OSError | None = None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            log.warning("port %d is in use, trying the next one", candidate)
            last = exc
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise OSError(errno.EADDRINUSE, f"no free port in {port}..{port + PORT_SEARCH - 1}") from last


class StreamServer:
    """Lifecycle service around an aiohttp AppRunner bound to a socket we chose."""

    def __init__(self, settings: ServerSettings, resolver: Resolver) -> None:
        self._settings = settings
        self._resolver = resolver
        self._runner: web.AppRunner | None = None
        self._port = 0
        self.extra_hosts: set[str] = set()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        host = self._settings.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self._port}"

    def allowed_hosts(self) -> set[str]:
        names = {"127.0.0.1", "localhost", "[::1]", self._settings.host, *self.extra_hosts}
        return {f"{n}:{self._port}" for n in names} | names

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        add_stream_routes(app, self._resolver)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # DNS rebinding defence: a browser page on evil.example resolving to us sends its
        # own Host; only our names are served.
        if request.host not in self.allowed_hosts():
            log.info("refused Host %r from %s", request.host, request.remote)
            return web.Response(status=421, text="Misdirected Request")
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            return web.Response(status=exc.status, text=exc.reason)
        except Exception:
            log.exception("unhandled error serving %s %s", request.method, request.path)
            return web.Response(status=500, text="Internal Server Error")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    async def start(self) -> None:
        sock = _bind(self._settings.host, self._settings.port)
        self._port = sock.getsockname()[1]
        # handler_cancellation: when a player drops a connection (every seek does), its
        # handler is cancelled at once, so that reader's piece deadlines are released
        # instead of competing with the new position until the next write fails.
        self._runner = web.AppRunner(self.build_app(), shutdown_timeout=SHUTDOWN_TIMEOUT,
                                     access_log=None, handle_signals=False,
                                     handler_cancellation=True)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        log.info("stream server on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
