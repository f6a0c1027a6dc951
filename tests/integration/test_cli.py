"""The command line: clear messages instead of tracebacks, clean exits on signals."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from miauflix_desktop.config.settings import ServerSettings
from miauflix_desktop.services.streaming.server import StreamServer
from tests.integration.conftest import serve_env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "miauflix_desktop", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env or serve_env())


def test_missing_ffmpeg_names_what_to_install(tmp_path):
    env = serve_env()
    env["PATH"] = str(tmp_path)  # nothing in it: no ffmpeg, no ffprobe
    r = run_cli("serve", "--demo", "--data-dir", str(tmp_path / "d"), env=env)
    assert r.returncode == 2
    assert "apt-get install ffmpeg" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_port_is_a_usage_error(tmp_path):
    r = run_cli("serve", "--demo", "--data-dir", str(tmp_path), "--port", "70000")
    assert r.returncode == 2
    assert "--port" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_startup_exits_cleanly(tmp_path, sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "miauflix_desktop", "serve", "--demo", "--data-dir",
         str(tmp_path), "--demo-duration", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=serve_env(), text=True)
    # wait until it is generating media (the slow part), then interrupt it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(tmp_path.glob("demo/media/*")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    assert out == ""


async def test_port_in_use_moves_to_the_next_free_port():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]

    async def never(_token: str):
        raise AssertionError("not reached")

    server = StreamServer(ServerSettings(port=port), never)
    try:
        await server.start()
        assert server.port != port
        assert port < server.port <= port + 20
    finally:
        await server.stop()
        busy.close()


def test_missing_libmpv_names_what_to_install(tmp_path):
    """libmpv hidden from ctypes (as on a machine without libmpv2): a message, no traceback."""
    code = (
        "import ctypes.util, sys\n"
        "real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda n: None if n == 'mpv' else real(n)\n"
        "from miauflix_desktop.__main__ import main\n"
        f"sys.exit(main(['--data-dir', {str(tmp_path)!r}]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, env=serve_env())
    assert r.returncode == 2
    assert "apt-get install libmpv2" in r.stderr
    assert "Traceback" not in r.stderr


def test_subtitles_key_is_read_from_stdin_stored_and_cleared(tmp_path):
    from miauflix_desktop.config.paths import AppPaths
    from miauflix_desktop.config.secrets import SecretStore
    from miauflix_desktop.services.subtitles.keys import stored_opensubtitles_key

    def cli(stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "miauflix_desktop", "subtitles-key", "--data-dir",
             str(tmp_path), *extra], input=stdin, capture_output=True, text=True,
            timeout=60, env=serve_env())

    secrets = SecretStore(AppPaths(tmp_path).secrets_dir, use_keyring=False)
    r = cli("0123456789abcdefABCDEF0123456789\n")
    assert r.returncode == 0, r.stderr
    assert "OpenSubtitles key stored" in r.stdout
    assert stored_opensubtitles_key(secrets) == "0123456789abcdefABCDEF0123456789"
    # Nothing on stdin, or something that cannot be a key: a message, the key kept.
    for bad in ("", "two words\n"):
        r = cli(bad)
        assert r.returncode == 2
        assert r.stderr.strip() and "Traceback" not in r.stderr
        assert stored_opensubtitles_key(secrets) == "0123456789abcdefABCDEF0123456789"
    r = cli("", "--clear")
    assert r.returncode == 0, r.stderr
    assert "removed" in r.stdout
    assert stored_opensubtitles_key(secrets) == ""
