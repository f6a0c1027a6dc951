"""Paths, typed settings and secrets."""
