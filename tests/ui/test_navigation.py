"""Keyboard/remote navigation through the real QML shell (offscreen, vo=null player)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import all_items, focused_name, item, press, visible_focus_items, wait_until


async def _home_ready(ui: UiHarness) -> None:
    await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a focused card")


def test_home_shows_shelves_and_demo(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        assert item(ui.window, "homeShelf_featured").isVisible()
        assert item(ui.window, "homeShelf_demo").isVisible()
        assert focused_name(ui.window) == "card_featured_1"
        badges = [b for b in all_items(ui.window)
                  if b.objectName() == "demoBadge" and b.isVisible()]
        assert badges, "demo titles carry a visible DEMO badge"

    run(ui.loop, scenario())


def test_arrow_keys_move_focus_with_one_visible_indicator(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        shown = visible_focus_items(ui.window)
        assert [i.objectName() for i in shown] == ["card_featured_1"]
        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "card_featured_2"
        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "card_featured_3"
        await press(ui.window, Qt.Key.Key_Right)  # end of the shelf: focus stays
        assert focused_name(ui.window) == "card_featured_3"
        await press(ui.window, Qt.Key.Key_Left)
        assert focused_name(ui.window) == "card_featured_2"
        await press(ui.window, Qt.Key.Key_Down)
        assert focused_name(ui.window).startswith("card_demo_")
        await press(ui.window, Qt.Key.Key_Up)
        assert focused_name(ui.window) == "card_featured_2"
        await wait_until(lambda: len(visible_focus_items(ui.window)) == 1, 2)
        assert [i.objectName() for i in visible_focus_items(ui.window)] == ["card_featured_2"]
        focused = item(ui.window, "card_featured_2")
        await wait_until(lambda: focused.scale() > 1.0, 2, "focused card scales up")
        assert item(ui.window, "card_featured_1").scale() == 1.0

    run(ui.loop, scenario())


def test_enter_details_play_and_back(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "card_featured_2"

        await press(ui.window, Qt.Key.Key_Return)
        await wait_until(lambda: ui.details.property("title") == "Test Pattern", 5)
        await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
        assert ui.app.property("screen") == "details"
        assert [i.objectName() for i in visible_focus_items(ui.window)] == ["detailsPlayButton"]
        # Opening Details warms the stream up (source, torrent, peers) before Play.
        assert ui.ports.play.prepared[-1:] == [2]

        await press(ui.window, Qt.Key.Key_Return)
        assert ui.app.property("screen") == "player"
        await wait_until(lambda: item(ui.window, "playerView").isVisible(), 5)
        await wait_until(lambda: ui.player.state.started, 10, "first frame")
        assert ui.player_vm.property("title") == "Test Pattern"
        assert not ui.player_vm.property("loading")
        await wait_until(lambda: ui.player.state.position >= 1.0, 10, "playback advances")

        # Space pauses and resumes; Right seeks forward.
        await press(ui.window, Qt.Key.Key_Space)
        await wait_until(lambda: ui.player_vm.property("paused"), 5, "paused")
        await press(ui.window, Qt.Key.Key_MediaTogglePlayPause)
        await wait_until(lambda: not ui.player_vm.property("paused"), 5, "resumed")
        before = ui.player.state.position
        await press(ui.window, Qt.Key.Key_Menu)  # opens the Tracks panel, stays in the player
        assert item(ui.window, "tracksPanel").isVisible()
        await press(ui.window, Qt.Key.Key_Escape)  # Back closes only the panel
        assert ui.app.property("screen") == "player"
        assert not item(ui.window, "tracksPanel").isVisible()
        await press(ui.window, Qt.Key.Key_Right)
        await wait_until(lambda: ui.player.state.position >= before + 5, 5, "seek +10 s")
        assert item(ui.window, "playerOverlay").isVisible()

        await press(ui.window, Qt.Key.Key_Escape)
        assert ui.app.property("screen") == "details"
        await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
        await ui.player_vm.wait_closed()
        assert ui.player.state.idle
        saved = ui.ports.play.saved[-1]
        assert saved[0] == 2 and saved[1] > 5 and abs(saved[2] - 10) < 0.5

        await press(ui.window, Qt.Key.Key_Backspace)
        assert ui.app.property("screen") == "home"
        await wait_until(lambda: focused_name(ui.window) == "card_featured_2", 5,
                         "same card focused after Back")
        assert [i.objectName() for i in visible_focus_items(ui.window)] == ["card_featured_2"]
        await press(ui.window, Qt.Key.Key_Escape)  # Back on Home stays on Home
        assert ui.app.property("screen") == "home"

    run(ui.loop, scenario(), timeout=60)


def test_port_errors_show_as_messages(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        ui.ports.play.fail_open = True
        await press(ui.window, Qt.Key.Key_Return)
        await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
        await press(ui.window, Qt.Key.Key_Return)
        await wait_until(lambda: ui.player_vm.property("error") != "", 5)
        message = item(ui.window, "playerMessage")
        assert "No source could be found" in message.property("text")
        assert "Traceback" not in message.property("text")
        assert message.isVisible()
        assert not ui.player_vm.property("loading")
        await press(ui.window, Qt.Key.Key_Escape)
        assert ui.app.property("screen") == "details"

        ui.ports.catalog.fail_home = True
        ui.home.reload()
        await wait_until(lambda: ui.home.property("error") != "", 5)
        text = item(ui.window, "homeError").property("text")
        assert text == "The catalog is unavailable right now."

    run(ui.loop, scenario())


def test_fullscreen_toggle(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        await press(ui.window, Qt.Key.Key_F11)
        assert ui.app.property("fullscreen") is True
        await press(ui.window, Qt.Key.Key_F11)
        assert ui.app.property("fullscreen") is False

    run(ui.loop, scenario())


def test_details_sources_list_plays_the_chosen_source(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        await press(ui.window, Qt.Key.Key_Return)
        await wait_until(lambda: ui.details.property("sourceCount") == 2, 5, "sources")
        await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
        summary = item(ui.window, "detailsSourcesText").property("text")
        assert summary == "Best source: 1080p · x264 · 2.1 GB · Fake · 230 seeds / 12 peers"

        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "detailsSourcesButton"
        assert item(ui.window, "detailsSourcesButton").property("text") == "Sources (2)"
        await press(ui.window, Qt.Key.Key_Return)
        assert item(ui.window, "detailsSourcesPanel").isVisible()
        # The best source is pre-selected, marked, and carries the only focus.
        assert focused_name(ui.window) == "source_0"
        assert item(ui.window, "source_0").property("text").startswith("★")
        assert [i.objectName() for i in visible_focus_items(ui.window)] == ["source_0"]
        # Size, provider, seeds/peers and score on the row; the explanation under it.
        assert item(ui.window, "source_0").property("detail") == (
            "2.1 GB · Fake · 230 seeds / 12 peers · score 9,000")

        # Back closes the list and returns to the Sources button, still on Details.
        await press(ui.window, Qt.Key.Key_Escape)
        assert ui.app.property("screen") == "details"
        assert not item(ui.window, "detailsSourcesPanel").isVisible()
        assert focused_name(ui.window) == "detailsSourcesButton"

        await press(ui.window, Qt.Key.Key_Return)
        await press(ui.window, Qt.Key.Key_Down)
        assert focused_name(ui.window) == "source_1"
        await press(ui.window, Qt.Key.Key_Return)
        assert ui.app.property("screen") == "player"
        await wait_until(lambda: ui.ports.play.opened[-1:] == [(1, 12)], 5, "second source")
        await wait_until(lambda: ui.player.state.started, 10, "first frame")
        await press(ui.window, Qt.Key.Key_Escape)
        assert ui.app.property("screen") == "details"
        await wait_until(lambda: focused_name(ui.window) == "source_1", 5)

        # Play on the Details screen itself asks for the best source (0 = best). Having
        # watched a bit, Start over now sits between Play and Sources.
        await press(ui.window, Qt.Key.Key_Escape)
        await wait_until(lambda: item(ui.window, "detailsStartOverButton").isVisible(), 5)
        await press(ui.window, Qt.Key.Key_Left)
        assert focused_name(ui.window) == "detailsStartOverButton"
        await press(ui.window, Qt.Key.Key_Left)
        assert focused_name(ui.window) == "detailsPlayButton"
        await press(ui.window, Qt.Key.Key_Return)
        await wait_until(lambda: ui.ports.play.opened[-1:] == [(1, None)], 5, "best source")
        await press(ui.window, Qt.Key.Key_Escape)
        await ui.player_vm.wait_closed()

    run(ui.loop, scenario(), timeout=60)


def test_title_without_sources_says_so_and_stays(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        ui.ports.play.no_sources = {1}
        opened_before = len(ui.ports.play.opened)
        try:
            await press(ui.window, Qt.Key.Key_Return)
            await wait_until(lambda: item(ui.window, "detailsSourcesText").property("text")
                             == "No sources found yet.", 5, "no sources line")
            assert not item(ui.window, "detailsSourcesButton").isVisible()
            await press(ui.window, Qt.Key.Key_Right)  # nothing to the right of Play
            assert focused_name(ui.window) == "detailsPlayButton"
            await press(ui.window, Qt.Key.Key_Return)
            assert ui.app.property("screen") == "details"
            text = item(ui.window, "detailsSourcesText").property("text")
            assert text == "No sources found yet for this film; try again later."
            assert len(ui.ports.play.opened) == opened_before
        finally:
            ui.ports.play.no_sources = set()

    run(ui.loop, scenario())


def test_title_without_sources_searches_at_once_with_progress(ui: UiHarness) -> None:
    from miauflix_desktop.core.media import SourceItem

    async def scenario() -> None:
        await _home_ready(ui)
        ui.ports.play.no_sources = {1}
        ui.ports.play.search_results = {1: [SourceItem(
            id=99, provider="YTS", quality="1080p", video_codec="x264", audio="AAC 5.1",
            languages="en", size_bytes=2_100_000_000, seeds=230, peers=12, score=8450,
            explanation="1080p x264 · 230 seeds · 2.1 GB — best that plays here")]}
        try:
            await press(ui.window, Qt.Key.Key_Return)
            await wait_until(lambda: ui.details.property("searching"), 5, "search starts")
            await wait_until(lambda: item(ui.window, "detailsSourcesText").property("text")
                             == "Asking Fake YTS, Fake TheRARBG…", 5, "progress line")
            assert item(ui.window, "detailsSourcesSpinner").isVisible()
            await wait_until(lambda: ui.details.property("sourceCount") == 1, 5, "found")
            assert not item(ui.window, "detailsSourcesSpinner").isVisible()
            assert ui.ports.play.searched[-1] == 1
            await press(ui.window, Qt.Key.Key_Right)
            await press(ui.window, Qt.Key.Key_Return)
            assert focused_name(ui.window) == "source_0"
            assert item(ui.window, "source_0").property("text") == "★  1080p · x264 · AAC 5.1 · EN"
            why = item(ui.window, "sourceWhy_0")
            assert why.isVisible()
            assert why.property("text").endswith("best that plays here")
            await press(ui.window, Qt.Key.Key_Escape)
            await press(ui.window, Qt.Key.Key_Escape)
            assert ui.app.property("screen") == "home"
        finally:
            ui.ports.play.no_sources = set()
            ui.ports.play.search_results = {}

    run(ui.loop, scenario())


def test_resume_from_or_start_over(ui: UiHarness) -> None:
    async def scenario() -> None:
        await _home_ready(ui)
        ui.ports.play.positions[1] = 125.0
        await press(ui.window, Qt.Key.Key_Return)
        play = item(ui.window, "detailsPlayButton")
        await wait_until(lambda: play.property("text") == "▶  Resume from 2:05", 5, "resume")
        assert focused_name(ui.window) == "detailsPlayButton"
        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "detailsStartOverButton"
        assert len(visible_focus_items(ui.window)) == 1
        await press(ui.window, Qt.Key.Key_Right)
        assert focused_name(ui.window) == "detailsSourcesButton"
        await press(ui.window, Qt.Key.Key_Left)
        await press(ui.window, Qt.Key.Key_Return)  # Start over
        await wait_until(lambda: ui.app.property("screen") == "player", 5, "player")
        assert ui.ports.play.opened[-1] == (1, None)
        await wait_until(lambda: ui.player.state.started, 10, "first frame")
        assert ui.player.state.position < 5  # from the beginning, not 2:05
        await press(ui.window, Qt.Key.Key_Escape)
        await ui.player_vm.wait_closed()
        # Back on Details the label follows the newly saved position.
        await wait_until(lambda: play.property("text").startswith("▶  Resume from 0:0"), 5,
                         "new resume point")
        assert focused_name(ui.window) == "detailsPlayButton"
        ui.ports.play.positions.pop(1, None)
        await press(ui.window, Qt.Key.Key_Escape)

    run(ui.loop, scenario(), timeout=60)
