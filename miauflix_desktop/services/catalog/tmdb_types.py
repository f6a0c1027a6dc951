"""Typed, frozen values the TMDB client returns (no I/O, no parsing: see tmdb.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MOVIE = "movie"
TV = "tv"


@dataclass(frozen=True)
class TmdbConfig:
    """Where images live and which sizes exist (GET /configuration)."""

    image_base_url: str  # the https ("secure") base, ends with "/", e.g. https://image.tmdb.org/t/p/
    poster_sizes: tuple[str, ...] = ()
    backdrop_sizes: tuple[str, ...] = ()
    still_sizes: tuple[str, ...] = ()
    profile_sizes: tuple[str, ...] = ()
    logo_sizes: tuple[str, ...] = ()

    def image_url(self, size: str, path: str) -> str:
        """Full URL of an image path such as "/abc.jpg" at a size such as "w342"."""
        return f"{self.image_base_url.rstrip('/')}/{size}/{path.lstrip('/')}"


@dataclass(frozen=True)
class TmdbGenre:
    id: int
    name: str


@dataclass(frozen=True)
class TmdbTranslation:
    """One language's texts. `language` is "de-DE" (iso_639_1-iso_3166_1); for series
    `title` holds TMDB's `name`."""

    language: str
    title: str = ""
    overview: str = ""
    tagline: str = ""


@dataclass(frozen=True)
class TmdbMovie:
    id: int
    title: str
    original_title: str = ""
    original_language: str = ""
    overview: str = ""
    tagline: str = ""
    runtime: int | None = None  # minutes
    release_date: date | None = None
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0
    poster_path: str | None = None
    backdrop_path: str | None = None
    imdb_id: str | None = None
    status: str = ""
    adult: bool = False
    genres: tuple[TmdbGenre, ...] = ()
    translations: tuple[TmdbTranslation, ...] = ()
    # For the language's country (de-DE -> DE), else the US one; "" when unknown.
    certification: str = ""


@dataclass(frozen=True)
class TmdbSeasonSummary:
    """A season as listed in the series details (no episodes)."""

    id: int
    season_number: int
    name: str = ""
    overview: str = ""
    episode_count: int = 0
    air_date: date | None = None
    poster_path: str | None = None
    vote_average: float = 0.0


@dataclass(frozen=True)
class TmdbShow:
    id: int
    name: str
    original_name: str = ""
    original_language: str = ""
    overview: str = ""
    tagline: str = ""
    first_air_date: date | None = None
    last_air_date: date | None = None
    status: str = ""  # "Returning Series", "Ended", ...
    in_production: bool = False
    number_of_seasons: int = 0
    number_of_episodes: int = 0
    episode_run_time: tuple[int, ...] = ()
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0
    poster_path: str | None = None
    backdrop_path: str | None = None
    imdb_id: str | None = None
    tvdb_id: int | None = None
    genres: tuple[TmdbGenre, ...] = ()
    seasons: tuple[TmdbSeasonSummary, ...] = ()
    translations: tuple[TmdbTranslation, ...] = ()
    content_rating: str = ""  # for the language's country, else US; "" when unknown


@dataclass(frozen=True)
class TmdbEpisode:
    id: int
    episode_number: int
    season_number: int = 0
    name: str = ""
    overview: str = ""
    runtime: int | None = None
    still_path: str | None = None
    air_date: date | None = None
    vote_average: float = 0.0


@dataclass(frozen=True)
class TmdbSeason:
    id: int
    show_id: int
    season_number: int
    name: str = ""
    overview: str = ""
    air_date: date | None = None
    poster_path: str | None = None
    vote_average: float = 0.0
    episodes: tuple[TmdbEpisode, ...] = ()


@dataclass(frozen=True)
class TmdbListItem:
    """One film or series in a list, trending, discover or search page.

    Films and series are normalised to the same fields: `title` is a series' `name`,
    `date` its `first_air_date` (a film's `release_date`).
    """

    media_type: str  # MOVIE or TV
    id: int
    title: str
    original_title: str = ""
    original_language: str = ""
    overview: str = ""
    date: date | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    vote_average: float = 0.0
    vote_count: int = 0
    popularity: float = 0.0
    genre_ids: tuple[int, ...] = ()
    adult: bool = False

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None


@dataclass(frozen=True)
class TmdbPage:
    page: int
    total_pages: int
    total_results: int
    items: tuple[TmdbListItem, ...] = field(default_factory=tuple)
