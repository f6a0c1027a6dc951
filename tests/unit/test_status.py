"""The banner: per-source problems, newest first, recovery clears only its own."""

from miauflix_desktop.services.status import StatusService


def test_banner_tracks_open_problems():
    s = StatusService()
    seen: list[str] = []
    unsubscribe = s.subscribe(seen.append)
    assert s.banner() == ""
    s.problem("tmdb", "TMDB is unreachable; showing saved data.")
    s.problem("images", "Images are unavailable.")
    assert s.banner() == "Images are unavailable."
    s.resolved("images")
    assert s.banner() == "TMDB is unreachable; showing saved data."
    s.resolved("nothing")
    s.resolved("tmdb")
    assert s.banner() == ""
    assert seen == ["TMDB is unreachable; showing saved data.", "Images are unavailable.",
                    "TMDB is unreachable; showing saved data.", ""]
    unsubscribe()
    s.problem("tmdb", "x")
    assert len(seen) == 4


def test_repeating_a_problem_does_not_notify_again_and_bad_subscriber_is_isolated():
    s = StatusService()
    seen: list[str] = []

    def broken(_text: str) -> None:
        raise RuntimeError("boom")

    s.subscribe(broken)
    s.subscribe(seen.append)
    s.problem("tmdb", "down")
    s.problem("tmdb", "down")
    assert seen == ["down"]
