"""Tracker scrapes against a real Debian opentracker on 127.0.0.1, announced to by real
libtorrent seeders; silent trackers time out; the adaptive re-check interval (pure)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import libtorrent as lt
import pytest

from miauflix_desktop.config.settings import TorrentSettings
from miauflix_desktop.services.sources.trackers import (
    MAX_CHECK_INTERVAL_S,
    MIN_CHECK_INTERVAL_S,
    TrackerError,
    best_stats,
    next_check_interval,
    parse_http_scrape,
    scrape_http,
    scrape_trackers,
    scrape_udp,
    scrape_url,
    tracker_stats,
)
from miauflix_desktop.services.sources.types import TrackerStats
from miauflix_desktop.services.torrent import LocalSeeder, TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent

OPENTRACKER = shutil.which("opentracker") or (
    "/usr/bin/opentracker" if os.path.exists("/usr/bin/opentracker") else None)

UNANNOUNCED = "ab" * 20  # on the whitelist, never announced
UNKNOWN = "cd" * 20  # not on the whitelist at all


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Tracker:
    http: str
    udp: str
    content: Path
    torrents: dict[str, bytes]  # "http"/"udp" -> .torrent announcing to that URL


def with_announce(torrent_bytes: bytes, url: str) -> bytes:
    """Same info dict (same info hash), announcing to ``url``."""
    decoded = lt.bdecode(torrent_bytes)
    decoded[b"announce"] = url.encode()
    decoded[b"announce-list"] = [[url.encode()]]
    return bytes(lt.bencode(decoded))


def wait_listening(port: int, proc: subprocess.Popen, deadline_s: float = 5.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"opentracker exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("opentracker did not start listening")


@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    if OPENTRACKER is None:
        pytest.skip("opentracker is not installed (apt-get install opentracker)")
    root = tmp_path_factory.mktemp("tracker")
    http_port, udp_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    http_url = f"http://127.0.0.1:{http_port}/announce"
    udp_url = f"udp://127.0.0.1:{udp_port}/announce"
    content = root / "content"
    content.mkdir()
    torrents = {}
    for kind, url in (("http", http_url), ("udp", udp_url)):
        path = content / f"{kind}-movie.mkv"
        path.write_bytes(os.urandom(512 * 1024))
        torrents[kind] = with_announce(make_torrent(path), url)
    # opentracker chroots into -d and drops to "nobody" before reading its whitelist:
    # the directory and the file must be readable by others (PLATFORM_NOTES).
    jail = root / "jail"
    jail.mkdir()
    jail.chmod(0o755)
    hashes = [info_hash_of(t) for t in torrents.values()] + [UNANNOUNCED]
    (jail / "whitelist").write_text("\n".join(hashes) + "\n")
    (jail / "whitelist").chmod(0o644)
    log = open(root / "opentracker.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [OPENTRACKER, "-i", "127.0.0.1", "-p", str(http_port), "-P", str(udp_port),
         "-d", str(jail), "-w", "whitelist"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_listening(http_port, proc)
        yield Tracker(http_url, udp_url, content, torrents)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
async def seeders(tracker, tmp_path):
    """A LocalSeeder announcing over HTTP, an isolated TorrentEngine seeding over UDP."""
    seeder = LocalSeeder(tmp_path / "seeder")
    await seeder.start()
    save = tmp_path / "engine"
    save.mkdir()
    udp_name = lt.torrent_info(tracker.torrents["udp"]).name()
    shutil.copy(tracker.content / udp_name, save / udp_name)
    engine = TorrentEngine(TorrentSettings(), save, tmp_path / "resume", isolated=True)
    await engine.start()
    try:
        await seeder.seed(tracker.torrents["http"], tracker.content)
        torrent = await engine.add(TorrentSpec(torrent_bytes=tracker.torrents["udp"]))
        await asyncio.wait_for(torrent.finished(), 10)  # checked the copy: seeding
        yield
    finally:
        await asyncio.wait_for(engine.stop(), 5)
        await seeder.stop()


async def test_scrape_opentracker_over_http_and_udp(tracker, seeders):
    h_http = info_hash_of(tracker.torrents["http"])
    h_udp = info_hash_of(tracker.torrents["udp"])
    wanted = [h_http, h_udp, UNANNOUNCED, UNKNOWN]
    # The seeders announce as soon as their torrents are checked; wait for both.
    deadline = time.monotonic() + 10
    while True:
        stats = await tracker_stats([tracker.http, tracker.udp], wanted, timeout_s=2)
        if all((stats[h] or TrackerStats(0, 0)).seeds >= 1 for h in (h_http, h_udp)):
            break
        assert time.monotonic() < deadline, f"no seeds registered: {stats}"
        await asyncio.sleep(0.1)
    assert stats[UNANNOUNCED] is not None and stats[UNANNOUNCED].seeds == 0

    # Each protocol on its own, several hashes in one request.
    started = time.perf_counter()
    udp = await scrape_udp(tracker.udp, wanted, timeout_s=3)
    udp_ms = (time.perf_counter() - started) * 1000
    async with httpx.AsyncClient() as client:
        http = await scrape_http(tracker.http, wanted, client, timeout_s=3)
    for answer in (udp, http):
        assert set(answer) == set(wanted)
        assert answer[h_http].seeds >= 1 and answer[h_udp].seeds >= 1
        assert answer[UNANNOUNCED].seeds == 0 and answer[UNKNOWN].seeds == 0
    assert udp_ms < 1000
    print(f"UDP scrape of {len(wanted)} hashes: {udp_ms:.1f} ms")


async def test_silent_trackers_time_out_without_stopping_the_others(tracker, seeders):
    h_http = info_hash_of(tracker.torrents["http"])
    deadline = time.monotonic() + 10
    while (await tracker_stats([tracker.http], [h_http]))[h_http].seeds < 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)

    # A UDP port that reads and never answers, a TCP port that never accepts,
    # and a UDP port nobody listens on (refused at once via ICMP).
    silent_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent_udp.bind(("127.0.0.1", 0))
    silent_udp.setblocking(False)
    silent_tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent_tcp.bind(("127.0.0.1", 0))
    silent_tcp.listen(8)
    closed_udp = free_port(socket.SOCK_DGRAM)
    try:
        udp_url = f"udp://127.0.0.1:{silent_udp.getsockname()[1]}/announce"
        tcp_url = f"http://127.0.0.1:{silent_tcp.getsockname()[1]}/announce"

        started = time.perf_counter()
        with pytest.raises(TrackerError, match="no answer within"):
            await scrape_udp(udp_url, [h_http], timeout_s=0.7, first_wait_s=0.15)
        assert 0.6 < time.perf_counter() - started < 1.5
        datagrams = 0
        while True:
            try:
                silent_udp.recv(2048)
                datagrams += 1
            except BlockingIOError:
                break
        assert datagrams >= 3, "the connect request is retried"

        started = time.perf_counter()
        answers = await scrape_trackers(
            [udp_url, tcp_url, f"udp://127.0.0.1:{closed_udp}/announce", "wss://x/announce",
             tracker.http], [h_http], timeout_s=1.0)
        elapsed = time.perf_counter() - started
        assert elapsed < 2.0, elapsed
        by_url = {a.tracker: a for a in answers}
        assert "no answer within 1s" in (by_url[udp_url].error or "")
        assert "no answer within 1s" in (by_url[tcp_url].error or "")
        assert by_url["wss://x/announce"].error == "cannot scrape wss trackers"
        closed = by_url[f"udp://127.0.0.1:{closed_udp}/announce"].error or ""
        assert "refused" in closed.lower() or "no answer" in closed
        assert by_url[tracker.http].error is None
        assert by_url[tracker.http].stats[h_http].seeds >= 1
    finally:
        silent_udp.close()
        silent_tcp.close()


# ------------------------------------------------------------------ pure helpers


def test_scrape_url_follows_bep48():
    assert scrape_url("http://t.example/announce") == "http://t.example/scrape"
    assert scrape_url("https://t.example:8443/x/announce.php?passkey=1") == \
        "https://t.example:8443/x/scrape.php?passkey=1"
    assert scrape_url("http://t.example/a") is None
    assert scrape_url("http://t.example/announce/x") is None
    assert scrape_url("udp://t.example:1/announce") is None


def test_parse_http_scrape():
    ih = "12" * 20
    body = lt.bencode({b"files": {bytes.fromhex(ih): {b"complete": 5, b"incomplete": 3,
                                                       b"downloaded": 40}}})
    assert parse_http_scrape(body, [ih, UNKNOWN]) == {
        ih: TrackerStats(5, 3, 40), UNKNOWN: TrackerStats(0, 0, None)}
    with pytest.raises(TrackerError, match="refused the scrape: nope"):
        parse_http_scrape(lt.bencode({b"failure reason": b"nope"}), [ih])
    with pytest.raises(TrackerError, match="malformed"):
        parse_http_scrape(b"<html>", [ih])


def test_best_stats():
    assert best_stats([]) is None
    assert best_stats([TrackerStats(3, 50), TrackerStats(9, 1), TrackerStats(9, 2, 7)]) == \
        TrackerStats(9, 2, 7)


def test_next_check_interval_is_adaptive_and_bounded():
    stable = TrackerStats(120, 40, 900)
    # Stable: the interval grows to hours and stops at the bound.
    interval = 600.0
    for _ in range(20):
        interval = next_check_interval(stable, TrackerStats(121, 40, 905), interval)
    assert interval == MAX_CHECK_INTERVAL_S >= 3 * 3600
    # A big change (or seeds vanishing): minutes.
    assert next_check_interval(stable, TrackerStats(30, 5), interval) == MIN_CHECK_INTERVAL_S
    assert next_check_interval(TrackerStats(1, 0), TrackerStats(0, 0), 3600) == \
        MIN_CHECK_INTERVAL_S
    assert next_check_interval(TrackerStats(0, 0), TrackerStats(2, 0), 3600) == \
        MIN_CHECK_INTERVAL_S
    # A moderate change: halved, at most an hour.
    moderate = next_check_interval(stable, TrackerStats(100, 30), 8 * 3600)
    assert MIN_CHECK_INTERVAL_S <= moderate <= 3600
    # Tiny swarms do not flap: 2 -> 3 peers is not a trend.
    assert next_check_interval(TrackerStats(2, 1), TrackerStats(2, 2), 3600) >= 3600
    # A failed scrape backs off; first sight starts at an hour; nonsense input is bounded.
    assert next_check_interval(stable, None, 1800) == 3600
    assert next_check_interval(stable, None, MAX_CHECK_INTERVAL_S) == MAX_CHECK_INTERVAL_S
    assert next_check_interval(None, stable, 60) == 3600
    for bad in (0, -5, float("nan"), float("inf")):
        value = next_check_interval(stable, stable, bad)
        assert MIN_CHECK_INTERVAL_S <= value <= MAX_CHECK_INTERVAL_S
