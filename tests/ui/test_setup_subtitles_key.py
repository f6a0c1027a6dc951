"""The Setup screen's OpenSubtitles key, view model over the real services: the key is
checked against the fake OpenSubtitles API on 127.0.0.1 (real httpx client, real aiohttp
server), stored in a real file-backed SecretStore, and the player's subtitle search (the
same runtime and finder the container builds) offers itself from the next title on
without a restart. Rejected keys, a 503 HTML page and a hanging API each get a clear
message and leave what was stored untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync

from miauflix_desktop.config.secrets import SecretStore
from miauflix_desktop.services.subtitles.finder import OpenSubtitlesRuntime, SubtitleFinder
from miauflix_desktop.services.subtitles.ids import MediaIds
from miauflix_desktop.services.subtitles.keys import (
    OpenSubtitlesKeys,
    store_opensubtitles_key,
    stored_opensubtitles_key,
)
from miauflix_desktop.services.subtitles.opensubtitles import OpenSubtitlesClient
from miauflix_desktop.ui.setup import SetupViewModel
from tests.fakes.opensubtitles_server import API_KEY, FakeOpenSubtitles, running_fake_opensubtitles
from tests.fakes.yts_server import HANG, HTML_ERROR
from tests.ui.conftest import run
from tests.ui.fakes import FakeSetup
from tests.ui.helpers import wait_until

pytestmark = pytest.mark.timeout(60)


class Stack:
    """One fake API, the secret store, the key port, the view model and the finder."""

    def __init__(self, fake: FakeOpenSubtitles, root: Path) -> None:
        self.fake = fake
        self.secrets_dir = root / "secrets"
        self.secrets = SecretStore(self.secrets_dir, use_keyring=False)

        def make(key: str) -> OpenSubtitlesClient:
            # As the container's: one retry; short timeouts so the hang test is quick.
            return OpenSubtitlesClient(key, base_url=fake.base_url, max_retries=1,
                                       timeout_s=0.5, backoff_s=0.01, rate_per_second=50)

        self.keys = OpenSubtitlesKeys(self.secrets, make)
        self.vm = SetupViewModel(FakeSetup(), subtitles_key=self.keys)
        self.saved: list[bool] = []
        self.removed: list[bool] = []
        self.vm.subtitlesKeySaved.connect(lambda: self.saved.append(True))
        self.vm.subtitlesKeyRemoved.connect(lambda: self.removed.append(True))
        self.runtime = OpenSubtitlesRuntime(lambda: stored_opensubtitles_key(self.secrets),
                                            make)

        async def no_ids(_media_id: int) -> MediaIds:
            return MediaIds(imdb_id="tt1727587")

        self.finder = SubtitleFinder(lambda: self.runtime.client, no_ids, root / "subs",
                                     languages=lambda: ["en"])

    def prop(self, name: str) -> object:
        return self.vm.property(name)

    async def submit(self, key: str) -> str:
        self.vm.checkAndSaveSubtitlesKey(key)
        await wait_until(lambda: not self.prop("subtitlesBusy"), 10, "check finished")
        return str(self.prop("subtitlesMessage"))

    def key_checks(self) -> int:
        return self.fake.count("/api/v1/infos/formats")

    async def aclose(self) -> None:
        await self.vm.aclose()
        await self.runtime.stop()


@pytest.fixture
def stack(aloop: qasync.QEventLoop, tmp_path: Path) -> Iterator[Stack]:
    manager = running_fake_opensubtitles(hang_seconds=3.0)
    fake = run(aloop, manager.__aenter__())
    made = Stack(fake, tmp_path)
    yield made
    run(aloop, made.aclose())
    run(aloop, manager.__aexit__(None, None, None))


def test_good_key_is_checked_stored_and_search_appears_without_restart(
        aloop: qasync.QEventLoop, stack: Stack) -> None:
    async def scenario() -> None:
        assert stack.prop("subtitlesAvailable")
        assert not stack.prop("subtitlesKeyStored")
        assert not stack.finder.available()  # no key: the Tracks panel hides the entry

        message = await stack.submit(f"  {API_KEY} ")
        assert "saved" in message, message
        assert not stack.prop("subtitlesIsError")
        assert stack.prop("subtitlesKeyStored")
        assert stack.saved == [True]
        assert stack.key_checks() == 1
        assert stack.fake.headers[-1]["Api-Key"] == API_KEY
        # Stored in the secret store (trimmed), read back by a fresh store like a restart.
        assert stored_opensubtitles_key(
            SecretStore(stack.secrets_dir, use_keyring=False)) == API_KEY

        # The running app's finder sees the key at its next availability check (the
        # Tracks panel asks on every new title) and its search works with it.
        assert stack.finder.available()
        results = await stack.finder.search(1, None, "Sintel")
        assert results and results[0].language == "en"

        stack.vm.removeSubtitlesKey()
        await wait_until(lambda: not stack.prop("subtitlesKeyStored"), 5, "removed")
        assert "removed" in str(stack.prop("subtitlesMessage"))
        assert stack.removed == [True]
        assert stored_opensubtitles_key(stack.secrets) == ""
        assert not stack.finder.available()

    run(aloop, scenario())


@pytest.mark.parametrize("mode, expected", [
    ("rejected", "OpenSubtitles rejected this key"),
    (HTML_ERROR, "OpenSubtitles is not answering"),
    (HANG, "OpenSubtitles did not answer in time"),
])
def test_failed_check_says_why_and_keeps_the_stored_key(
        aloop: qasync.QEventLoop, stack: Stack, mode: str, expected: str) -> None:
    store_opensubtitles_key(stack.secrets, "the-old-key")
    stack.vm.refreshSubtitlesKey()
    key = "not-the-right-key" if mode == "rejected" else API_KEY
    if mode != "rejected":
        stack.fake.fail(mode, "/api/v1/infos/*")

    async def scenario() -> None:
        assert stack.prop("subtitlesKeyStored")
        message = await stack.submit(key)
        assert expected in message, message
        assert stack.prop("subtitlesIsError")
        if mode != "rejected":
            assert "not saved" in message, message
        assert stack.saved == []
        # Nothing stored is lost: the previous key stays and search stays offered.
        assert stored_opensubtitles_key(stack.secrets) == "the-old-key"
        assert stack.prop("subtitlesKeyStored")
        # One retry for a server error or a timeout, none for a rejection.
        assert stack.key_checks() == (1 if mode == "rejected" else 2)

    run(aloop, scenario())


@pytest.mark.parametrize("key, expected", [
    ("   ", "Enter an OpenSubtitles API key first"),
    ("two words", "does not look like an OpenSubtitles API key"),
])
def test_empty_or_malformed_key_is_refused_without_asking(
        aloop: qasync.QEventLoop, stack: Stack, key: str, expected: str) -> None:
    async def scenario() -> None:
        stack.vm.checkAndSaveSubtitlesKey(key)
        await wait_until(lambda: bool(stack.prop("subtitlesMessage")), 5, "a message")
        await wait_until(lambda: not stack.prop("subtitlesBusy"), 5, "idle")
        assert expected in str(stack.prop("subtitlesMessage"))
        assert stack.prop("subtitlesIsError")
        assert stack.key_checks() == 0
        assert stored_opensubtitles_key(stack.secrets) == ""

    run(aloop, scenario())


def test_without_a_key_port_the_step_is_not_offered(aloop: qasync.QEventLoop) -> None:
    vm = SetupViewModel(FakeSetup())
    assert not vm.property("subtitlesAvailable")
    assert not vm.property("subtitlesKeyStored")
    vm.checkAndSaveSubtitlesKey(API_KEY)  # nothing to store into: ignored
    assert not vm.property("subtitlesBusy")
    run(aloop, vm.aclose())
