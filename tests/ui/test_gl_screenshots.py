"""mpv inside the QML window under a real X server (Xvfb) with OpenGL: screenshots + frame check.

Runs tests/ui/gl_scenario.py in a subprocess: this pytest process uses the offscreen
platform (software scene graph), and the Qt platform cannot change within a process.
Screenshots go to $MIAUFLIX_SCREENSHOT_DIR (default: the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.gl
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (run under xvfb-run)")
def test_player_renders_video_inside_qml(tmp_path: Path) -> None:
    out = Path(os.environ.get("MIAUFLIX_SCREENSHOT_DIR") or tmp_path / "screenshots")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "QSG_RENDER_LOOP": "basic"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.gl_scenario", str(out), str(tmp_path / "data")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"scenario failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    result = json.loads((out / "result.json").read_text())
    print(f"screenshots in {out}: {json.dumps(result)}")

    assert result["opengl"], result["graphics_api"]
    assert result["render_context_live"] and result["render_context_freed"]
    # The picture in the mpv item's area is a real, colourful video frame.
    assert result["video"]["nonblack_fraction"] > 0.5
    assert result["video"]["distinct_colours"] > 20
    assert result["duration"] == pytest.approx(result["demo_duration"], abs=0.5)
    assert result["position"] >= 1.5
    assert result["overlay_hidden"]
    assert result["saved_position"] is not None and result["saved_position"] >= 1.5
    for name in ("home", "details", "player"):
        assert (out / f"{name}.png").stat().st_size > 10_000
