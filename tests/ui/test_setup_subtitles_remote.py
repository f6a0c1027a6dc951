"""The Setup screen's OpenSubtitles page driven with the remote only (arrows, OK, Back)
through the real QML shell: open the page, type a mixed-case key on the on-screen
keyboard (Capitals switch), a rejected key, then a good one checked against the fake
OpenSubtitles API on 127.0.0.1 and stored in a real secret store, Back to page one, Remove
the key; exactly one visible focus after every key. Plus the screenshots of both pages
under Xvfb (subprocess, like the other screenshot tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.services.subtitles.keys import OpenSubtitlesKeys, stored_opensubtitles_key
from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient
from tests.fakes.opensubtitles_server import running_fake_opensubtitles
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import focused_name, item, one_focus, press, type_on_screen, wait_until

K = Qt.Key
REPO = Path(__file__).resolve().parents[2]
SPACE = 36  # the keyboard's index of Space (first key of its last row)


def test_subtitles_key_with_the_remote_only(first_run_ui: UiHarness, tmp_path: Path) -> None:
    ui = first_run_ui
    secrets = SecretStore(tmp_path / "secrets", use_keyring=False)
    walk: list[str] = []

    async def key(k: Qt.Key, expect: str | None = None) -> None:
        await press(ui.window, k)
        if expect is not None:
            await wait_until(lambda: focused_name(ui.window) == expect, 5,
                             f"{expect} (focus on {focused_name(ui.window)}, walk {walk})")
        shown = await one_focus(ui.window)
        walk.append(f"{k.name}->{focused_name(ui.window)}/{shown.objectName()}")
        assert ui.app.property("screen") == "setup", walk

    async def type_key(text: str) -> None:
        """From the field: Right into the keyboard; capitals through the switch below it."""
        await key(K.Key_Right)
        current = int(item(ui.window, "setupKeyboard").property("current"))
        assert focused_name(ui.window).startswith("key_"), walk
        for ch in text:
            want_upper = ch.isupper()
            if want_upper != bool(ui.window.findChild(object, "setupView")
                                  .property("capitals")):
                # Down to the last row and once more onto the switch, OK, Up again.
                for _ in range(7):  # at most: row 0 to the last row, then the switch
                    if focused_name(ui.window) == "setupCapitalsButton":
                        break
                    await key(K.Key_Down)
                assert focused_name(ui.window) == "setupCapitalsButton", walk
                await key(K.Key_Return)
                await key(K.Key_Up, "key_space")
                current = SPACE
            current = await type_on_screen(ui.window, ch.lower(), current)
        for _ in range(6):
            if focused_name(ui.window) == "setupSubtitlesKeyInput":
                break
            await key(K.Key_Left)
        assert focused_name(ui.window) == "setupSubtitlesKeyInput", walk

    async def scenario() -> None:
        async with running_fake_opensubtitles() as fake:
            fake.api_key = "Ab12c"
            ui.setup.use_subtitles_key(OpenSubtitlesKeys(
                secrets, lambda k: OpenSubtitlesClient(k, base_url=fake.base_url,
                                                       max_retries=0, timeout_s=2)))
            await wait_until(lambda: focused_name(ui.window) == "setupKeyInput", 5)
            await one_focus(ui.window)
            # Page one: key field, languages, Check & save, Skip, then the new entry.
            await key(K.Key_Down)
            await key(K.Key_Down, "setupSaveButton")
            await key(K.Key_Right, "setupSkipButton")
            await key(K.Key_Down, "setupSubtitlesButton")
            assert item(ui.window, "setupSubtitlesButton").property("text") == \
                "OpenSubtitles key…"
            await key(K.Key_Return, "setupSubtitlesKeyInput")
            assert item(ui.window, "setupSubtitlesPage").property("visible")
            assert not item(ui.window, "setupTmdbPage").property("visible")
            assert "No key stored" in item(ui.window, "setupSubtitlesState").property("text")

            # A wrong key (lower case where the API wants capitals): rejected, not stored.
            await type_key("ab12c")
            assert item(ui.window, "setupSubtitlesKeyInput").property("text") == "ab12c"
            await key(K.Key_Return)
            message = item(ui.window, "setupSubtitlesMessage")
            await wait_until(lambda: "rejected" in message.property("text"), 10, "rejected")
            assert ui.setup.property("subtitlesIsError")
            assert stored_opensubtitles_key(secrets) == ""

            # The keyboard's Clear, then the right key with a capital A.
            await key(K.Key_Right, "key_a")
            for _ in range(6):
                await key(K.Key_Down)
            assert focused_name(ui.window) == "key_space"
            await key(K.Key_Right, "key_backspace")
            await key(K.Key_Right, "key_clear")
            await key(K.Key_Return)
            assert item(ui.window, "setupSubtitlesKeyInput").property("text") == ""
            for _ in range(3):
                await key(K.Key_Left)
            assert focused_name(ui.window) == "setupSubtitlesKeyInput"
            await type_key("Ab12c")
            assert item(ui.window, "setupSubtitlesKeyInput").property("text") == "Ab12c"
            await key(K.Key_Down, "setupSubtitlesSaveButton")
            await key(K.Key_Return)
            await wait_until(lambda: "saved" in message.property("text"), 10, "saved")
            await wait_until(lambda: focused_name(ui.window) == "setupSubtitlesDoneButton", 3)
            await one_focus(ui.window)
            assert stored_opensubtitles_key(secrets) == "Ab12c"
            assert item(ui.window, "setupSubtitlesKeyInput").property("text") == ""
            assert item(ui.window, "setupSubtitlesRemoveButton").property("visible")

            # Back returns to page one (not Home), focus on the entry, which shows the ✓.
            await key(K.Key_Escape, "setupSubtitlesButton")
            assert item(ui.window, "setupSubtitlesButton").property("text") == \
                "OpenSubtitles key ✓"
            # In again: Down, Right to Remove, OK; the field gets the focus back.
            await key(K.Key_Return, "setupSubtitlesKeyInput")
            await key(K.Key_Down, "setupSubtitlesSaveButton")
            await key(K.Key_Right, "setupSubtitlesRemoveButton")
            await key(K.Key_Return)
            await wait_until(lambda: "removed" in message.property("text"), 5, "removed")
            await wait_until(lambda: focused_name(ui.window) == "setupSubtitlesKeyInput", 3)
            await one_focus(ui.window)
            assert stored_opensubtitles_key(secrets) == ""
            assert not item(ui.window, "setupSubtitlesRemoveButton").property("visible")
            # Down, Right skips the hidden Remove to Done; OK = page one.
            await key(K.Key_Down, "setupSubtitlesSaveButton")
            await key(K.Key_Right, "setupSubtitlesDoneButton")
            await key(K.Key_Return, "setupSubtitlesButton")
            # The TMDB part is untouched: Up to Skip, OK opens the demo library.
            await key(K.Key_Up, "setupSkipButton")
            await press(ui.window, K.Key_Return)
            await wait_until(lambda: ui.app.property("screen") == "home", 5, "home")
            assert ui.ports.setup.skipped == 1

    run(ui.loop, scenario(), timeout=90)


@pytest.mark.gl
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X server (run under xvfb-run)")
def test_setup_subtitles_screens(tmp_path: Path, media_dir: Path) -> None:
    out = Path(os.environ.get("MIAUFLIX_SCREENSHOT_DIR") or tmp_path / "screenshots")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "QSG_RENDER_LOOP": "basic"}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.ui.setup_subtitles_scenario", str(out), str(media_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"scenario failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    assert "QML:" not in proc.stderr, proc.stderr[-4000:]
    for name in ("setup_subtitles_entry", "setup_subtitles"):
        assert (out / f"{name}.png").stat().st_size > 10_000, name
