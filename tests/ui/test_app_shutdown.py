"""The real app under Xvfb: window close, SIGTERM and Ctrl+C all shut down cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo_cache import DEMO_DURATION, link_demo_media

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.gl,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (xvfb-run)"),
]


def app_env() -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    env.pop("QSG_RENDER_LOOP", None)  # the product's default (threaded) render loop
    return env


def assert_clean(rc: int, log: str) -> None:
    assert rc == 0, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    for line in ("shutting down", "mpv terminated", "torrent engine stopped"):
        assert line in log, f"{line!r} missing:\n{log[-4000:]}"


def test_window_close_saves_resume_data_and_exits_cleanly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.app_scenario", str(tmp_path)],
        cwd=REPO, env=app_env(), capture_output=True, text=True, timeout=240,
    )
    assert_clean(proc.returncode, proc.stderr)
    # Details warmed the torrent up; closing saved its resume data.
    assert list((tmp_path / "resume").glob("*.fastresume")), proc.stderr[-3000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_shut_the_app_down_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    link_demo_media(tmp_path)
    log_path = tmp_path / "stderr.log"
    with open(log_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "miauflix_desktop", "--data-dir", str(tmp_path), "--demo",
             "--demo-duration", str(DEMO_DURATION)],
            cwd=REPO, env=app_env(), stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and "Demo library ready" not in log_path.read_text():
        assert proc.poll() is None, log_path.read_text()[-4000:]
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(sig)
    rc = proc.wait(timeout=30)
    assert_clean(rc, log_path.read_text())


def test_app_with_a_tmdb_key_syncs_and_shows_catalog_shelves(tmp_path: Path) -> None:
    """The real app against the fake TMDB (a separate process on 127.0.0.1)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.tmdb_server", "--port",
                             str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        from tests.fakes.tmdb_server import API_KEY

        proc = subprocess.run(
            [sys.executable, "-m", "tests.ui.tmdb_app_scenario", str(tmp_path),
             f"http://127.0.0.1:{port}/3", f"http://127.0.0.1:{port}/t/p/", API_KEY],
            cwd=REPO, env=app_env(), capture_output=True, text=True, timeout=240,
        )
        assert_clean(proc.returncode, proc.stderr)
        assert API_KEY not in proc.stderr  # the key never reaches the log
    finally:
        fake.terminate()
        fake.wait(timeout=10)
