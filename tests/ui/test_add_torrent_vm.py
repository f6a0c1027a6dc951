"""AddTorrentViewModel over the real services: a pasted magnet (metadata from a libtorrent
seeder on 127.0.0.1), a typed info hash and a .torrent picked from the folder list each
end up as a film whose stream URL serves the seeded bytes; bad input gets a clear message
and leaves no row behind."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp
import pytest
import qasync
from PySide6.QtGui import QGuiApplication
from sqlalchemy import func, select

from miauflix_desktop.core.adhoc import TorrentLimits
from miauflix_desktop.core.media import size_text
from miauflix_desktop.services.storage.models import Movie, MovieSource
from miauflix_desktop.ui.add_torrent import FETCHING, OFFLINE, AddTorrentViewModel
from miauflix_desktop.ui.file_browser import FileBrowser
from tests.ui.adhoc_stack import CLIP_TITLE, AdhocStack, Seeded
from tests.ui.conftest import run
from tests.ui.helpers import wait_until

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def stack(adhoc_stack: AdhocStack) -> AdhocStack:
    """The session's real services (tests/ui/conftest.py), shared with the UI tests."""
    return adhoc_stack


class Recorder:
    """Every message the view model showed, and the titles it handed to Details."""

    def __init__(self, vm: AddTorrentViewModel) -> None:
        self.vm = vm
        self.messages: list[str] = []
        self.ready: list[int] = []
        vm.stateChanged.connect(self._state)
        vm.titleReady.connect(self.ready.append)

    def _state(self) -> None:
        text = self.vm.property("message")
        if text and (not self.messages or self.messages[-1] != text):
            self.messages.append(text)

    async def settled(self, timeout: float = 20) -> str:
        await wait_until(lambda: not self.vm.property("busy"), timeout, "add finished")
        return str(self.vm.property("message"))


def movie_count(stack: AdhocStack) -> int:
    with stack.database.session() as s:
        return int(s.scalar(select(func.count()).select_from(Movie)) or 0)


def new_vm(stack: AdhocStack, **kwargs) -> AddTorrentViewModel:
    kwargs.setdefault("peers", stack.peers)
    kwargs.setdefault("timeout_s", 20)
    return AddTorrentViewModel(stack.adhoc, **kwargs)


async def listed(files: FileBrowser) -> None:
    await wait_until(lambda: not files.property("loading"), 5, "folder listed")


def rows(files: FileBrowser) -> list[str]:
    return [e["name"] for e in files.property("entries")]


async def assert_playable(stack: AdhocStack, media_id: int, seeded: Seeded,
                          title: str = CLIP_TITLE) -> None:
    """The film plays like any other: StreamService.open -> the stream URL's bytes."""
    item = await stack.library.get(media_id)
    assert item.title == title
    target = await stack.streams.open(media_id)
    async with aiohttp.ClientSession() as http:
        async with http.get(target.url, headers={"Range": "bytes=0-65535"}) as resp:
            assert resp.status == 206
            assert await resp.read() == seeded.data[:65536]
        async with http.get(target.url) as resp:
            assert resp.status == 200
            assert await resp.read() == seeded.data


def test_a_pasted_magnet_becomes_a_playable_title(stack: AdhocStack, media_dir: Path,
                                                  aloop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        seeded = await stack.seed_clip(media_dir)
        vm = new_vm(stack)
        rec = Recorder(vm)
        before = movie_count(stack)
        QGuiApplication.clipboard().setText("\n  " + seeded.magnet() + "  \n")
        vm.paste()
        assert vm.property("busy")
        await wait_until(lambda: rec.ready, 20, "title ready")
        assert await rec.settled() == f"Added “{CLIP_TITLE}”."
        assert FETCHING in rec.messages, rec.messages
        assert not vm.property("error")
        assert vm.property("text") == ""  # ready for the next one
        assert movie_count(stack) == before + 1
        with stack.database.session() as s:
            source = s.scalar(select(MovieSource).where(MovieSource.hash == seeded.info_hash))
            assert source is not None and source.movie_id == rec.ready[0]
            assert source.source == "adhoc" and source.file is not None  # metadata kept
        await assert_playable(stack, rec.ready[0], seeded)
        await vm.aclose()

    run(aloop, scenario(), timeout=90)


def test_a_typed_info_hash_is_enough(stack: AdhocStack, media_dir: Path,
                                     aloop: qasync.QEventLoop) -> None:
    """The on-screen keyboard types a-z/0-9 only: the bare hash becomes a magnet."""
    async def scenario() -> None:
        seeded = await stack.seed_clip(media_dir, "Another.Clip.2021.1080p.mkv", variant=2)
        vm = new_vm(stack)
        rec = Recorder(vm)
        vm.typeText(seeded.info_hash)
        vm.submit()
        await wait_until(lambda: rec.ready, 20, "title ready")
        assert await rec.settled() == "Added “Another Clip”."
        item = await stack.library.get(rec.ready[0])
        assert item.title == "Another Clip"
        target = await stack.streams.open(rec.ready[0])
        async with aiohttp.ClientSession() as http, http.get(target.url) as resp:
            assert await resp.read() == seeded.data
        await vm.aclose()

    run(aloop, scenario(), timeout=90)


def test_a_torrent_file_chosen_in_the_folder_list(stack: AdhocStack, media_dir: Path,
                                                  tmp_path: Path,
                                                  aloop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        seeded = await stack.seed_clip(media_dir, "Chosen.File.Clip.2019.720p.mp4",
                                       variant=3)
        start = tmp_path / "Downloads"
        sub = start / "Films"
        sub.mkdir(parents=True)
        (sub / "clip.TORRENT").write_bytes(seeded.torrent)
        (sub / "notes.txt").write_text("not listed")
        (sub / ".hidden.torrent").write_bytes(seeded.torrent)
        (start / "zzz.torrent").write_bytes(b"x")
        vm = new_vm(stack, folder=start)
        rec = Recorder(vm)
        files = vm.property("files")
        # Nothing is read while the window is built: the first listing comes when the
        # screen is shown, and off the GUI thread (refresh returns before it).
        assert files.property("path") == "" and not files.property("loading")
        vm.refresh()
        assert files.property("loading")
        await listed(files)
        assert rows(files) == ["Films/", "zzz.torrent"]
        assert files.property("entries")[1]["detail"] == "1 kB"  # one size format
        assert not files.property("canGoBack")
        files.activate(0)  # OK on "Films"
        await listed(files)
        assert files.property("path").endswith("Downloads/Films")
        assert files.property("canGoBack")
        assert rows(files) == ["clip.TORRENT"]
        assert files.property("entries")[0]["detail"] == size_text(len(seeded.torrent))
        files.activate(0)  # OK on the .torrent
        await wait_until(lambda: rec.ready, 20, "title ready")
        assert await rec.settled() == "Added “Chosen File Clip”."
        assert FETCHING not in rec.messages  # a file has its metadata: nothing to fetch
        await assert_playable(stack, rec.ready[0], seeded, "Chosen File Clip")
        # Back returns through the folders visited, then says "leave the screen".
        assert files.up() is True
        await listed(files)
        assert files.property("path").endswith("Downloads")
        assert files.up() is False
        # The parent row goes above the start folder; Back comes down again.
        assert files.openParent()
        await listed(files)
        assert files.property("path") == str(tmp_path)
        assert files.up() is True
        await listed(files)
        assert files.property("path").endswith("Downloads")
        await vm.aclose()

    run(aloop, scenario(), timeout=90)


def test_bad_input_gets_clear_messages_and_stores_nothing(stack: AdhocStack, tmp_path: Path,
                                                          aloop: qasync.QEventLoop) -> None:
    from miauflix_desktop.services.torrent.metainfo import make_torrent

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a-garbled.torrent").write_bytes(os.urandom(3000))
    (folder / "b-huge.torrent").write_bytes(b"d4:info" + b"x" * 5000)
    text = tmp_path / "readme.txt"
    text.write_bytes(os.urandom(40_000))
    (folder / "c-no-video.torrent").write_bytes(make_torrent(text))
    (folder / "d-empty.torrent").write_bytes(b"")

    async def scenario() -> None:
        before = movie_count(stack)
        vm = new_vm(stack, folder=folder, limits=TorrentLimits(max_metadata_bytes=4096))
        rec = Recorder(vm)

        files = vm.property("files")
        vm.refresh()
        await listed(files)

        async def message_for(text: str | None = None, entry: int | None = None) -> str:
            if entry is not None:
                files.activate(entry)
            else:
                vm.clear()
                vm.typeText(text or "")
                vm.submit()
            message = await rec.settled()
            assert vm.property("error"), message
            assert "Traceback" not in message
            return message

        assert await message_for("") == \
            "Type or paste a magnet link first, or pick a .torrent file."
        assert (await message_for("magnet:?xt=urn:btih:1234")).startswith(
            "That magnet link cannot be used: bad info hash '1234'")
        assert await message_for("magnet:?dn=Some.Film") == \
            "That magnet link cannot be used: magnet link has no info hash (xt=urn:btih:...)."
        assert (await message_for("https://example.invalid/x.torrent")).startswith(
            "Web links are not opened here")
        assert (await message_for("hello there")).startswith(
            "That is neither a magnet link (it starts with “magnet:?”), an info hash")
        assert await message_for(str(folder)) == "That is a folder, not a .torrent file."
        assert rows(files) == ["a-garbled.torrent", "b-huge.torrent", "c-no-video.torrent",
                               "d-empty.torrent"]
        assert await message_for(entry=0) == \
            "That file is not a usable .torrent: it is damaged or not a torrent file."
        assert await message_for(entry=1) == \
            "That .torrent is too large (over 4 kB): not a usable torrent."
        assert await message_for(entry=2) == "That torrent has no video file to play."
        assert await message_for(entry=3) == \
            "That file is not a usable .torrent: it is damaged or not a torrent file."
        # A file that exists but fails to read (EIO) — root reads any chmod-0 file.
        assert (await message_for("/proc/self/mem")).startswith(
            "That file cannot be read: Input/output error")
        if os.geteuid() != 0:
            locked = folder / "e-locked.torrent"
            locked.write_bytes(b"d4:infod")
            locked.chmod(0)
            vm.refresh()  # shown again: the folder is read again
            await listed(files)
            index = rows(files).index("e-locked.torrent")
            assert (await message_for(entry=index)).startswith("That file cannot be read:")
        # Another folder: the message about a file in this one goes.
        assert vm.property("message")
        files.openParent()
        await listed(files)
        assert vm.property("message") == "" and not vm.property("error")
        QGuiApplication.clipboard().clear()
        vm.paste()
        assert vm.property("message") == "The clipboard is empty: copy a magnet link first."
        assert movie_count(stack) == before
        await vm.aclose()

    run(aloop, scenario())


def test_a_magnet_nobody_seeds_times_out_and_leaves_no_row(stack: AdhocStack,
                                                           aloop: qasync.QEventLoop) -> None:
    nobody = "5eed" * 10

    async def scenario() -> None:
        before = movie_count(stack)
        # As in a run with a TMDB key (the engine reaches the internet)...
        vm = new_vm(stack, timeout_s=1.5, offline=False)
        assert vm.property("offlineNote") == ""
        rec = Recorder(vm)
        vm.typeText(f"magnet:?xt=urn:btih:{nobody}&dn=Nobody.Seeds.This.2020")
        vm.submit()
        message = await rec.settled(10)
        assert message == ("No peer sent the torrent's details within 1.5 s. It may have "
                           "no seeders right now; try again later.")
        assert vm.property("error")
        assert FETCHING in rec.messages
        assert rec.ready == []
        assert movie_count(stack) == before  # no "Nobody Seeds This" film left behind
        assert stack.engine.get(nobody) is None
        await vm.aclose()
        # ...and as in a run without one: the engine is isolated, the screen says so.
        offline = new_vm(stack, timeout_s=0.5)
        assert offline.property("offlineNote") == OFFLINE
        offline.typeText(nobody)
        offline.submit()
        assert await Recorder(offline).settled(10) == \
            f"No peer sent the torrent's details within 0.5 s. {OFFLINE}"
        await offline.aclose()

    run(aloop, scenario())


def test_a_magnet_without_video_is_refused_after_its_metadata(stack: AdhocStack,
                                                              tmp_path: Path,
                                                              aloop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        content = tmp_path / "docs"
        content.mkdir()
        (content / "Manual.pdf").write_bytes(os.urandom(300_000))
        seeded = await stack.seed_file(content / "Manual.pdf")
        before = movie_count(stack)
        vm = new_vm(stack)
        rec = Recorder(vm)
        vm.typeText(seeded.magnet("Manual"))
        vm.submit()
        assert await rec.settled() == "That torrent has no video file to play."
        assert rec.ready == []
        assert movie_count(stack) == before
        assert stack.engine.get(seeded.info_hash) is None
        await vm.aclose()

    run(aloop, scenario())


def test_leaving_while_fetching_cancels(stack: AdhocStack, aloop: qasync.QEventLoop) -> None:
    nobody = "c0ffee" * 6 + "beef"

    async def scenario() -> None:
        before = movie_count(stack)
        vm = new_vm(stack, timeout_s=30)
        rec = Recorder(vm)
        vm.typeText(f"magnet:?xt=urn:btih:{nobody}")
        vm.submit()
        await wait_until(lambda: stack.engine.get(nobody) is not None, 5, "fetching")
        vm.cancel()
        assert not vm.property("busy")
        assert vm.property("message") == "Cancelled."
        await wait_until(lambda: stack.engine.get(nobody) is None, 5, "removed from engine")
        await wait_until(lambda: movie_count(stack) == before, 5, "rows removed")
        assert rec.ready == []
        await vm.aclose()

    run(aloop, scenario())
