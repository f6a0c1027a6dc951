"""BitTorrent streaming: one libtorrent session, its alert pump, readers and the piece policy."""

from miauflix_desktop.services.torrent.events import TorrentStatus
from miauflix_desktop.services.torrent.metainfo import (
    MagnetLink,
    info_hash_of,
    make_torrent,
    parse_magnet,
)
from miauflix_desktop.services.torrent.reader import FileReader
from miauflix_desktop.services.torrent.seeder import LocalSeeder
from miauflix_desktop.services.torrent.session import TorrentEngine, TorrentSpec
from miauflix_desktop.services.torrent.torrent import FileEntry, Torrent, TorrentMeta

__all__ = [
    "FileEntry",
    "FileReader",
    "LocalSeeder",
    "MagnetLink",
    "Torrent",
    "TorrentEngine",
    "TorrentMeta",
    "TorrentSpec",
    "TorrentStatus",
    "info_hash_of",
    "make_torrent",
    "parse_magnet",
]
