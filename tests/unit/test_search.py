"""Title search: safe FTS5 prefix expressions, and ranked results from a real SQLite file."""

import pytest

from miauflix_desktop.services.catalog.search import LocalSearch, match_expression, tokens
from miauflix_desktop.services.storage.catalog_repository import CatalogRepository, Translation
from miauflix_desktop.services.storage.db import Database

NASTY = ['"', '""', "'", "(", ")", "()", '") OR ("', "AND", "OR", "NOT", "NEAR",
         "NEAR(a b, 2)", "a AND", "OR b", "title:matrix", "^matr", "matr*", "*", "-", "+",
         "{title}: x", "a\x00b", "\\", "%", "_", "'; DROP TABLE movie; --", "🙂", "🙂 matr",
         "ma\ttr", "\n", " " * 50, "x" * 5000, "a " * 500, "Ω≈ç√∫", "東京", "٣", "ﬁ"]


@pytest.mark.parametrize(("text", "expected"), [
    ("matr", '"matr"*'),
    ("The  Matr", '"The"* "Matr"*'),
    ("", None),
    ("  ", None),
    ('") (', None),
    ("Romeo AND Juliet", '"Romeo"* "AND"* "Juliet"*'),
    ("near(x", '"near"* "x"*'),
    ("l'amour", '"l"* "amour"*'),
    ("snake_case", '"snake"* "case"*'),
])
def test_match_expression(text, expected):
    assert match_expression(text) == expected


def test_decomposed_accents_stay_one_token():
    assert tokens("Ame\u0301lie") == ["Amélie"]


def test_tokens_are_bounded():
    assert len(tokens("a " * 500)) == 8
    assert len(tokens("x" * 5000)[0]) == 40


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    # read-only tests share one database (migrating one per test costs ~0.3 s each)
    db = Database(tmp_path_factory.mktemp("search") / "s.sqlite3")
    db.open()
    r = CatalogRepository(db)
    r.upsert_movie(603, title="The Matrix", original_title="The Matrix", popularity=80)
    r.upsert_movie(604, title="The Matrix Reloaded", original_title="The Matrix Reloaded",
                   popularity=40)
    r.upsert_movie(9000, title="Matrix", original_title="Matrix", popularity=0.5)
    r.upsert_movie(194, title="Amélie", popularity=30,
                   original_title="Le Fabuleux Destin d'Amélie Poulain")
    r.upsert_movie(129, title="Spirited Away", original_title="千と千尋の神隠し", popularity=60,
                   translations=[Translation("it-IT", "La città incantata", "it overview")])
    r.upsert_movie(7, title="Incantato", popularity=1)
    r.upsert_movie(8, title="Mr. & Mrs. Smith", popularity=10)
    r.upsert_show(1396, name="Breaking Bad", original_name="Breaking Bad", popularity=90,
                  translations=[Translation("de-DE", "Breaking Bad"),
                                Translation("es-ES", "Rompiendo Malo")])
    r.replace_list("l", "movie", [12345])  # a stub without a title
    yield r
    db.close()


def titles(repo, q, **kw):
    return [i.title for i in repo.search(q, **kw)]


def test_prefix_finds_the_matrix(repo):
    assert titles(repo, "matr")[0] == "The Matrix"
    assert set(titles(repo, "matr")) == {"The Matrix", "The Matrix Reloaded", "Matrix"}
    assert titles(repo, "the matrix rel") == ["The Matrix Reloaded"]
    assert titles(repo, "MATRIX")[0] == "The Matrix"


def test_diacritics_fold_both_ways(repo):
    assert titles(repo, "amelie") == ["Amélie"]
    assert titles(repo, "AMÉL") == ["Amélie"]
    assert titles(repo, "Ame\u0301lie") == ["Amélie"]
    assert titles(repo, "citta") == ["Spirited Away"]


def test_original_and_translated_titles(repo):
    assert titles(repo, "fabuleux destin") == ["Amélie"]
    assert titles(repo, "千と") == ["Spirited Away"]
    assert titles(repo, "rompiendo") == ["Breaking Bad"]
    # translated results show the title in the asked language
    assert titles(repo, "città", language="it-IT") == ["La città incantata"]


def test_series_are_found_with_their_kind(repo):
    [item] = repo.search("breaking")
    assert (item.kind, item.title) == ("tv", "Breaking Bad")


def test_ranking(repo):
    # a title hit outranks a translation-only hit even when the latter is more popular
    assert titles(repo, "incant") == ["Incantato", "Spirited Away"]
    # a popular film outranks an obscure namesake with a shorter title
    assert titles(repo, "matrix")[:2] == ["The Matrix", "The Matrix Reloaded"]
    assert titles(repo, "matrix")[-1] == "Matrix"


def test_limit_and_no_match(repo):
    assert len(repo.search("matr", limit=2)) == 2
    assert repo.search("matr", limit=0) == []
    assert repo.search("zzzz") == []
    assert titles(repo, "mr mrs") == ["Mr. & Mrs. Smith"]


@pytest.mark.parametrize("text", NASTY)
def test_garbage_input_never_breaks_the_query(repo, text):
    result = repo.search(text)
    assert isinstance(result, list)


async def test_local_search_runs_off_the_loop(repo):
    search = LocalSearch(repo, language="it-IT")
    assert [i.title for i in await search.search("citt")] == ["La città incantata"]
    assert await search.search('")(') == []


def test_broad_queries_rank_popular_candidates_by_tier(repo, monkeypatch):
    # With thousands of matches only the most popular are ranked: title hits first.
    from miauflix_desktop.services.storage import catalog_repository

    monkeypatch.setattr(catalog_repository, "FULL_RANK_MAX", 0)
    assert titles(repo, "incant") == ["Incantato", "Spirited Away"]
    assert titles(repo, "matrix") == ["The Matrix", "The Matrix Reloaded", "Matrix"]
    assert titles(repo, "fabul") == ["Amélie"]
    assert titles(repo, "amel") == ["Amélie"]
    assert [i.kind for i in repo.search("break")] == ["tv"]
    assert len(repo.search("matr", limit=1)) == 1
