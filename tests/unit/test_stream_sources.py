"""The sources a title lists on Details, read from a real SQLite file, best first."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from miauflix_desktop.core.errors import StreamError
from miauflix_desktop.core.media import source_detail, source_label
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import MovieSource
from miauflix_desktop.services.storage.repositories import MovieRepository
from miauflix_desktop.services.streaming.service import StreamService
from miauflix_desktop.services.streaming.tokens import TokenSigner


@pytest.fixture
def repo(tmp_path):
    db = Database(tmp_path / "m.sqlite3")
    db.open()
    yield MovieRepository(db), db
    db.close()


async def test_sources_best_first_with_their_facts(repo) -> None:
    movies, db = repo
    film = movies.upsert_demo(-1000, "A", "", 2024, 90, "", "")
    other = movies.upsert_demo(-1001, "B", "", 2024, 90, "", "")
    low = movies.upsert_source(film, "aa" * 20, b"x", 700_000_000, "yts", "720p", "x264")
    high = movies.upsert_source(film, "bb" * 20, b"x", 2_100_000_000, "yts", "1080p", "x265")
    foreign = movies.upsert_source(other, "cc" * 20, b"x", 1, "demo")
    with db.session() as s, s.begin():
        s.execute(update(MovieSource).where(MovieSource.id == high)
                  .values(streaming_score=9000, broadcasters=230, watchers=12))
        s.execute(update(MovieSource).where(MovieSource.id == low)
                  .values(streaming_score=4000, broadcasters=1, watchers=None))

    # Sources listing needs no torrent engine; open() fails before it would use one.
    service = StreamService(movies, engine=None, signer=TokenSigner(b"k" * 32),  # type: ignore[arg-type]
                            base_url=lambda: "http://127.0.0.1:1", token_ttl=60)
    found = await service.sources(film)
    assert [s.id for s in found] == [high, low]
    assert source_label(found[0]) == "1080p · x265 · 2.1 GB"
    assert source_detail(found[0]) == "YTS · 230 seeds / 12 peers"
    assert source_detail(found[1]) == "YTS · 1 seed"
    assert await service.sources(12345) == []

    # A source of another film is refused, whatever id the caller passes.
    with pytest.raises(StreamError, match="No source found yet"):
        await service.open(film, foreign)


async def test_quality_setting_picks_the_best_source_that_fits(repo) -> None:
    movies, db = repo
    film = movies.upsert_demo(-1002, "C", "", 2024, 90, "", "")
    uhd = movies.upsert_source(film, "dd" * 20, b"x", 9_000_000_000, "yts", "2160p", "x265")
    fhd = movies.upsert_source(film, "ee" * 20, b"x", 2_000_000_000, "yts", "1080p", "x264")
    with db.session() as s, s.begin():
        s.execute(update(MovieSource).where(MovieSource.id == uhd).values(streaming_score=9500))
        s.execute(update(MovieSource).where(MovieSource.id == fhd).values(streaming_score=8000))

    def service(quality: str) -> StreamService:
        return StreamService(movies, engine=None, signer=TokenSigner(b"k" * 32),  # type: ignore[arg-type]
                             base_url=lambda: "", token_ttl=60, quality=quality)

    assert (await service("auto")._choose(film)).id == uhd
    assert (await service("1080p")._choose(film)).id == fhd
    assert (await service("4K")._choose(film)).id == uhd
    # Nothing fits 720p: the best of all rather than no Play at all.
    assert (await service("720p")._choose(film)).id == uhd
    assert await service("1080p")._choose(424242) is None
