"""Real HTTP clients against the real server streaming from the loopback swarm."""

from __future__ import annotations

import hashlib
import json
import subprocess

import httpx
import pytest

from miauflix_desktop.services.streaming.tokens import TokenSigner

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=60) as c:
        yield c


def test_head_describes_the_file(demo_server, client):
    for i in range(3):
        size = demo_server.media_file(i).stat().st_size
        r = client.head(demo_server.url(i))
        assert r.status_code == 200
        assert r.headers["accept-ranges"] == "bytes"
        assert int(r.headers["content-length"]) == size
        assert r.headers["content-type"] in ("video/mp4", "video/x-matroska")
        assert r.content == b""


@pytest.mark.parametrize("index", [0, 1, 2])
def test_single_open_ended_and_suffix_ranges(demo_server, client, index):
    data = demo_server.media_file(index).read_bytes()
    size = len(data)
    url = demo_server.url(index)
    cases = {
        "bytes=0-99": (0, 99),
        f"bytes={size // 2}-{size // 2 + 65535}": (size // 2, size // 2 + 65535),
        f"bytes={size - 1000}-": (size - 1000, size - 1),
        "bytes=-4096": (size - 4096, size - 1),
        f"bytes=10-{size * 2}": (10, size - 1),
    }
    for header, (a, b) in cases.items():
        r = client.get(url, headers={"Range": header})
        assert r.status_code == 206, header
        assert r.headers["content-range"] == f"bytes {a}-{b}/{size}"
        assert int(r.headers["content-length"]) == b - a + 1
        assert r.content == data[a:b + 1], header


def test_full_body_equals_the_file(demo_server, client):
    data = demo_server.media_file(2).read_bytes()
    r = client.get(demo_server.url(2))
    assert r.status_code == 200
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(data).digest()


def test_unsatisfiable_is_416(demo_server, client):
    size = demo_server.media_file(0).stat().st_size
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        r = client.get(demo_server.url(0), headers={"Range": header})
        assert r.status_code == 416, header
        assert r.headers["content-range"] == f"bytes */{size}"


def test_malformed_range_is_ignored_never_500(demo_server, client):
    size = demo_server.media_file(0).stat().st_size
    for header in ("bytes=abc", "bytes=5-1", "pages=1-2", "bytes=--1", "bytes=0-1-2"):
        r = client.head(demo_server.url(0), headers={"Range": header})
        assert r.status_code == 200, header
        assert int(r.headers["content-length"]) == size


def test_forged_and_expired_tokens_get_a_bare_403(demo_server, client):
    url = demo_server.url(0)
    base, token = url.rsplit("/", 1)
    payload, sig = token.split(".")
    forged = [
        f"{payload}.{sig[:-2]}AA",
        TokenSigner(b"x" * 32).issue(1, 1, 0, 3600),
        "garbage",
        "a" * 2000,
    ]
    secret_hex = (demo_server.data_dir / "secrets" / "stream-token-secret").read_text()
    expired = TokenSigner(bytes.fromhex(secret_hex), clock=lambda: 1_000_000).issue(
        *_claim_of(token), ttl_seconds=60)
    valid_now = TokenSigner(bytes.fromhex(secret_hex)).issue(*_claim_of(token), ttl_seconds=60)
    assert client.head(f"{base}/{valid_now}").status_code == 200  # the secret is the real one
    for t in [*forged, expired]:
        r = client.get(f"{base}/{t}", headers={"Range": "bytes=0-10"})
        assert r.status_code == 403
        assert r.text == "Forbidden"
        assert "access-control-allow-origin" not in r.headers


def test_foreign_host_is_refused(demo_server, client):
    r = client.head(demo_server.url(0), headers={"Host": "evil.example"})
    assert r.status_code == 421


def test_ffprobe_reads_each_url(demo_server):
    """Any player: ffprobe opens the stream URL and sees the right streams and duration."""
    for i in range(3):
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
             "-of", "json", demo_server.url(i)],
            capture_output=True, text=True, timeout=60, check=True,
        )
        info = json.loads(out.stdout)
        assert abs(float(info["format"]["duration"]) - 12.0) < 1.0
        kinds = sorted(s["codec_type"] for s in info["streams"])
        assert "video" in kinds and "audio" in kinds


def _claim_of(token: str) -> tuple[int, int, int]:
    import base64

    payload = token.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data["m"], data["s"], data["f"]
