"""VPN detection over fake /sys/class/net and /proc/net trees, and the gate's logic with fakes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from miauflix_desktop.services.network.vpn import (
    IFF_POINTOPOINT,
    IFF_UP,
    VpnConfig,
    VpnDetector,
    VpnGate,
    VpnProbe,
    VpnStatus,
    is_vpn_name,
    valid_interface_name,
)

ROUTE_HEADER = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
                "Window\tIRTT")
UP, DOWN = "up", "down"


def route(dev: str, dest: str = "00000000", mask: str = "00000000", flags: str = "0003",
          metric: int = 0) -> str:
    return f"{dev}\t{dest}\t010200C0\t{flags}\t0\t0\t{metric}\t{mask}\t0\t0\t0"


def route6(dev: str, metric: int = 0x400, flags: int = 0x3) -> str:
    zero = "0" * 32
    return f"{zero} 00 {zero} 00 {zero} {metric:08x} 00000001 00000000 {flags:08x} {dev:>8}"


class FakeNet:
    """A /sys/class/net + /proc/net pair in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.sys = root / "sys" / "class" / "net"
        self.proc = root / "proc" / "net"
        self.sys.mkdir(parents=True)
        self.proc.mkdir(parents=True)
        self.set_routes([])

    def device(self, name: str, operstate: str = UP, *, up: bool | None = None,
               p2p: bool = False) -> None:
        flags = 0x1000 | (IFF_POINTOPOINT if p2p else 0)
        if up if up is not None else operstate in ("up", "unknown"):
            flags |= IFF_UP
        (self.sys / name).mkdir(exist_ok=True)
        (self.sys / name / "operstate").write_text(operstate + "\n")
        (self.sys / name / "flags").write_text(f"0x{flags:x}\n")

    def set_routes(self, lines: list[str], v6: list[str] | None = None) -> None:
        (self.proc / "route").write_text("\n".join([ROUTE_HEADER, *lines]) + "\n")
        if v6 is not None:
            (self.proc / "ipv6_route").write_text("\n".join(v6) + "\n")

    def detector(self) -> VpnDetector:
        return VpnDetector(self.sys, self.proc)


@pytest.fixture
def net(tmp_path):
    fake = FakeNet(tmp_path)
    fake.device("lo", "unknown")
    fake.device("eth0", UP)
    fake.set_routes([route("eth0")])
    return fake


# ---------------------------------------------------------------------- detection


def test_configured_interface_up_and_down(net):
    net.device("wg0", "unknown")  # how WireGuard reports itself while working
    probe = net.detector().detect("wg0")
    assert probe == VpnProbe(True, "wg0", "VPN wg0 is up")
    net.device("wg0", DOWN)
    probe = net.detector().detect("wg0")
    assert not probe.up and probe.interface == "wg0" and "is down" in probe.reason


def test_configured_interface_missing_or_without_carrier(net):
    probe = net.detector().detect("tun0")
    assert probe == VpnProbe(False, "tun0", "VPN tun0 not found")
    # Administratively up but no carrier (a tun device nobody holds open).
    net.device("tun0", "lowerlayerdown", up=True)
    assert not net.detector().detect("tun0").up
    # Flags say down even though operstate lags behind.
    net.device("tun0", "unknown", up=False)
    assert not net.detector().detect("tun0").up


def test_configured_name_is_not_a_path(net):
    for bad in ("../eth0", "wg0/..", "", "a" * 16, "wg 0", "wg0:1"):
        assert not valid_interface_name(bad)
    probe = net.detector().detect("../../class/net/eth0")
    assert not probe.up and "not a network interface name" in probe.reason


def test_configured_interface_ignores_other_vpns(net):
    net.device("tun0", UP)
    net.device("wg0", DOWN)
    assert not net.detector().detect("wg0").up


def test_auto_detection_by_name(net):
    detector = net.detector()
    assert detector.detect() == VpnProbe(False, None, "No VPN connection found")
    net.device("tun0", DOWN)
    assert not detector.detect().up
    for name in ("wg1", "nordlynx", "proton0", "utun3", "tap0", "ppp0"):
        net.device(name, "unknown")
        probe = detector.detect()
        assert probe.up and probe.interface == name, name
        net.device(name, DOWN)
    assert not detector.detect().up


def test_auto_prefers_the_default_route_device(net):
    net.device("wg9", "unknown")
    net.device("tun0", "unknown", p2p=True)
    net.set_routes([route("eth0", metric=100), route("tun0", metric=50)])
    probe = net.detector().detect()
    assert probe == VpnProbe(True, "tun0", "VPN tun0 is up (default route)",
                             via_default_route=True)


def test_auto_default_route_through_a_point_to_point_device(net):
    # A WireGuard device with a custom name is still point-to-point.
    net.device("mullvad-se1", "unknown", p2p=True)
    net.set_routes([route("mullvad-se1", metric=0), route("eth0", metric=100)])
    probe = net.detector().detect()
    assert probe.up and probe.interface == "mullvad-se1" and probe.via_default_route
    # ...but not when the device is down.
    net.device("mullvad-se1", DOWN, p2p=True)
    assert not net.detector().detect().up


def test_openvpn_def1_split_default_route(net):
    net.device("tun0", "unknown", p2p=True)
    net.set_routes([route("eth0", metric=100),
                    route("tun0", dest="00000000", mask="00000080"),
                    route("tun0", dest="00000080", mask="00000080")])
    assert net.detector().default_route_interfaces()[0] == "tun0"
    assert net.detector().detect().via_default_route


def test_ipv6_default_route_and_rejected_routes(net):
    net.device("wg0", "unknown", p2p=True)
    net.set_routes([route("eth0", flags="0201")],  # a reject route is no route
                   v6=[route6("lo", flags=0x200), route6("wg0", metric=0x100)])
    assert net.detector().default_route_interfaces() == ["wg0"]


def test_missing_and_damaged_proc_files(tmp_path):
    fake = FakeNet(tmp_path)
    (fake.proc / "route").unlink()
    fake.device("wg0", UP)
    assert fake.detector().detect().up
    (fake.proc / "route").write_text(ROUTE_HEADER + "\ngarbage line\nwg0 zz yy\n")
    (fake.sys / "tun1").mkdir()  # a device whose files vanished mid-read
    assert fake.detector().interface("tun1").exists
    assert not fake.detector().interface("tun1").up
    assert VpnDetector(tmp_path / "nope", tmp_path / "nope").detect() == VpnProbe(
        False, None, "No VPN connection found")


def test_vpn_names():
    assert all(map(is_vpn_name, ["wg0", "tun0", "tap1", "ppp0", "utun2", "nordlynx",
                                 "proton0", "WG0"]))
    assert not any(map(is_vpn_name, ["eth0", "lo", "wlan0", "enp3s0", "docker0", "veth1"]))


# ---------------------------------------------------------------- gate with fakes


class FakeDetector:
    def __init__(self, probe: VpnProbe) -> None:
        self.probe = probe
        self.asked: list[str | None] = []
        self.error: Exception | None = None

    def detect(self, interface: str | None = None) -> VpnProbe:
        self.asked.append(interface)
        if self.error is not None:
            raise self.error
        return self.probe


class RecordingBinding:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.fail_next = 0

    def _record(self, *call: str) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("engine busy")
        self.calls.append(call)

    def pause_all(self) -> None:
        self._record("pause")

    def resume_all(self) -> None:
        self._record("resume")

    def bind_to_interface(self, name: str | None) -> None:
        self._record("bind", str(name))


WG_UP = VpnProbe(True, "wg0", "VPN wg0 is up")
WG_DOWN = VpnProbe(False, "wg0", "VPN wg0 is down")


async def test_not_required_leaves_the_engine_alone():
    binding = RecordingBinding()
    gate = VpnGate(VpnConfig(), binding, FakeDetector(WG_DOWN))
    assert gate.is_open and not gate.required
    await gate.start()
    await asyncio.wait_for(gate.wait_open(), 0.1)
    assert binding.calls == [] and gate.status.reason == "VPN not required"
    await gate.stop()


async def test_required_gate_fails_closed_before_the_first_check():
    gate = VpnGate(VpnConfig(require_vpn=True), RecordingBinding(), FakeDetector(WG_UP))
    assert not gate.is_open and gate.status.reason == "Checking the VPN…"
    await gate.start()
    assert gate.is_open
    await gate.stop()


async def test_close_and_reopen_drive_binding_waiters_and_subscribers():
    binding, detector = RecordingBinding(), FakeDetector(WG_DOWN)
    gate = VpnGate(VpnConfig(require_vpn=True, interface="wg0", poll_interval_s=0.02),
                   binding, detector)
    seen: list[VpnStatus] = []
    unsubscribe = gate.subscribe(seen.append)
    await gate.start()
    assert detector.asked[0] == "wg0"
    assert not gate.is_open
    assert gate.status == VpnStatus(True, False, "wg0", "VPN wg0 is down — torrents paused")
    assert binding.calls == [("pause",), ("bind", "lo")]
    waiter = asyncio.create_task(gate.wait_open())
    await asyncio.sleep(0.05)
    assert not waiter.done()

    detector.probe = WG_UP
    await asyncio.wait_for(waiter, 1.0)  # the poll notices by itself
    assert binding.calls[2:] == [("bind", "wg0"), ("resume",)]
    assert gate.status.reason == "VPN wg0 is up — torrents only use wg0"
    assert [s.is_open for s in seen] == [False, True]

    unsubscribe()
    unsubscribe()  # twice is harmless
    detector.probe = WG_DOWN
    assert not gate.check_now().is_open
    assert binding.calls[4:] == [("pause",), ("bind", "lo")]
    assert len(seen) == 2
    await gate.stop()


async def test_auto_mode_rebinds_when_the_vpn_device_changes():
    binding, detector = RecordingBinding(), FakeDetector(VpnProbe(True, "tun0", "VPN tun0 is up"))
    gate = VpnGate(VpnConfig(require_vpn=True), binding, detector)
    await gate.start()
    assert detector.asked == [None]
    detector.probe = WG_UP
    gate.check_now()
    assert binding.calls == [("bind", "tun0"), ("bind", "wg0")]
    await gate.stop()


async def test_pause_only_mode_and_turning_the_requirement_off():
    binding, detector = RecordingBinding(), FakeDetector(WG_DOWN)
    config = VpnConfig(require_vpn=True, bind_torrents=False)
    gate = VpnGate(config, binding, detector)
    await gate.start()
    assert binding.calls == [("pause",)]
    status = gate.reconfigure(VpnConfig(require_vpn=False))
    assert status.is_open and binding.calls[1:] == [("resume",)]
    gate.reconfigure(VpnConfig(require_vpn=True))
    gate.reconfigure(VpnConfig(require_vpn=False))
    assert binding.calls[2:] == [("pause",), ("bind", "lo"), ("bind", "None"), ("resume",)]
    await gate.stop()


async def test_failures_close_the_gate_and_are_retried():
    binding, detector = RecordingBinding(), FakeDetector(WG_UP)
    detector.error = OSError("sysfs gone")
    gate = VpnGate(VpnConfig(require_vpn=True), binding, detector)
    binding.fail_next = 1
    await gate.start()
    assert not gate.is_open and "Cannot read the network state" in gate.status.reason
    assert binding.calls == []  # the pause failed...
    gate.check_now()
    assert binding.calls == [("pause",), ("bind", "lo")]  # ...and was retried
    detector.error = None
    assert gate.check_now().is_open
    bad = []
    gate.subscribe(lambda status: bad.append(1 / 0))
    detector.probe = WG_DOWN
    assert not gate.check_now().is_open  # a failing subscriber spoils nothing
    await gate.stop()
