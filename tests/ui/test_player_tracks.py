"""The player's Tracks panel with a remote: Menu opens it, audio eng -> deu, subtitles
off/on, subtitle delay and size, Left/Right between the lists, Back closes only the panel.

The harness's clips have one audio track, so this module generates its own MKV (H.264,
two AAC tracks eng + deu, an English SRT) and points FakePlay at it (url_override).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from miauflix_desktop.services.playback.state import PlayerState, Track
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import focused_name, item, press, visible_focus_items, wait_until

K = Qt.Key
CLIP_IDS = (1, 2, 3)


@pytest.fixture(scope="module")
def multitrack_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is needed to generate the multi-track clip")
    directory = tmp_path_factory.mktemp("tracks")
    srt = directory / "eng.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:20,000\nHello from the subtitles\n",
                   encoding="utf-8")
    clip = directory / "tracks.mkv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=20",
         "-f", "lavfi", "-i", "sine=frequency=330:duration=20",
         "-f", "lavfi", "-i", "sine=frequency=660:duration=20",
         "-i", str(srt),
         "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
         "-c:a", "aac", "-b:a", "48k", "-c:s", "srt",
         "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=English",
         "-metadata:s:a:1", "language=deu", "-metadata:s:a:1", "title=Deutsch",
         "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English",
         "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "0",
         str(clip)],
        check=True, timeout=120,
    )
    return clip


@pytest.fixture
def tracks_ui(ui: UiHarness, multitrack_clip: Path) -> Iterator[UiHarness]:
    play = ui.ports.play
    for media_id in CLIP_IDS:
        play.url_override[media_id] = str(multitrack_clip)
    try:
        yield ui
    finally:
        for media_id in CLIP_IDS:
            play.url_override.pop(media_id, None)
        # The shared mpv keeps its global subtitle size for the next tests.
        run(ui.loop, ui.player._set_property("sub-scale", "1"))


def _focus_names(ui: UiHarness) -> list[str]:
    return [i.objectName() for i in visible_focus_items(ui.window)]


def _selected(state: PlayerState, kind: str) -> Track | None:
    return state.selected(kind)  # type: ignore[arg-type]


async def _press_until(ui: UiHarness, key: Qt.Key, name: str, limit: int = 10) -> None:
    for _ in range(limit):
        if focused_name(ui.window) == name:
            return
        await press(ui.window, key)
        assert len(visible_focus_items(ui.window)) == 1, _focus_names(ui)
    assert focused_name(ui.window) == name, focused_name(ui.window)


def test_tracks_panel_switches_audio_subtitles_delay_and_size(tracks_ui: UiHarness) -> None:
    ui = tracks_ui
    player = ui.player

    async def scenario() -> None:
        await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a card")
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
        await press(ui.window, K.Key_Return)
        assert ui.app.property("screen") == "player"
        await wait_until(lambda: player.state.started, 10, "first frame")
        await wait_until(lambda: len(player.state.audio_tracks) == 2
                         and len(player.state.sub_tracks) == 1, 5, "track-list")
        audio = player.state.audio_tracks
        assert [(t.id, t.language, t.title, t.codec) for t in audio] == [
            (1, "eng", "English", "aac"), (2, "deu", "Deutsch", "aac")]
        assert player.state.sub_tracks[0].language == "eng"
        assert player.state.sub_tracks[0].codec == "subrip"
        vm = ui.player_vm
        assert [r["label"] for r in vm.property("audioTracks")] == ["English", "Deutsch"]

        # Menu opens the panel on the selected audio track; the OSD stays up.
        panel = item(ui.window, "tracksPanel")
        assert not panel.isVisible()
        await press(ui.window, K.Key_Menu)
        assert panel.isVisible() and ui.app.property("screen") == "player"
        first = _selected(player.state, "audio")
        assert first is not None
        assert _focus_names(ui) == [f"audioTrack_{first.id}"]
        assert item(ui.window, "playerOverlay").isVisible()

        # Audio eng -> deu (from whichever plays now to the other one).
        other = next(t for t in audio if t.id != first.id)
        await press(ui.window, K.Key_Down if other.id > first.id else K.Key_Up)
        assert _focus_names(ui) == [f"audioTrack_{other.id}"]
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: (_selected(player.state, "audio") or first).id == other.id,
                         5, "audio switched")
        assert player.mpv.aid == other.id
        assert _focus_names(ui) == [f"audioTrack_{other.id}"], "focus kept after selecting"
        await press(ui.window, K.Key_Return)  # again: still that track, nothing breaks
        if other.language != "deu":  # the system preferred German: now switch back to it
            await press(ui.window, K.Key_Up)
            await press(ui.window, K.Key_Return)
        await wait_until(lambda: (_selected(player.state, "audio") or first).language
                         == "deu", 5, "German audio")
        assert player.mpv.aid == 2
        rows = vm.property("audioTracks")
        assert [r["selected"] for r in rows] == [False, True]

        # Right: the Subtitles list; Off, then the track.
        await press(ui.window, K.Key_Right)
        assert len(visible_focus_items(ui.window)) == 1
        await _press_until(ui, K.Key_Up, "subOff")
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _selected(player.state, "sub") is None, 5, "subtitles off")
        assert vm.property("subtitlesOff")
        await press(ui.window, K.Key_Down)
        assert _focus_names(ui) == ["subTrack_1"]
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _selected(player.state, "sub") is not None, 5, "subtitles on")
        assert player.mpv.sid == 1 and not vm.property("subtitlesOff")
        await press(ui.window, K.Key_Up)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _selected(player.state, "sub") is None, 5, "off again")
        assert player.mpv.sid is False
        await press(ui.window, K.Key_Down)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _selected(player.state, "sub") is not None, 5, "on again")

        # Subtitle delay + (twice), − (once): +0.1 s; size + : 110 %.
        await _press_until(ui, K.Key_Down, "subDelayPlus")
        await press(ui.window, K.Key_Return)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: player.state.sub_delay == pytest.approx(0.2), 5, "+0.2 s")
        await press(ui.window, K.Key_Up)
        assert _focus_names(ui) == ["subDelayMinus"]
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: player.state.sub_delay == pytest.approx(0.1), 5, "+0.1 s")
        assert player.mpv.sub_delay == pytest.approx(0.1)
        assert vm.property("subDelayText") == "+0.1 s"
        assert item(ui.window, "subDelayPlus").property("detail") == "+0.1 s"
        await _press_until(ui, K.Key_Down, "subSizePlus")
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: player.state.sub_scale == pytest.approx(1.1), 5, "bigger")
        assert vm.property("subScaleText") == "110 %"
        await press(ui.window, K.Key_Down)  # then "Load subtitle file…", the last row
        assert _focus_names(ui) == ["subLoadFile"]
        await press(ui.window, K.Key_Down)  # (no OpenSubtitles key here): stays there
        assert _focus_names(ui) == ["subLoadFile"]

        # Left: back to the audio list, on the row it left.
        await press(ui.window, K.Key_Left)
        assert _focus_names(ui) == ["audioTrack_2"]
        await press(ui.window, K.Key_Left)  # nothing further left
        assert _focus_names(ui) == ["audioTrack_2"]

        # Back closes the panel, not the player; the OSD's focus returns.
        before = player.state.position
        await press(ui.window, K.Key_Escape)
        assert not panel.isVisible()
        assert ui.app.property("screen") == "player"
        assert _focus_names(ui) == ["playerPlayPause"]
        assert player.state.error is None and player.state.position >= before

        # Menu opens it again (on the German track), Menu closes it too.
        await press(ui.window, K.Key_Menu)
        assert panel.isVisible() and _focus_names(ui) == ["audioTrack_2"]
        await press(ui.window, K.Key_Menu)
        assert not panel.isVisible() and _focus_names(ui) == ["playerPlayPause"]

        # Keys outside the panel work as before: Space pauses, Back leaves the player.
        await press(ui.window, K.Key_Space)
        await wait_until(lambda: player.state.paused, 5, "paused")
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await ui.player_vm.wait_closed()

    run(ui.loop, scenario(), timeout=60)


def test_tracks_are_per_file(tracks_ui: UiHarness) -> None:
    """A track picked for one file does not carry over to the next one; the subtitle
    delay resets too (aid/sid/sub-delay are file-local options of each load)."""
    ui = tracks_ui
    player = ui.player
    vm = ui.player_vm

    async def scenario() -> None:
        vm.open(1)
        await wait_until(lambda: player.state.started and len(player.state.audio_tracks) == 2,
                         10, "playing with tracks")
        first = _selected(player.state, "audio")
        assert first is not None
        other = 2 if first.id == 1 else 1
        vm.selectAudio(other)
        vm.stepSubDelay(1)
        await wait_until(lambda: (_selected(player.state, "audio") or first).id == other
                         and player.state.sub_delay == pytest.approx(0.1), 5, "changed")
        vm.back()
        await vm.wait_closed()
        assert player.state.idle and player.state.tracks == ()

        vm.open(2)
        await wait_until(lambda: player.state.started and len(player.state.audio_tracks) == 2,
                         10, "second file")
        again = _selected(player.state, "audio")
        assert again is not None and again.id == first.id
        assert player.state.sub_delay == 0.0
        vm.back()
        await vm.wait_closed()

    run(ui.loop, scenario(), timeout=40)
