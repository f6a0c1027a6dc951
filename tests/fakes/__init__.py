"""Local fakes of internet services (TMDB, ...) for tests."""
