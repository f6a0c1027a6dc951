"""Helpers for bench/stream.py: nginx from a temp prefix, wrk runs and their parsing.

Everything listens on and talks to 127.0.0.1 only. Importing this module does nothing
(`./dev bench` runs every bench/*.py, this one included).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ }}
    }}
}}
"""

# wrk picks a random 1 MiB-aligned range of the file for every request.
RANGE_LUA = """\
math.randomseed({seed})
local chunks = {chunks}
request = function()
  local off = math.random(0, chunks - 1) * 1048576
  return wrk.format(nil, nil, {{["Range"] = "bytes=" .. off .. "-" .. (off + 1048575)}})
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: sudo apt-get install nginx-light wrk "
                         "(the `./dev bench` list)")


@contextlib.contextmanager
def nginx(root: Path, prefix: Path, workers: int = 1):  # type: ignore[no-untyped-def]
    """nginx serving ``root`` on 127.0.0.1 from a temp prefix; yields its base URL."""
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, prefix=prefix, port=port, root=root))
    proc = subprocess.Popen([nginx_bin, "-c", str(conf), "-p", str(prefix)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 5
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"nginx exited: {err.strip()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start listening within 5 s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass(frozen=True)
class WrkResult:
    requests_s: float
    mb_s: float  # body + headers, MB (10^6) per second, as wrk counts it
    requests: int
    errors: int  # socket errors + non-2xx + timeouts
    latency_avg_ms: float


_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_wrk(out: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out)
    mb_s = float(m.group(1)) * _UNITS[m.group(2)] / 1e6 if m else 0.0
    n = re.search(r"(\d+) requests in", out)
    errors = 0
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if se:
        errors += sum(int(x) for x in se.groups())
    nx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if nx:
        errors += int(nx.group(1))
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    lat_ms = 0.0
    if lat:
        lat_ms = float(lat.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[lat.group(2)]
    return WrkResult(rps, mb_s, int(n.group(1)) if n else 0, errors, lat_ms)


async def wrk(url: str, seconds: float, connections: int, threads: int,
              lua: Path | None = None) -> WrkResult:
    """One wrk run (as a subprocess, so the bench's event loop keeps serving)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "60s"]
    if lua is not None:
        cmd += ["-s", str(lua)]
    cmd.append(url)
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), seconds + 90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {err.decode().strip()}")
    return parse_wrk(out.decode())


def range_script(path: Path, size: int, seed: int = 1) -> Path:
    path.write_text(RANGE_LUA.format(seed=seed, chunks=max(1, size // 1048576)))
    return path
