"""LibraryService: the CatalogPort the UI browses (for now the demo shelf)."""

from __future__ import annotations

import asyncio

from miauflix_desktop.core.errors import MiauflixError
from miauflix_desktop.core.media import MediaItem, Shelf
from miauflix_desktop.services.demo.library import DemoLibrary
from miauflix_desktop.services.storage.models import Movie
from miauflix_desktop.services.storage.repositories import MovieRepository


def _item(movie: Movie) -> MediaItem:
    return MediaItem(
        id=movie.id,
        title=movie.title,
        overview=movie.overview,
        year=movie.year,
        runtime_minutes=movie.runtime or None,
        poster=movie.poster or None,
        backdrop=movie.backdrop or None,
        is_demo=movie.is_demo,
    )


class LibraryService:
    """Read side of the library for view models."""

    def __init__(self, movies: MovieRepository, demo: DemoLibrary | None) -> None:
        self._movies = movies
        self._demo = demo

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def home_shelves(self) -> list[Shelf]:
        shelves: list[Shelf] = []
        if self._demo is not None:
            await self._demo.wait_ready()
            movies = await asyncio.to_thread(self._movies.demo_movies)
            shelves.append(Shelf("demo", "Demo", tuple(_item(m) for m in movies)))
        return shelves

    async def get(self, media_id: int) -> MediaItem:
        movie = await asyncio.to_thread(self._movies.get, media_id)
        if movie is None:
            raise MiauflixError(f"No film with id {media_id}.")
        return _item(movie)
