"""Download for later through the real QML shell, remote keys only: Details' Download
button (marks, refusal message, two-step removal), the Downloads screen (progress rows,
OK plays a finished one, Remove asks first), and polling only while the screen shows."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt

from miauflix_desktop.core.downloads import FAILED, DownloadItem
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import focused_name, item, press, visible_focus_items, wait_until

K = Qt.Key
REFUSAL = "Needs 4.2 GB, 1.1 GB free in the 20 GB download cache."


async def _home_ready(ui: UiHarness) -> None:
    await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a focused card")


async def _open_downloads(ui: UiHarness) -> None:
    await press(ui.window, K.Key_Menu)
    await wait_until(lambda: focused_name(ui.window).startswith("menu_"), 3, "menu focus")
    while focused_name(ui.window) != "menu_downloads":
        await press(ui.window, K.Key_Down)
    await press(ui.window, K.Key_Return)
    await wait_until(lambda: ui.app.property("screen") == "downloads", 3, "downloads")


def _one_focus_on(ui: UiHarness, name: str) -> bool:
    return (focused_name(ui.window) == name
            and [i.objectName() for i in visible_focus_items(ui.window)] == [name])


async def _to_download_button(ui: UiHarness) -> None:
    await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5,
                     f"play button, not {focused_name(ui.window)}")
    await wait_until(lambda: ui.details.property("sourceCount") > 0, 5, "sources")
    await press(ui.window, K.Key_Right)
    assert focused_name(ui.window) == "detailsSourcesButton"
    await press(ui.window, K.Key_Right)
    await wait_until(lambda: _one_focus_on(ui, "detailsDownloadButton"), 3, "download button")


def test_download_from_details_then_play_and_remove_on_downloads(ui: UiHarness) -> None:
    fake = ui.downloads
    assert fake is not None

    async def scenario() -> None:
        await _home_ready(ui)
        await press(ui.window, K.Key_Right)
        await press(ui.window, K.Key_Return)  # Test Pattern (media 2)
        await _to_download_button(ui)
        button = item(ui.window, "detailsDownloadButton")
        notice = item(ui.window, "detailsDownloadNotice")
        assert button.property("text") == "Download"
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: button.property("text") == "Remove download", 3, "marked")
        assert fake.is_marked(2)
        assert notice.property("text").startswith("Downloading in the background")
        # Removing from Details takes a second OK; moving away forgets the first.
        await press(ui.window, K.Key_Return)
        assert button.property("text") == "Press OK again to delete it"
        await press(ui.window, K.Key_Left)
        await press(ui.window, K.Key_Right)
        assert button.property("text") == "Remove download" and fake.is_marked(2)

        # A film that does not fit: the refusal is on screen, nothing is marked.
        await press(ui.window, K.Key_Escape)
        await _home_ready(ui)
        # Details fully gone (its fade ends) before another title opens on it.
        await wait_until(lambda: not item(ui.window, "detailsView").isVisible(), 3)
        await press(ui.window, K.Key_Right)
        await press(ui.window, K.Key_Return)  # media 3
        await wait_until(lambda: ui.details.property("mediaId") == 3, 5)
        fake.refuse[3] = REFUSAL
        await _to_download_button(ui)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: notice.property("text") == REFUSAL, 3, "refusal")
        assert not fake.is_marked(3) and button.property("text") == "Download"

        # The Downloads screen: one row, queued, focused.
        await _open_downloads(ui)
        vm = ui.app.property("downloads")
        rows = vm.property("rows")
        await wait_until(lambda: rows.rowCount() == 1, 3, "one row")
        await wait_until(lambda: _one_focus_on(ui, "download_0"), 3, "row focus")
        assert rows.row(0)["title"] == "Test Pattern"
        assert rows.row(0)["stateText"] == "Queued" and not rows.row(0)["canPlay"]
        # OK on one with nothing on disk says so instead of playing.
        await press(ui.window, K.Key_Return)
        assert ui.app.property("screen") == "downloads"
        assert "not far enough along" in item(ui.window, "downloadsNotice").property("text")
        # It finishes: the next refresh (about a second) shows it, OK plays that source.
        fake.finish(2)
        await wait_until(lambda: rows.row(0)["state"] == "done", 3, "refreshed")
        assert rows.row(0)["canPlay"] and rows.row(0)["sizeText"] == "2.1 GB"
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: ui.app.property("screen") == "player", 3, "player")
        assert ui.ports.play.opened[-1] == (2, 21)
        await wait_until(lambda: ui.player.state.started, 10, "first frame")
        await press(ui.window, K.Key_Escape)
        await wait_until(lambda: ui.app.property("screen") == "downloads", 5)
        await ui.player_vm.wait_closed()
        await wait_until(lambda: _one_focus_on(ui, "download_0"), 3, "back on the row")

        # Remove: Right reaches the button, OK asks; Keep (focused) and Back both keep.
        await press(ui.window, K.Key_Right)
        assert _one_focus_on(ui, "downloadRemove_0")
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _one_focus_on(ui, "downloadsKeepButton"), 3, "asked")
        assert "Test Pattern" in item(ui.window, "downloadsConfirmText").property("text")
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "downloads" and not vm.property("confirming")
        # Focus goes back where it was: the row's Remove button.
        await wait_until(lambda: _one_focus_on(ui, "downloadRemove_0"), 3, "kept")
        await press(ui.window, K.Key_Return)
        await press(ui.window, K.Key_Return)  # Keep
        assert fake.unmarked == [] and rows.rowCount() == 1
        await wait_until(lambda: _one_focus_on(ui, "downloadRemove_0"), 3, "kept again")
        await press(ui.window, K.Key_Return)
        await press(ui.window, K.Key_Right)
        assert _one_focus_on(ui, "downloadsRemoveButton")
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: rows.rowCount() == 0, 3, "removed")
        assert fake.unmarked == [2]
        assert item(ui.window, "downloadsEmpty").isVisible()
        assert "Removed “Test Pattern”" in item(ui.window, "downloadsNotice").property("text")

        # Polls about once a second while shown, never while hidden.
        before = fake.polls
        await asyncio.sleep(1.3)
        assert fake.polls > before
        await press(ui.window, K.Key_Escape)
        await _home_ready(ui)
        await wait_until(lambda: not item(ui.window, "downloadsView").isVisible(), 3)
        hidden = fake.polls
        await asyncio.sleep(1.3)
        assert fake.polls == hidden

    run(ui.loop, scenario(), timeout=60)


def test_downloads_rows_show_progress_speed_and_pause_reason(ui: UiHarness) -> None:
    assert ui.downloads is not None
    ui.downloads.sample()

    async def scenario() -> None:
        await _home_ready(ui)
        await _open_downloads(ui)
        rows = ui.app.property("downloads").property("rows")
        await wait_until(lambda: rows.rowCount() == 3, 3, "three rows")
        done, running, paused = (rows.row(i) for i in range(3))
        assert (done["stateText"], done["sizeText"], done["canPlay"]) == (
            "Downloaded", "1.4 GB", True)
        assert running["sizeText"] == "0.9 GB of 2.1 GB"
        assert running["speedText"] == "3.2 MB/s · 14 peers · 6 min left"
        assert running["percentText"] == "43 %" and running["canPlay"]
        assert paused["stateText"] == "Paused" and "VPN" in paused["error"]
        # Down/Up move one focus through the rows; Right/Left between row and Remove.
        await wait_until(lambda: _one_focus_on(ui, "download_0"), 3)
        await press(ui.window, K.Key_Down)
        assert _one_focus_on(ui, "download_1")
        await press(ui.window, K.Key_Right)
        assert _one_focus_on(ui, "downloadRemove_1")
        await press(ui.window, K.Key_Down)
        assert _one_focus_on(ui, "download_2")
        await press(ui.window, K.Key_MediaTogglePlayPause)  # harmless here
        assert ui.app.property("screen") == "downloads"
        await press(ui.window, K.Key_Escape)
        await _home_ready(ui)

    run(ui.loop, scenario(), timeout=30)


def test_ok_on_a_failed_download_retries_it(ui: UiHarness) -> None:
    fake = ui.downloads
    assert fake is not None
    fake.marks = {1: DownloadItem(1, "Big Colors", FAILED, 0, 0,
                                  error="The source cannot be opened: no metadata",
                                  source_id=11)}

    async def scenario() -> None:
        await _home_ready(ui)
        await _open_downloads(ui)
        rows = ui.app.property("downloads").property("rows")
        await wait_until(lambda: rows.rowCount() == 1, 3, "one row")
        assert rows.row(0)["stateText"] == "Failed" and not rows.row(0)["canPlay"]
        assert "no metadata" in rows.row(0)["error"]
        await wait_until(lambda: _one_focus_on(ui, "download_0"), 3)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: rows.row(0)["state"] == "queued", 3, "retried")
        assert ui.app.property("screen") == "downloads"
        assert item(ui.window, "downloadsNotice").property("text") == (
            "Trying “Big Colors” again.")
        await press(ui.window, K.Key_Escape)
        await _home_ready(ui)

    run(ui.loop, scenario(), timeout=30)


def test_remove_download_is_reachable_when_its_source_is_gone(ui: UiHarness) -> None:
    """A marked film whose only source a resync dropped has no Sources button; Right from
    Play must still reach "Remove download" (that is when people want to remove it)."""
    fake = ui.downloads
    assert fake is not None
    fake.marks = {2: DownloadItem(2, "Test Pattern", FAILED, 0, 0,
                                  error="The source of this download is gone",
                                  source_id=21)}
    ui.ports.play.no_sources = {2}

    async def scenario() -> None:
        try:
            await _home_ready(ui)
            await press(ui.window, K.Key_Right)
            await press(ui.window, K.Key_Return)  # Test Pattern (media 2)
            await wait_until(lambda: ui.details.property("mediaId") == 2, 5)
            await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
            assert not item(ui.window, "detailsSourcesButton").isVisible()
            await wait_until(lambda: item(ui.window, "detailsDownloadButton").isVisible(), 5,
                             "download button shown for the marked film")
            await press(ui.window, K.Key_Right)
            await wait_until(lambda: _one_focus_on(ui, "detailsDownloadButton"), 3,
                             f"download button, not {focused_name(ui.window)}")
            assert item(ui.window, "detailsDownloadButton").property("text") == (
                "Remove download")
            await press(ui.window, K.Key_Escape)
            await _home_ready(ui)
        finally:
            ui.ports.play.no_sources = set()

    run(ui.loop, scenario(), timeout=30)
