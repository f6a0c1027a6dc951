"""Screenshots of a series in Home's "Continue watching" and of the Episodes screen with
"Resume from" / "Start over", and of a season on the Downloads screen, under a real X
server (Xvfb, OpenGL), in a subprocess.

Written to $MIAUFLIX_SCREENSHOT_DIR (default: the test's tmp dir); the copies in
docs/screens/ come from a run with that variable set to docs/screens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = ("home_continue_series", "episodes_resume", "downloads_season")


@pytest.mark.gl
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (run under xvfb-run)")
def test_continue_screenshots(tmp_path: Path, media_dir: Path) -> None:
    out = Path(os.environ.get("MIAUFLIX_SCREENSHOT_DIR") or tmp_path / "screenshots")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "QSG_RENDER_LOOP": "basic"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.continue_scenario", str(out), str(media_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"scenario failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    assert "QML:" not in proc.stderr, proc.stderr[-4000:]
    for name in SHOTS:
        assert (out / f"{name}.png").stat().st_size > 10_000, name
