"""The VPN gate end to end: real detection in a network namespace, and a real TorrentEngine.

The namespace tests create their own namespace with a fake ``wg0`` device (``dummy``, or
``ifb`` where this kernel lacks the dummy driver) and run the detector *inside* it via
``ip netns exec``; they never touch this machine's own interfaces. They are skipped when
``ip netns add`` is not permitted. The engine tests use an injected detector and only
loopback: a LocalSeeder and an isolated engine on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.network.vpn import VpnConfig, VpnGate, VpnProbe
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, TorrentSpec, make_torrent
from miauflix_desktop.services.torrent.priorities import MIB

ROOT = Path(__file__).resolve().parents[2]
IP = shutil.which("ip") or "/usr/sbin/ip"


# ------------------------------------------------------------ network namespace


def _ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [IP, "netns", "exec", ns, IP, *args] if ns else [IP, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=check)


@pytest.fixture
def netns():
    """A throwaway namespace holding a down ``wg0``; deleted whatever happens."""
    if not os.path.exists(IP):
        pytest.skip("iproute2 (ip) is not installed")
    name = f"mfxvpn-{uuid.uuid4().hex[:8]}"
    added = _ip("netns", "add", name, check=False)
    if added.returncode != 0:
        pytest.skip(f"cannot create a network namespace (`ip netns add`): "
                    f"{added.stderr.strip() or added.returncode}")
    try:
        for kind in ("dummy", "ifb"):  # dummy is the natural choice; some kernels lack it
            if _ip("link", "add", "wg0", "type", kind, ns=name, check=False).returncode == 0:
                break
        else:
            pytest.skip("neither the dummy nor the ifb link type exists on this kernel")
        yield name
    finally:
        subprocess.run([IP, "netns", "del", name], capture_output=True, timeout=10)


DETECT = """
import json
from miauflix_desktop.services.network.vpn import VpnDetector
d = VpnDetector()
print(json.dumps({"configured": d.detect("wg0").__dict__, "auto": d.detect().__dict__,
                  "devices": d.interfaces()}))
"""


def _detect_in(ns: str) -> dict:
    out = subprocess.run([IP, "netns", "exec", ns, sys.executable, "-c", DETECT],
                         capture_output=True, text=True, timeout=20, cwd=ROOT, check=True)
    return json.loads(out.stdout)


def test_detection_inside_a_namespace(netns):
    result = _detect_in(netns)
    # Only the namespace's devices are visible: proof we are not looking at the host.
    assert result["devices"] == ["lo", "wg0"]
    assert result["configured"] == {"up": False, "interface": "wg0",
                                    "reason": "VPN wg0 is down", "via_default_route": False}
    assert not result["auto"]["up"]

    _ip("link", "set", "wg0", "up", ns=netns)
    result = _detect_in(netns)
    assert result["configured"]["up"] and result["auto"]["interface"] == "wg0"
    assert not result["auto"]["via_default_route"]

    _ip("addr", "add", "10.77.0.1/24", "dev", "wg0", ns=netns)
    _ip("route", "add", "default", "dev", "wg0", ns=netns)
    result = _detect_in(netns)
    assert result["auto"] == {"up": True, "interface": "wg0",
                              "reason": "VPN wg0 is up (default route)", "via_default_route": True}

    _ip("link", "set", "wg0", "down", ns=netns)
    result = _detect_in(netns)
    assert not result["configured"]["up"] and not result["auto"]["up"]


GATE = """
import asyncio, json, sys
from miauflix_desktop.services.network.vpn import VpnConfig, VpnGate

def say(**kw):
    print(json.dumps(kw), flush=True)

class Binding:
    def pause_all(self): say(call="pause")
    def resume_all(self): say(call="resume")
    def bind_to_interface(self, name): say(call="bind", name=name)

async def main():
    gate = VpnGate(VpnConfig(require_vpn=True, interface=sys.argv[1], poll_interval_s=0.05),
                   Binding())
    gate.subscribe(lambda s: say(open=s.is_open, reason=s.reason))
    await gate.start()
    say(ready=True, open=gate.is_open)
    await asyncio.to_thread(sys.stdin.read)  # run until the test closes stdin
    await gate.stop()

asyncio.run(main())
"""


class LineReader:
    def __init__(self, proc: subprocess.Popen) -> None:
        self._proc = proc
        self._sel = selectors.DefaultSelector()
        self._sel.register(proc.stdout, selectors.EVENT_READ)
        self._buf = b""

    def next(self, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._sel.select(left):
                raise AssertionError(f"no line from the gate within {timeout}s")
            chunk = os.read(self._proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("the gate process ended: " + self._proc.stderr.read())
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)


@pytest.mark.parametrize("interface", ["wg0", ""], ids=["configured", "auto"])
def test_gate_follows_the_device_inside_a_namespace(netns, interface):
    proc = subprocess.Popen([IP, "netns", "exec", netns, sys.executable, "-c", GATE, interface],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, text=False)
    try:
        lines = LineReader(proc)
        assert lines.next(20) == {"call": "pause"}
        assert lines.next() == {"call": "bind", "name": "lo"}
        assert lines.next()["open"] is False
        assert lines.next() == {"ready": True, "open": False}

        _ip("link", "set", "wg0", "up", ns=netns)
        started = time.monotonic()
        assert lines.next() == {"call": "bind", "name": "wg0"}
        assert lines.next() == {"call": "resume"}
        assert lines.next() == {"open": True, "reason": "VPN wg0 is up — torrents only use wg0"}
        assert time.monotonic() - started < 2.0

        _ip("link", "set", "wg0", "down", ns=netns)
        assert lines.next() == {"call": "pause"}
        assert lines.next() == {"call": "bind", "name": "lo"}
        closed = lines.next()
        assert closed["open"] is False and closed["reason"].endswith("— torrents paused")
        proc.stdin.close()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------- a real TorrentEngine


class FakeDetector:
    """The VPN as the test says; loopback plays the VPN device so the seeder stays reachable."""

    def __init__(self, up: bool) -> None:
        self.up = up

    def detect(self, interface: str | None = None) -> VpnProbe:
        if self.up:
            return VpnProbe(True, "lo", "VPN lo is up")
        return VpnProbe(False, "lo", "VPN lo is down")


@pytest.fixture
def media(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    path = content / "movie.mkv"
    path.write_bytes(os.urandom(4 * MIB + 123))
    return content, make_torrent(path)


@pytest.fixture
async def seeder(tmp_path):
    s = LocalSeeder(tmp_path / "seeder")
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def engine(tmp_path):
    e = TorrentEngine(TorrentSettings(), tmp_path / "downloads", tmp_path / "resume",
                      isolated=True)
    await e.start()
    yield e
    await asyncio.wait_for(e.stop(), 5)


def _interfaces(engine: TorrentEngine) -> tuple[str, str]:
    settings = engine._session.get_settings()  # what libtorrent really has applied
    return settings["listen_interfaces"], settings["outgoing_interfaces"]


async def _max_peers(torrent, seconds: float) -> int:
    most, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = torrent.handle.status()
        most = max(most, status.num_peers, status.num_connections)
        await asyncio.sleep(0.05)
    return most


async def test_gate_pauses_and_binds_a_real_engine(media, seeder, engine):
    content, torrent_bytes = media
    await seeder.seed(torrent_bytes, content)
    port = engine.listen_port
    assert not engine.paused and _interfaces(engine) == ("127.0.0.1:0", "")

    detector = FakeDetector(up=False)
    gate = VpnGate(VpnConfig(require_vpn=True, poll_interval_s=0.02), engine, detector)
    await gate.start()
    try:
        assert not gate.is_open
        assert engine.paused and _interfaces(engine) == (f"lo:{port}", "lo")
        waiter = asyncio.create_task(gate.wait_open())
        torrent = await engine.add(TorrentSpec(torrent_bytes=torrent_bytes,
                                               peers=(seeder.endpoint,)))
        assert await _max_peers(torrent, 0.5) == 0
        assert not waiter.done() and not torrent.has_piece(0)

        detector.up = True
        await asyncio.wait_for(waiter, 1.0)
        assert not engine.paused and _interfaces(engine) == (f"lo:{port}", "lo")
        # The peer handed over while paused is dialled once the session resumes.
        await asyncio.wait_for(torrent.wait_piece(0), 10)

        detector.up = False
        await asyncio.sleep(0.2)
        assert engine.paused and not gate.is_open
        blocked = asyncio.create_task(gate.wait_open())
        await asyncio.sleep(0.1)
        assert not blocked.done()
        assert torrent.handle.status().num_peers == 0  # a paused session drops its peers

        gate.reconfigure(VpnConfig(require_vpn=False))  # the user turns the setting off
        await asyncio.wait_for(blocked, 1.0)
        assert not engine.paused and _interfaces(engine) == (f"127.0.0.1:{port}", "")
    finally:
        await gate.stop()


async def test_a_session_bound_to_an_absent_device_reaches_no_peer(media, seeder, engine):
    content, torrent_bytes = media
    await seeder.seed(torrent_bytes, content)
    absent = "mfxnovpn0"
    assert not Path("/sys/class/net", absent).exists()
    engine.bind_to_interface(absent)
    assert _interfaces(engine)[1] == absent
    torrent = await engine.add(TorrentSpec(torrent_bytes=torrent_bytes, peers=(seeder.endpoint,)))
    # Not paused: only the binding keeps the loopback seeder out of reach.
    assert not engine.paused
    assert await _max_peers(torrent, 1.0) == 0
    assert torrent.handle.status().total_done == 0

    engine.bind_to_interface(None)
    assert _interfaces(engine) == (f"127.0.0.1:{engine.listen_port}", "")
    # The failed dial left the seeder in the peer list with a reconnect back-off
    # (min_reconnect_time); a fresh add shows the restored session reaches it again.
    await engine.remove(torrent.info_hash, delete_files=True)
    again = await engine.add(TorrentSpec(torrent_bytes=torrent_bytes, peers=(seeder.endpoint,)))
    await asyncio.wait_for(again.wait_piece(0), 10)
