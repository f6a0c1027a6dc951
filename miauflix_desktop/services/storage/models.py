"""ORM tables (SQLAlchemy 2 typed mappings): catalog, sources, storage, accounts, sync state.

Field names follow the original Miauflix backend's entities (snake_case) so data and later
features (ranking, stats checks, storage retention, accounts, Trakt) map one to one. A few
columns are additions the desktop app needs: original title/language (search), and
``last_synced_at`` (which rows the sync job refreshes first).

The full-text index ``title_search`` is not mapped here: it is an SQLite FTS5 virtual
table created by migration 0002 and kept current by triggers (see ``catalog/search.py``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from miauflix_desktop.services.storage.encrypted import (
    DeterministicText,
    EncryptedBytes,
    EncryptedText,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base for every table."""


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Movie(Timestamped, Base):
    """A film with its TMDB metadata. Demo titles have negative tmdb ids and is_demo set."""

    __tablename__ = "movie"
    __table_args__ = (
        # Browse sorts and Home shelves; stale_movies() walks last_synced_at.
        Index("idx_movie_popularity", "popularity"),
        Index("idx_movie_rating", "rating", "popularity"),
        Index("idx_movie_release_date", "release_date"),
        Index("idx_movie_title", "title"),
        Index("idx_movie_last_synced_at", "last_synced_at"),
        # The source-search job walks titles never searched / searched longest ago.
        Index("idx_movie_sources_searched_at", "sources_searched_at", "popularity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int] = mapped_column(Integer, unique=True)
    imdb_id: Mapped[str | None] = mapped_column(String(11), unique=True, nullable=True)
    title: Mapped[str] = mapped_column(String(500))
    original_title: Mapped[str] = mapped_column(String(500), default="", server_default="")
    original_language: Mapped[str] = mapped_column(String(16), default="", server_default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    runtime: Mapped[int] = mapped_column(Integer, default=0)
    tagline: Mapped[str] = mapped_column(String(500), default="")
    trailer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    rating: Mapped[float] = mapped_column(Float, default=0.0)
    popularity: Mapped[float] = mapped_column(Float, default=0.0)
    release_date: Mapped[str] = mapped_column(String(10), default="")
    poster: Mapped[str] = mapped_column(String(500), default="")
    backdrop: Mapped[str] = mapped_column(String(500), default="")
    logo: Mapped[str] = mapped_column(String(500), default="")
    content_directories_searched: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    # None = never synced (a stub from a list): the sync job fills those first.
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    # Source discovery: when providers were last asked (None = never), and how many
    # searches in a row found nothing (the next one waits longer).
    sources_searched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)
    source_search_misses: Mapped[int] = mapped_column(Integer, default=0,
                                                      server_default=text("0"))

    sources: Mapped[list[MovieSource]] = relationship(
        back_populates="movie", cascade="all, delete-orphan"
    )
    translations: Mapped[list[MovieTranslation]] = relationship(
        back_populates="movie", cascade="all, delete-orphan", passive_deletes=True
    )
    genres: Mapped[list[Genre]] = relationship(secondary="movie_genre")

    @property
    def year(self) -> int | None:
        head = self.release_date[:4]
        return int(head) if head.isdigit() else None


class MovieSource(Timestamped, Base):
    """One BitTorrent release of a film, found by a provider (YTS, TheRARBG, the demo)."""

    __tablename__ = "movie_source"
    __table_args__ = (
        UniqueConstraint("movie_id", "hash", name="uq_movie_source_movie_hash"),
        Index("idx_movie_source_streaming_score", "movie_id", "streaming_score"),
        # updateSourcesStats picks the sources due for a tracker check.
        Index("idx_movie_source_next_stats", "next_stats_check_at"),
        # dataFileSearch picks sources whose metadata is not validated yet.
        Index("idx_movie_source_file_count", "file_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"), index=True)
    # Encrypted at rest (storage/encrypted.py, ADR 0005): what a user watches is named by
    # these. hash is deterministic (AES-SIV) because upserts look it up and it is part of
    # the unique constraint; the others use random nonces and are only ever read back.
    hash: Mapped[str] = mapped_column(DeterministicText("movie_source.hash", 92))
    magnet_link: Mapped[str] = mapped_column(EncryptedText("movie_source.magnet_link"),
                                             default="")
    url: Mapped[str | None] = mapped_column(
        EncryptedText("movie_source.url", unreadable=None), nullable=True)
    quality: Mapped[str | None] = mapped_column(String(8), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    video_codec: Mapped[str | None] = mapped_column(String(16), nullable=True)
    broadcasters: Mapped[int | None] = mapped_column(Integer, nullable=True)
    watchers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    file: Mapped[bytes | None] = mapped_column(  # .torrent bytes
        EncryptedBytes("movie_source.file"), nullable=True)
    source_uploaded_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    streaming_score: Mapped[int] = mapped_column(Integer, default=0)
    last_stats_check: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    next_stats_check_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the release name says (services.sources.release), kept for the Sources list
    # and for re-scoring without parsing again.
    release_name: Mapped[str] = mapped_column(EncryptedText("movie_source.release_name"),
                                              default="", server_default="")
    audio: Mapped[str] = mapped_column(String(64), default="", server_default="")
    languages: Mapped[str] = mapped_column(String(64), default="", server_default="")
    hdr: Mapped[str] = mapped_column(String(32), default="", server_default="")
    bit_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_explanation: Mapped[str] = mapped_column(Text, default="", server_default="")
    playable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    # From the validated metadata: the file to stream (largest video) and how many.
    file_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set while trackers report no seeds; resync drops sources dead for too long.
    dead_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    movie: Mapped[Movie] = relationship(back_populates="sources")
    storage: Mapped[Storage | None] = relationship(
        back_populates="movie_source", cascade="all, delete-orphan", uselist=False
    )


class Storage(Timestamped, Base):
    """Where a source's data lives on disk and how much of it is downloaded."""

    __tablename__ = "storage"
    __table_args__ = (Index("idx_storage_last_access", "last_access_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_source_id: Mapped[int] = mapped_column(
        ForeignKey("movie_source.id", ondelete="CASCADE"), unique=True
    )
    downloaded_pieces: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    size: Mapped[int] = mapped_column(Integer, default=0)
    total_pieces: Mapped[int] = mapped_column(Integer, default=0)
    piece_length: Mapped[int] = mapped_column(Integer, default=0)
    downloaded: Mapped[int] = mapped_column(Integer, default=0)
    location: Mapped[str] = mapped_column(String(500))
    last_access_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_write_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Kept by the torrent cache (services/torrent/cache.py, migration 0006): downloaded
    # above is the verified bytes on disk, uploaded the all-time bytes sent to peers.
    uploaded: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    pieces_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    peers: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # "downloading", "seeding", "paused" or "evicted" ("" = never tracked yet).
    status: Mapped[str] = mapped_column(String(16), default="", server_default="")

    movie_source: Mapped[MovieSource] = relationship(back_populates="storage")


class WatchProgress(Base):
    """Where the viewer stopped a film (resume position)."""

    __tablename__ = "watch_progress"
    # "Continue watching" lists the most recently watched first.
    __table_args__ = (Index("idx_watch_progress_updated_at", "updated_at"),)

    movie_id: Mapped[int] = mapped_column(
        ForeignKey("movie.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[float] = mapped_column(Float, default=0.0)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class MovieTranslation(Timestamped, Base):
    """A film's title, overview and tagline in one language (TMDB translations)."""

    __tablename__ = "movie_translation"
    __table_args__ = (UniqueConstraint("movie_id", "language", name="uq_movie_translation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    tagline: Mapped[str] = mapped_column(String(500), default="")

    movie: Mapped[Movie] = relationship(back_populates="translations")


class Genre(Base):
    """A TMDB genre; its id is TMDB's (shared by films and series when they share it)."""

    __tablename__ = "genre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # TMDB publishes separate genre lists for films and series; a genre may be in both.
    for_movies: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    for_tv: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))

    translations: Mapped[list[GenreTranslation]] = relationship(
        back_populates="genre", cascade="all, delete-orphan", passive_deletes=True
    )


class GenreTranslation(Base):
    """A genre's name in one language."""

    __tablename__ = "genre_translation"
    __table_args__ = (UniqueConstraint("genre_id", "language", name="uq_genre_translation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    genre_id: Mapped[int] = mapped_column(ForeignKey("genre.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))

    genre: Mapped[Genre] = relationship(back_populates="translations")


class MovieGenre(Base):
    """Film <-> genre. The primary key serves film -> genres, the index genre -> films."""

    __tablename__ = "movie_genre"
    __table_args__ = (Index("idx_movie_genre_genre", "genre_id", "movie_id"),)

    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"),
                                          primary_key=True)
    genre_id: Mapped[int] = mapped_column(ForeignKey("genre.id", ondelete="CASCADE"),
                                          primary_key=True)


class TVShow(Timestamped, Base):
    """A series with its TMDB metadata."""

    __tablename__ = "tvshow"
    __table_args__ = (
        Index("idx_tvshow_popularity", "popularity"),
        Index("idx_tvshow_rating", "rating", "popularity"),
        Index("idx_tvshow_first_air_date", "first_air_date"),
        Index("idx_tvshow_name", "name"),
        Index("idx_tvshow_last_synced_at", "last_synced_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int] = mapped_column(Integer, unique=True)
    imdb_id: Mapped[str | None] = mapped_column(String(11), nullable=True)
    name: Mapped[str] = mapped_column(String(500))
    original_name: Mapped[str] = mapped_column(String(500), default="")
    original_language: Mapped[str] = mapped_column(String(16), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    first_air_date: Mapped[str] = mapped_column(String(10), default="")
    poster: Mapped[str] = mapped_column(String(500), default="")
    backdrop: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(32), default="")
    tagline: Mapped[str] = mapped_column(String(500), default="")
    type: Mapped[str] = mapped_column(String(32), default="")
    in_production: Mapped[bool] = mapped_column(Boolean, default=False)
    episode_run_time: Mapped[list[int]] = mapped_column(JSON, default=list)
    popularity: Mapped[float] = mapped_column(Float, default=0.0)
    rating: Mapped[float] = mapped_column(Float, default=0.0)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)

    seasons: Mapped[list[Season]] = relationship(
        back_populates="tvshow", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Season.season_number",
    )
    translations: Mapped[list[TVShowTranslation]] = relationship(
        back_populates="tvshow", cascade="all, delete-orphan", passive_deletes=True
    )
    genres: Mapped[list[Genre]] = relationship(secondary="tvshow_genre")

    @property
    def year(self) -> int | None:
        head = self.first_air_date[:4]
        return int(head) if head.isdigit() else None


class TVShowTranslation(Timestamped, Base):
    """A series' name, overview and tagline in one language."""

    __tablename__ = "tvshow_translation"
    __table_args__ = (UniqueConstraint("tvshow_id", "language", name="uq_tvshow_translation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(500), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    tagline: Mapped[str] = mapped_column(String(500), default="")

    tvshow: Mapped[TVShow] = relationship(back_populates="translations")


class TVShowGenre(Base):
    """Series <-> genre, indexed both ways like MovieGenre."""

    __tablename__ = "tvshow_genre"
    __table_args__ = (Index("idx_tvshow_genre_genre", "genre_id", "tvshow_id"),)

    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"),
                                           primary_key=True)
    genre_id: Mapped[int] = mapped_column(ForeignKey("genre.id", ondelete="CASCADE"),
                                          primary_key=True)


class Season(Timestamped, Base):
    """One season of a series. ``synced`` turns true once its episodes are stored."""

    __tablename__ = "season"
    # (tvshow_id, season_number) is the lookup Details makes and the upsert key.
    __table_args__ = (UniqueConstraint("tvshow_id", "season_number", name="uq_season_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int] = mapped_column(Integer)
    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"))
    season_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    air_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    poster_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # TMDB's count from the show details, known before the episodes are fetched.
    episode_count: Mapped[int] = mapped_column(Integer, default=0)
    synced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))

    tvshow: Mapped[TVShow] = relationship(back_populates="seasons")
    episodes: Mapped[list[Episode]] = relationship(
        back_populates="season", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Episode.episode_number",
    )


class Episode(Timestamped, Base):
    """One episode of a season."""

    __tablename__ = "episode"
    __table_args__ = (UniqueConstraint("season_id", "episode_number", name="uq_episode_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int] = mapped_column(Integer)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"))
    episode_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500), default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    air_date: Mapped[str] = mapped_column(String(10), default="")
    still_path: Mapped[str] = mapped_column(String(500), default="")
    imdb_id: Mapped[str | None] = mapped_column(String(11), nullable=True)
    runtime: Mapped[int] = mapped_column(Integer, default=0)

    season: Mapped[Season] = relationship(back_populates="episodes")


class MediaList(Base):
    """A TMDB list (slug e.g. "popular-movies", "trending-week") shown as a Home shelf."""

    __tablename__ = "media_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider: Mapped[str] = mapped_column(String(32), default="tmdb")
    kind: Mapped[str] = mapped_column(String(8), default="movie")  # "movie" or "tv"
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)


class MediaListMovie(Base):
    """Ordered membership of a film in a list; (list_id, position) reads a shelf in order."""

    __tablename__ = "media_list_movie"
    __table_args__ = (Index("idx_media_list_movie_movie", "movie_id"),)

    list_id: Mapped[int] = mapped_column(ForeignKey("media_list.id", ondelete="CASCADE"),
                                         primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"))


class MediaListTVShow(Base):
    """Ordered membership of a series in a list."""

    __tablename__ = "media_list_tvshow"
    __table_args__ = (Index("idx_media_list_tvshow_tvshow", "tvshow_id"),)

    list_id: Mapped[int] = mapped_column(ForeignKey("media_list.id", ondelete="CASCADE"),
                                         primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"))


class SyncState(Base):
    """Bookkeeping of one background job: when it last ran and where it stopped."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cursor: Mapped[str | None] = mapped_column(String(500), nullable=True)
    extra: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class User(Timestamped, Base):
    """An account (the LAN web UI and profiles); the password is stored hashed only."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="user")  # "user" | "admin"
    is_email_verified: Mapped[bool] = mapped_column(Boolean, default=False)

    refresh_tokens: Mapped[list[RefreshToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class RefreshToken(Timestamped, Base):
    """A login session's refresh token (only its hash is stored)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("idx_refresh_tokens_expires_at", "expires_at"),
        UniqueConstraint("user_id", "session", name="uq_refresh_tokens_user_session"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    session: Mapped[str] = mapped_column(String(64), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_ip_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    last_accessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    access_count: Mapped[int] = mapped_column(Integer, default=1)
    issue_ip_address: Mapped[str | None] = mapped_column(String(45), nullable=True)

    user: Mapped[User] = relationship(back_populates="refresh_tokens")


class AuditLog(Base):
    """A security-relevant event (logins, token use, configuration changes)."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("idx_audit_logs_created_at", "created_at"),
        Index("idx_audit_logs_event_type", "event_type"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(25))
    severity: Mapped[str] = mapped_column(String(10), default="INFO")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    ip_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # "metadata" is reserved on declarative classes; the column keeps the seed's name.
    details: Mapped[dict[str, object] | None] = mapped_column("metadata", JSON, nullable=True)
    user_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TraktUser(Timestamped, Base):
    """A linked Trakt account (tokens are secrets: kept here only as the seed does)."""

    __tablename__ = "trakt_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    trakt_slug: Mapped[str] = mapped_column(String(100), unique=True)
    trakt_username: Mapped[str | None] = mapped_column(String(100), nullable=True)
    access_token: Mapped[str | None] = mapped_column(String(255), nullable=True)
    refresh_token: Mapped[str | None] = mapped_column(String(255), nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True)

    user: Mapped[User | None] = relationship()


class Download(Timestamped, Base):
    """A film the user marked "download for later" (migration 0007; services/downloads.py).

    The user's intent, kept apart from Storage (the cache's view of bytes on disk): a mark
    exists before its torrent ever ran and outlives an eviction of its Storage row.
    """

    __tablename__ = "download"
    __table_args__ = (Index("idx_download_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"),
                                          unique=True)
    # SET NULL: a source dropped by a resync leaves the mark (shown as failed).
    movie_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("movie_source.id", ondelete="SET NULL"), nullable=True)
    # The last state the service saw: "queued", "downloading", "done" or "failed".
    state: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    size: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)


class EpisodeSource(Timestamped, Base):
    """One BitTorrent release of a series: a single episode, a few, or season packs.

    Which episodes it holds (and, once the torrent's file list is known, at which file
    index) is in EpisodeSourceFile. Sensitive fields are encrypted at rest exactly like
    MovieSource's (ADR 0005): what someone watches is named by them.
    """

    __tablename__ = "episode_source"
    __table_args__ = (
        UniqueConstraint("tvshow_id", "hash", name="uq_episode_source_show_hash"),
        Index("idx_episode_source_score", "tvshow_id", "streaming_score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"),
                                           index=True)
    hash: Mapped[str] = mapped_column(DeterministicText("episode_source.hash", 92))
    magnet_link: Mapped[str] = mapped_column(EncryptedText("episode_source.magnet_link"),
                                             default="")
    url: Mapped[str | None] = mapped_column(
        EncryptedText("episode_source.url", unreadable=None), nullable=True)
    release_name: Mapped[str] = mapped_column(EncryptedText("episode_source.release_name"),
                                              default="", server_default="")
    file: Mapped[bytes | None] = mapped_column(  # .torrent bytes, once known
        EncryptedBytes("episode_source.file"), nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    quality: Mapped[str | None] = mapped_column(String(8), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    video_codec: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    broadcasters: Mapped[int | None] = mapped_column(Integer, nullable=True)
    watchers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    audio: Mapped[str] = mapped_column(String(64), default="", server_default="")
    languages: Mapped[str] = mapped_column(String(64), default="", server_default="")
    hdr: Mapped[str] = mapped_column(String(32), default="", server_default="")
    bit_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    streaming_score: Mapped[int] = mapped_column(Integer, default=0)
    score_explanation: Mapped[str] = mapped_column(Text, default="", server_default="")
    playable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("1"))
    # One or more whole seasons (its files are mapped to episodes once metadata is known).
    season_pack: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    # True once the torrent's file list was read and every SxxEyy file got its row.
    files_mapped: Mapped[bool] = mapped_column(Boolean, default=False,
                                               server_default=text("0"))

    files: Mapped[list[EpisodeSourceFile]] = relationship(
        back_populates="episode_source", cascade="all, delete-orphan", passive_deletes=True)


class EpisodeSourceFile(Base):
    """Which episode an EpisodeSource holds, and in which file of the torrent.

    episode_number 0 means "the whole season" (a pack whose file list is not known yet);
    file_index None means "not mapped yet" (the largest video file of a single-episode
    release, or the SxxEyy file of a pack, is found when it is first played).
    """

    __tablename__ = "episode_source_file"
    __table_args__ = (
        UniqueConstraint("episode_source_id", "season_number", "episode_number",
                         name="uq_episode_source_file"),
        Index("idx_episode_source_file_episode", "season_number", "episode_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_source_id: Mapped[int] = mapped_column(
        ForeignKey("episode_source.id", ondelete="CASCADE"))
    season_number: Mapped[int] = mapped_column(Integer)
    episode_number: Mapped[int] = mapped_column(Integer)
    file_index: Mapped[int | None] = mapped_column(Integer, nullable=True)

    episode_source: Mapped[EpisodeSource] = relationship(back_populates="files")


class EpisodeProgress(Base):
    """Where the viewer stopped an episode (WatchProgress is per film)."""

    __tablename__ = "episode_progress"
    __table_args__ = (Index("idx_episode_progress_updated_at", "updated_at"),)

    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[float] = mapped_column(Float, default=0.0)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SeasonDownload(Timestamped, Base):
    """A torrent downloaded for a season the user marked "download for later" (migration
    0009; services/downloads.py). A season pack is one row for all its episodes."""

    __tablename__ = "season_download"
    __table_args__ = (
        UniqueConstraint("tvshow_id", "season_number", "episode_source_id",
                         name="uq_season_download_source"),
        Index("idx_season_download_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tvshow_id: Mapped[int] = mapped_column(ForeignKey("tvshow.id", ondelete="CASCADE"))
    season_number: Mapped[int] = mapped_column(Integer)
    # SET NULL: a source dropped by a resync leaves the row (shown as failed).
    episode_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("episode_source.id", ondelete="SET NULL"), nullable=True)
    # The episode numbers this torrent was chosen for, "1,2,3".
    episodes: Mapped[str] = mapped_column(String(512), default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    size: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)
