"""PlayerService (real libmpv, vo=null, no Qt) switches tracks on the demo HEVC MKV.

"whisker-waves" carries two AC3 audio tracks (eng, deu) and an English SRT. The media
comes from the shared demo cache (tests/demo_cache.py): generated once, reused after.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from miauflix_desktop.services.demo.media import DEMO_TITLES, demo_asset, ensure_demo_media
from miauflix_desktop.services.playback.player import PlayerService, language_codes
from tests.demo_cache import CACHE, DEMO_DURATION

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def whisker_waves() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    ensure_demo_media(CACHE, duration_s=DEMO_DURATION)
    title = next(t for t in DEMO_TITLES if t.slug == "whisker-waves")
    return demo_asset(CACHE, title).media_path


def test_language_codes() -> None:
    assert language_codes(["de", "en_US", "fra"]) == ["de", "deu", "ger", "en", "eng", "fra"]
    assert language_codes(["", "xx"]) == ["xx"]


async def test_preferred_audio_then_switch_subtitles_delay_and_external_subs(
        whisker_waves: Path, tmp_path: Path) -> None:
    player = PlayerService(vo="null", ao="null", hwdec="no",
                           preferred_audio=["de"], preferred_sub=[])
    await player.start()
    try:
        await player.load(str(whisker_waves))
        # mpv marks the chosen track in a later track-list update than the one listing it.
        state = await player.wait_for(
            lambda s: s.started and len(s.audio_tracks) == 2 and len(s.sub_tracks) == 1
            and s.selected("audio") is not None, timeout=30)
        assert [(t.language, t.codec) for t in state.audio_tracks] == [("eng", "ac3"),
                                                                        ("deu", "ac3")]
        # The preference applied before the first frame: German, though English is default.
        assert state.selected("audio").language == "deu"
        assert player.mpv.aid == 2
        assert state.selected("sub") is None  # no subtitle language preferred

        await player.set_audio(1)
        state = await player.wait_for(lambda s: s.selected("audio").id == 1, timeout=5)
        assert state.selected("audio").language == "eng" and player.mpv.aid == 1

        await player.set_subtitle(1)
        await player.wait_for(lambda s: s.selected("sub") is not None, timeout=5)
        await player.set_subtitle(None)
        await player.wait_for(lambda s: s.selected("sub") is None, timeout=5)

        await player.adjust_sub_delay(0.1)
        await player.adjust_sub_delay(0.1)
        await player.adjust_sub_delay(-0.1)
        state = await player.wait_for(lambda s: s.sub_delay == pytest.approx(0.1), timeout=5)
        await player.adjust_sub_scale(0.1)
        await player.wait_for(lambda s: s.sub_scale == pytest.approx(1.1), timeout=5)

        srt = tmp_path / "extra.fra.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:30,000\nBonjour\n", encoding="utf-8")
        await player.add_subtitle(srt)
        state = await player.wait_for(lambda s: len(s.sub_tracks) == 2, timeout=5)
        external = state.sub_tracks[1]
        assert external.external and external.selected
        assert "external" in external.label
        assert state.error is None

        # The next file (the same one again) starts from the preferences, not the picks.
        await player.load(str(whisker_waves))
        await asyncio.sleep(0.2)
        state = await player.wait_for(
            lambda s: s.started and len(s.audio_tracks) == 2
            and s.selected("audio") is not None, timeout=30)
        assert state.selected("audio").language == "deu"
        assert len(state.sub_tracks) == 1 and state.sub_delay == 0.0
        assert state.sub_scale == pytest.approx(1.1)  # size is a viewer preference: kept
        await player.stop_playback()
        assert player.state.tracks == ()
    finally:
        await player.stop()


def test_track_list_parsing_and_reducer() -> None:
    from miauflix_desktop.services.playback.state import (
        Loading,
        PlayerState,
        Stopped,
        SubDelayChanged,
        TracksChanged,
        parse_track_list,
        reduce,
    )

    tracks = parse_track_list([
        {"id": 1, "type": "video", "codec": "hevc", "selected": True},
        {"id": 1, "type": "audio", "lang": "eng", "title": "English", "codec": "ac3",
         "selected": False},
        {"id": 2, "type": "audio", "lang": "deu", "codec": "ac3", "selected": True},
        {"id": 1, "type": "sub", "codec": "subrip"},
        {"type": "sub"},  # no id: skipped
    ])
    assert [(t.type, t.id, t.label) for t in tracks] == [
        ("audio", 1, "English"), ("audio", 2, "deu"), ("sub", 1, "Track 1")]
    state = reduce(PlayerState(), Loading(url="u"))
    state = reduce(state, TracksChanged(tracks))
    assert state.selected("audio").id == 2 and state.selected("sub") is None
    state = reduce(state, SubDelayChanged(0.30000000004))
    assert state.sub_delay == 0.3
    stopped = reduce(state, Stopped())
    assert stopped.tracks == () and stopped.idle
    # A late report about the stopped file is ignored.
    assert reduce(stopped, TracksChanged(tracks)).tracks == ()
