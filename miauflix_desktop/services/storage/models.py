"""ORM tables (SQLAlchemy 2 typed mappings) for films, their sources and on-disk storage.

Field names follow the original Miauflix backend's entities so data and later features
(ranking, stats checks, storage retention) map one to one.
"""

from __future__ import annotations

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
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


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

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tmdb_id: Mapped[int] = mapped_column(Integer, unique=True)
    imdb_id: Mapped[str | None] = mapped_column(String(11), unique=True, nullable=True)
    title: Mapped[str] = mapped_column(String(500))
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

    sources: Mapped[list[MovieSource]] = relationship(
        back_populates="movie", cascade="all, delete-orphan"
    )

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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    movie_id: Mapped[int] = mapped_column(ForeignKey("movie.id", ondelete="CASCADE"), index=True)
    hash: Mapped[str] = mapped_column(String(92))
    magnet_link: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    quality: Mapped[str | None] = mapped_column(String(8), nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    video_codec: Mapped[str | None] = mapped_column(String(16), nullable=True)
    broadcasters: Mapped[int | None] = mapped_column(Integer, nullable=True)
    watchers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    file: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # .torrent bytes
    source_uploaded_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    streaming_score: Mapped[int] = mapped_column(Integer, default=0)
    last_stats_check: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    next_stats_check_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

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

    movie_source: Mapped[MovieSource] = relationship(back_populates="storage")


class WatchProgress(Base):
    """Where the viewer stopped a film (resume position)."""

    __tablename__ = "watch_progress"

    movie_id: Mapped[int] = mapped_column(
        ForeignKey("movie.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[float] = mapped_column(Float, default=0.0)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
