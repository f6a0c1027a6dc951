"""What OpenSubtitles can search the playing title by: a film's IMDb/TMDB ids, or an
episode's own ids plus its series' ids, season and episode number (player media ids of
episodes are negative, core.media.episode_of)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from miauflix_desktop.core.media import episode_of
from miauflix_desktop.services.storage.db import Database
from miauflix_desktop.services.storage.models import Episode, Movie, Season, TVShow
from miauflix_desktop.services.subtitles.finder import MediaIds


class MediaIdLookup:
    """`await lookup(media_id)` -> MediaIds (empty when the title is unknown)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def __call__(self, media_id: int) -> MediaIds:
        return await asyncio.to_thread(self._lookup, media_id)

    def _lookup(self, media_id: int) -> MediaIds:
        episode_id = episode_of(media_id)
        with self._db.session() as s:
            if episode_id is None:
                movie = s.get(Movie, media_id)
                if movie is None:
                    return MediaIds()
                return MediaIds(imdb_id=movie.imdb_id, tmdb_id=movie.tmdb_id)
            row = s.execute(
                select(Episode.imdb_id, Episode.tmdb_id, Episode.episode_number,
                       Season.season_number, TVShow.tmdb_id, TVShow.imdb_id)
                .join(Season, Episode.season_id == Season.id)
                .join(TVShow, Season.tvshow_id == TVShow.id)
                .where(Episode.id == episode_id)).first()
            if row is None:
                return MediaIds()
            ep_imdb, ep_tmdb, number, season, show_tmdb, show_imdb = row
            return MediaIds(imdb_id=ep_imdb, tmdb_id=ep_tmdb, parent_tmdb_id=show_tmdb,
                            parent_imdb_id=show_imdb, season=season, episode=number)
