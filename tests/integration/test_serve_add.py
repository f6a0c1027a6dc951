"""`serve --add` against a real foreign BitTorrent client: Debian's aria2 seeding on 127.0.0.1.

aria2c seeds a small file; `miauflix-desktop serve --add` (a real subprocess, engine
isolated to loopback, the seeder given as a --peer hint) prints a URL whose bytes must
equal the file, for a .torrent file and for a bare magnet (metadata fetched from aria2).
Bad input ends with exit code 2 and one line; a magnet nobody seeds times out cleanly.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from miauflix_desktop.services.adhoc import ADHOC_TMDB_FIRST
from miauflix_desktop.services.torrent.metainfo import info_hash_of, make_torrent
from tests.integration.conftest import serve_env

ARIA2C = shutil.which("aria2c")
FILE_NAME = "Adhoc.Test.Clip.2024.720p.mp4"
FILE_SIZE = 6 * 1024 * 1024 + 12345  # not a whole number of pieces: the last is short
LINE_TIMEOUT_S = 30.0


@dataclass
class Seed:
    data: bytes
    torrent_path: Path
    info_hash: str
    port: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def aria2_seed(tmp_path_factory):
    """aria2c seeding FILE_NAME on 127.0.0.1 (a foreign client: not libtorrent)."""
    if ARIA2C is None:
        pytest.skip("aria2c is not installed (Debian package aria2: apt-get install aria2)")
    root = tmp_path_factory.mktemp("aria2-seed")
    content = root / "content"
    content.mkdir()
    data = os.urandom(FILE_SIZE)
    (content / FILE_NAME).write_bytes(data)
    torrent = make_torrent(content / FILE_NAME)
    torrent_path = root / "clip.torrent"
    torrent_path.write_bytes(torrent)
    port = free_port()
    log_path = root / "aria2.log"
    cmd = [
        ARIA2C, "-V", "--seed-ratio=0.0", "--enable-dht=false", "--enable-dht6=false",
        "--bt-enable-lpd=false", "--enable-peer-exchange=false", f"--listen-port={port}",
        # Listen on loopback only, and no IPv6: tests talk to 127.0.0.1 and nothing else.
        "--interface=127.0.0.1", "--disable-ipv6=true", "--summary-interval=0",
        "--console-log-level=notice", "--no-conf=true", "-d", str(content), str(torrent_path),
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        # aria2 verifies the data (-V) before it seeds and listens; wait for its word
        # rather than connect to the port (a bare connect would count as a bad peer).
        deadline = time.monotonic() + 15
        while f"listening on TCP port {port}" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("aria2c did not start seeding:\n" + log_path.read_text()[-3000:])
            time.sleep(0.05)
        yield Seed(data, torrent_path, info_hash_of(torrent), port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_serve(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "miauflix_desktop", "serve", "--data-dir", str(data_dir),
         "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=serve_env())


def read_line(proc: subprocess.Popen, timeout_s: float = LINE_TIMEOUT_S) -> dict:
    """The first JSON line serve prints; fails with its stderr when none comes."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout_s
    while b"\n" not in buf and time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=0.5):
            buf += os.read(proc.stdout.fileno(), 65536)
    if b"\n" not in buf:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail("serve --add printed no line; stderr:\n" + err.decode()[-4000:])
    return json.loads(buf.split(b"\n", 1)[0])


def stop_serve(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("serve did not exit within 30 s of SIGTERM")
    text = err.decode()
    assert proc.returncode == 0, text[-4000:]
    assert "Traceback" not in text, text[-4000:]
    return text


def check_bytes(url: str, data: bytes) -> None:
    with httpx.Client(timeout=20) as client:
        full = client.get(url)
        assert full.status_code == 200
        assert full.headers["content-type"] == "video/mp4"
        assert len(full.content) == len(data)
        assert full.content == data
        part = client.get(url, headers={"Range": "bytes=1000000-2999999"})
        assert part.status_code == 206
        assert part.content == data[1000000:3000000]
        tail = client.get(url, headers={"Range": "bytes=-5000"})
        assert tail.status_code == 206
        assert tail.content == data[-5000:]


def adhoc_rows(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(data_dir / "miauflix.sqlite3") as db:
        return db.execute(
            "SELECT m.id, m.title, m.is_demo, s.source, s.file IS NOT NULL FROM movie m "
            "JOIN movie_source s ON s.movie_id = m.id WHERE m.tmdb_id <= ?",
            (ADHOC_TMDB_FIRST,)).fetchall()


def test_add_torrent_file_streams_from_aria2(aria2_seed, tmp_path):
    proc = start_serve(tmp_path, "--isolated", "--add", str(aria2_seed.torrent_path),
                       "--peer", f"127.0.0.1:{aria2_seed.port}")
    try:
        line = read_line(proc)
        assert line["title"] == "Adhoc Test Clip"  # cleaned from the release name
        assert line["url"].startswith("http://127.0.0.1:")
        check_bytes(line["url"], aria2_seed.data)
    finally:
        if proc.poll() is None:
            stop_serve(proc)
    # --add alone generates no demo media and records no demo film
    assert not any((tmp_path / "demo").rglob("*.mp4"))
    ((_, title, is_demo, source, has_file),) = adhoc_rows(tmp_path)
    assert (title, is_demo, source, has_file) == ("Adhoc Test Clip", 0, "adhoc", 1)


def test_add_magnet_fetches_metadata_from_aria2(aria2_seed, tmp_path):
    magnet = f"magnet:?xt=urn:btih:{aria2_seed.info_hash}"  # no name: metadata names it
    proc = start_serve(tmp_path, "--isolated", "--add", magnet,
                       "--peer", f"127.0.0.1:{aria2_seed.port}")
    try:
        line = read_line(proc)
        assert line["title"] == "Adhoc Test Clip"
        check_bytes(line["url"], aria2_seed.data)
    finally:
        if proc.poll() is None:
            stop_serve(proc)
    rows = adhoc_rows(tmp_path)
    assert len(rows) == 1 and rows[0][4] == 1  # the fetched metadata was kept
    # Idempotent: the same info hash again (now as the .torrent file) is the same film.
    proc = start_serve(tmp_path, "--isolated", "--add", str(aria2_seed.torrent_path),
                       "--add", magnet, "--peer", f"127.0.0.1:{aria2_seed.port}")
    try:
        line = read_line(proc)
        check_bytes(line["url"], aria2_seed.data)
    finally:
        if proc.poll() is None:
            stop_serve(proc)
    assert adhoc_rows(tmp_path) == rows


def test_bad_input_is_a_one_line_error(tmp_path):
    garbage = tmp_path / "garbage.torrent"
    garbage.write_bytes(b"this is not bencoded at all\n" * 10)
    cases = {  # what is added -> what the message must say
        str(garbage): "not a usable .torrent",
        "magnet:?xt=urn:btih:12345nothex&dn=Broken": "bad info hash",
        str(tmp_path / "nowhere.torrent"): "no such file",
    }
    # In parallel: each is a whole interpreter start-up, and they share nothing.
    procs = {arg: subprocess.Popen(
        [sys.executable, "-m", "miauflix_desktop", "serve", "--isolated",
         "--data-dir", str(tmp_path / f"d{n}"), "--add", arg],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=serve_env())
        for n, arg in enumerate(cases)}
    for arg, proc in procs.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, (arg, err[-3000:])
        assert "Traceback" not in err, err
        assert out == ""
        messages = [ln for ln in err.splitlines() if ln.startswith("miauflix-desktop:")]
        assert len(messages) == 1, err
        assert messages[0].startswith("miauflix-desktop: cannot add"), messages
        assert cases[arg] in messages[0], messages


def test_magnet_without_peers_times_out_and_exits(tmp_path):
    r = subprocess.run([sys.executable, "-m", "miauflix_desktop", "serve", "--isolated",
                        "--data-dir", str(tmp_path), "--add-timeout", "1",
                        "--add", "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Nobody.Seeds.This"],
                       capture_output=True, text=True, timeout=60, env=serve_env())
    assert r.returncode == 1, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    assert "no metadata for" in r.stderr and "within 1 s" in r.stderr
    assert "miauflix-desktop: nothing to serve" in r.stderr
