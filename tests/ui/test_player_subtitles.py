"""Subtitles from outside the file, with a remote only: "Load subtitle file…" walks folders
(OK enters/loads, Back goes up) and "Search OpenSubtitles…" (only with a key) lists
results from the local fake API and loads the chosen one into the real (shared) mpv."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt

from miauflix_desktop.services.subtitles.finder import MediaIds, SubtitleFinder
from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient
from miauflix_desktop.ui import file_browser
from miauflix_desktop.ui.file_browser import FileBrowser, list_dir
from tests.fakes.opensubtitles_server import API_KEY, FakeOpenSubtitles
from tests.fakes.yts_server import SERVER_ERROR
from tests.ui.conftest import UiHarness, run
from tests.ui.helpers import all_items, focused_name, item, press, visible_focus_items, wait_until

K = Qt.Key
SRT = "1\n00:00:00,000 --> 00:00:30,000\nA subtitle from a file\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    films = home / "Downloads" / "Films"
    films.mkdir(parents=True)
    (films / "clip.en.srt").write_text(SRT, encoding="utf-8")
    (films / "clip.nfo").write_text("not a subtitle")
    (home / "Downloads" / "zz.VTT").write_text("WEBVTT\n\n00:00.000 --> 00:30.000\nvtt\n")
    (home / "Downloads" / ".hidden.srt").write_text(SRT)
    (home / "Downloads" / "notes.txt").write_text("no")
    monkeypatch.setenv("HOME", str(home))
    return home


def _one_focus(ui: UiHarness) -> str:
    names = [i.objectName() for i in visible_focus_items(ui.window)]
    assert len(names) == 1, names
    return names[0]


async def _to_player_and_panel(ui: UiHarness) -> None:
    await wait_until(lambda: focused_name(ui.window).startswith("card_"), 10, "a card")
    await press(ui.window, K.Key_Return)
    await wait_until(lambda: focused_name(ui.window) == "detailsPlayButton", 5)
    await press(ui.window, K.Key_Return)
    await wait_until(lambda: ui.player.state.started, 10, "first frame")
    await press(ui.window, K.Key_Menu)
    assert item(ui.window, "tracksPanel").isVisible()
    await press(ui.window, K.Key_Right)


async def _press_until(ui: UiHarness, key: Qt.Key, name: str, limit: int = 12) -> None:
    for _ in range(limit):
        if _one_focus(ui) == name:
            return
        await press(ui.window, key)
    assert _one_focus(ui) == name


def _external_selected(ui: UiHarness) -> bool:
    return any(t.external and t.selected for t in ui.player.state.sub_tracks)


async def listed(browser: FileBrowser) -> None:
    await wait_until(lambda: not browser.property("loading"), 5, "listing")


def test_list_dir_filters_and_sorts(home: Path) -> None:
    listing = list_dir(home / "Downloads", (".srt", ".ass", ".ssa", ".vtt"))
    assert [(e.name, e.is_dir) for e in listing.entries] == [("Films", True),
                                                             ("zz.VTT", False)]
    assert not listing.truncated and listing.note() == ""


def test_a_big_folder_shows_the_first_entries_a_to_z(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap keeps the first names in list order (folders, then files, A to Z), not
    the first ones the file system happened to return, and the note says so truly."""
    for n in range(40):
        (tmp_path / f"file{(n * 7) % 40:02d}.SRT").write_text(SRT)
    for name in ("zeta", "Alpha", "mid"):
        (tmp_path / name).mkdir()
    (tmp_path / "other.txt").write_text("not listed, not counted")
    monkeypatch.setattr(file_browser, "MAX_ENTRIES", 10)
    listing = list_dir(tmp_path, (".srt",))
    assert [e.name for e in listing.entries] == [
        "Alpha", "mid", "zeta", *(f"file{n:02d}.SRT" for n in range(7))]
    assert listing.entries[3].size == len(SRT)
    assert listing.matched == 43 and listing.complete
    assert listing.note() == "Showing the first 10 of 43 entries (A to Z)"
    # A folder too big to read whole: reading stops, and the note does not claim A to Z
    # over the whole folder.
    monkeypatch.setattr(file_browser, "MAX_SCAN", 20)
    listing = list_dir(tmp_path, (".srt",))
    assert not listing.complete and len(listing.entries) <= 10
    assert listing.note() == ("Showing the first 10 entries (A to Z) of the 20 names "
                              "read; this folder has more")


def test_file_browser_reads_off_the_loop_and_keeps_the_listing_when_unreadable(
        home: Path, aloop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        browser = FileBrowser((".srt",))
        states: list[str] = []
        browser.stateChanged.connect(lambda: states.append(browser.property("emptyText")))
        browser.openAt(str(home / "Downloads"))
        # openAt returned before anything was read: the list says so meanwhile.
        assert browser.property("loading")
        assert browser.property("count") == 0
        assert browser.property("emptyText") == "Loading…"
        assert browser.property("note") == "Loading Downloads…"
        await listed(browser)
        assert "Loading…" in states
        assert browser.property("path") == str(home / "Downloads")
        assert browser.property("count") == 1  # Films/
        assert browser.property("note") == ""
        browser.openAt(str(home / "missing"))
        await listed(browser)
        assert browser.property("path") == str(home / "Downloads")
        assert "Cannot open missing" in browser.property("error")
        assert browser.property("count") == 1
        # Back while a folder is being read stops the reading and stays.
        browser.activate(0)
        assert browser.property("loading")
        assert browser.up() is True
        assert not browser.property("loading")
        await asyncio.sleep(0.2)
        assert browser.property("path") == str(home / "Downloads")
        await browser.aclose()

    run(aloop, scenario())


def test_file_browser_back_returns_through_visited_folders(
        home: Path, aloop: qasync.QEventLoop) -> None:
    """The Open torrent screen's mode: Back returns the way it came, then says "leave"."""
    async def scenario() -> None:
        browser = FileBrowser((".srt",), back_returns=True)
        browser.open_first([home / "Nope", home / "Downloads"])
        await listed(browser)
        assert browser.property("path") == str(home / "Downloads")
        assert browser.property("error") == ""  # a missing first choice is no error
        assert not browser.property("canGoBack")
        assert browser.openParent()  # the "‹ Parent folder" row
        await listed(browser)
        assert browser.property("path") == str(home)
        assert browser.property("focusRow") == browser.indexOf(str(home / "Downloads"))
        assert browser.up()  # Back: down to Downloads again, not up to home's parent
        await listed(browser)
        assert browser.property("path") == str(home / "Downloads")
        browser.activate(0)  # Films
        await listed(browser)
        assert browser.property("focusRow") == 0  # clip.en.srt
        assert browser.up()
        await listed(browser)
        assert browser.property("path") == str(home / "Downloads")
        assert browser.property("focusRow") == 0  # the Films folder we came from
        assert browser.up() is False  # the start folder: the screen is left
        await browser.aclose()

    run(aloop, scenario())


def test_load_subtitle_file_with_the_remote(ui: UiHarness, home: Path) -> None:
    async def scenario() -> None:
        await _to_player_and_panel(ui)
        await _press_until(ui, K.Key_Down, "subLoadFile")
        assert not [i for i in all_items(ui.window) if i.objectName() == "subSearchOnline"], \
            "no OpenSubtitles entry without a key"
        await press(ui.window, K.Key_Down)
        assert _one_focus(ui) == "subLoadFile"  # the last row

        await press(ui.window, K.Key_Return)
        files = item(ui.window, "subtitleFileList")
        assert files.isVisible()
        path = item(ui.window, "fileListPath")
        await wait_until(lambda: path.property("text") == str(home / "Downloads")
                         and focused_name(ui.window) == "fileEntry_Films/", 5, "listing")
        assert _one_focus(ui) == "fileEntry_Films/"
        names = {i.objectName() for i in all_items(ui.window) if i.isVisible()}
        assert "fileEntry_zz.VTT" in names
        assert not {"fileEntry_notes.txt", "fileEntry_.hidden.srt"} & names
        await press(ui.window, K.Key_Left)  # nothing to the side: stays in the list
        assert _one_focus(ui) == "fileEntry_Films/"

        # Back goes up a folder (focus on the folder we came from), OK goes in again.
        await press(ui.window, K.Key_Escape)
        await wait_until(lambda: path.property("text") == str(home)
                         and focused_name(ui.window) == "fileEntry_Downloads/", 5, "up")
        _one_focus(ui)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: focused_name(ui.window) == "fileEntry_Films/", 5, "in")
        _one_focus(ui)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: path.property("text") == str(home / "Downloads" / "Films")
                         and focused_name(ui.window) == "fileEntry_clip.en.srt", 5, "Films")
        assert _one_focus(ui) == "fileEntry_clip.en.srt"
        names = {i.objectName() for i in all_items(ui.window) if i.isVisible()}
        assert "fileEntry_clip.nfo" not in names

        # OK on the file: mpv loads it and shows it; the panel is back on the tracks.
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _external_selected(ui), 10, "external subtitles on")
        assert not files.isVisible()
        sub = next(t for t in ui.player.state.sub_tracks if t.external)
        await wait_until(lambda: focused_name(ui.window) == f"subTrack_{sub.id}", 5,
                         "focus on the new subtitles")
        _one_focus(ui)
        assert ui.player.mpv.sid == sub.id
        assert item(ui.window, "subtitleMessage").property("text") == "Loaded clip.en.srt"

        # Back closes the panel; Back again leaves the player.
        await press(ui.window, K.Key_Escape)
        assert not item(ui.window, "tracksPanel").isVisible()
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await ui.player_vm.wait_closed()

    run(ui.loop, scenario(), timeout=60)


@pytest.fixture
def online(ui: UiHarness, tmp_path: Path) -> Iterator[tuple[FakeOpenSubtitles, Path]]:
    fake = FakeOpenSubtitles()
    run(ui.loop, fake.start())
    client = OpenSubtitlesClient(API_KEY, base_url=fake.base_url, rate_per_second=50,
                                 backoff_s=0.01, timeout_s=2.0, max_retries=1)

    async def ids(_media_id: int) -> MediaIds:
        return MediaIds(imdb_id="tt1727587", tmdb_id=45745)

    cache = tmp_path / "cache"
    subs = ui.player_vm.property("subtitles")
    subs.use_search(SubtitleFinder(lambda: client, ids, cache, languages=lambda: ["de", "en"]))
    try:
        yield fake, cache
    finally:
        subs.use_search(None)
        run(ui.loop, client.aclose())
        run(ui.loop, fake.stop())


def test_search_opensubtitles_with_the_remote(ui: UiHarness,
                                              online: tuple[FakeOpenSubtitles, Path]) -> None:
    fake, cache = online

    async def scenario() -> None:
        await _to_player_and_panel(ui)
        await _press_until(ui, K.Key_Down, "subSearchOnline")

        # A failing API: one clear line, focus on "‹ Back to tracks", nothing breaks.
        fake.fail(SERVER_ERROR, "/api/v1/subtitles")
        await press(ui.window, K.Key_Return)
        status = item(ui.window, "onlineStatus")
        await wait_until(lambda: "not answering" in status.property("text"), 10, "error")
        assert _one_focus(ui) == "onlineBack"
        await press(ui.window, K.Key_Escape)
        assert _one_focus(ui) == "subSearchOnline"
        fake.clear_failures()

        # Results: German first (preferred), with release and downloads.
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: focused_name(ui.window) == "onlineResult_0", 10, "results")
        _one_focus(ui)
        first = item(ui.window, "onlineResult_0")
        assert first.property("text") == "Deutsch  ·  Sintel.2010.1080p.BluRay.x264"
        assert first.property("detail") == "2 210 downloads"
        second = item(ui.window, "onlineResult_1")
        assert second.property("text").startswith("English")
        await press(ui.window, K.Key_Down)
        assert _one_focus(ui) == "onlineResult_1"
        await press(ui.window, K.Key_Up)
        await press(ui.window, K.Key_Return)
        await wait_until(lambda: _external_selected(ui), 10, "downloaded subtitles on")
        files = list(cache.iterdir())
        assert len(files) == 1 and "Diese Klinge" in files[0].read_text()
        assert fake.download_bodies == [{"file_id": 7003}]
        sub = next(t for t in ui.player.state.sub_tracks if t.external)
        await wait_until(lambda: focused_name(ui.window) == f"subTrack_{sub.id}", 5,
                         "focus on the new subtitles")
        _one_focus(ui)

        await press(ui.window, K.Key_Escape)
        await press(ui.window, K.Key_Escape)
        assert ui.app.property("screen") == "details"
        await ui.player_vm.wait_closed()

    run(ui.loop, scenario(), timeout=60)


def test_unreadable_folder_message(home: Path, aloop: qasync.QEventLoop) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = home / "Downloads" / "Locked"
    locked.mkdir()
    locked.chmod(0)

    async def scenario() -> None:
        browser = FileBrowser((".srt",))
        browser.openAt(str(home / "Downloads"))
        await listed(browser)
        browser.activate(browser.indexOf(str(locked)))
        await listed(browser)
        assert "Cannot open Locked" in browser.property("error")
        assert browser.property("path") == str(home / "Downloads")
        await browser.aclose()

    try:
        run(aloop, scenario())
    finally:
        locked.chmod(0o700)
