"""Serving torrent-backed files over HTTP: Range parsing, signed tokens, routes, server."""
