"""TMDB catalog: the API client, sync use-cases, image cache and search."""
