"""A real `miauflix-desktop serve --demo` process shared by the integration tests."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.demo_cache import DEMO_DURATION, link_demo_media

STARTUP_TIMEOUT = 240.0


@dataclass
class DemoServer:
    proc: subprocess.Popen
    data_dir: Path
    titles: list[dict]
    stderr_path: Path

    def url(self, index: int) -> str:
        return self.titles[index]["url"]

    def media_file(self, index: int) -> Path:
        """The seeder's copy: the source of truth the served bytes must equal."""
        from miauflix_desktop.services.demo.media import DEMO_TITLES

        title = self.titles[index]["title"]
        filename = next(t.filename for t in DEMO_TITLES if t.title == title)
        return next((self.data_dir / "demo" / "media").rglob(filename))


def serve_env() -> dict[str, str]:
    env = dict(os.environ)
    # No keyring daemon in CI; force the file fallback so the test can read the secret.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> DemoServer:
    data_dir = tmp_path_factory.mktemp("serve-data")
    link_demo_media(data_dir)
    stderr_path = data_dir / "serve.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "miauflix_desktop", "serve", "--demo", "--data-dir",
             str(data_dir), "--port", "0", "--demo-duration", str(DEMO_DURATION)],
            stdout=subprocess.PIPE, stderr=err, env=serve_env(),
        )
    titles: list[dict] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    buf = b""
    while len(titles) < 3 and time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=1.0):
            chunk = os.read(proc.stdout.fileno(), 65536)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                titles.append(json.loads(line))
    if len(titles) < 3:
        proc.kill()
        pytest.fail(f"serve --demo printed {len(titles)} titles; stderr:\n"
                    + stderr_path.read_text()[-4000:])
    server = DemoServer(proc, data_dir, titles, stderr_path)
    yield server
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("serve did not exit within 30 s of SIGTERM")
    log = stderr_path.read_text()
    assert rc == 0, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
