"""Miauflix Desktop: a ten-foot media center that streams BitTorrent sources into mpv."""

__version__ = "0.1.0"
