"""`article:` (issue 15): the articles a text cites, as the encoder marks them (`rs/@n`),
found by a search, from a plain-text statement through `archive encode`, `archive add`,
the index on disk and the query language, to the JSON and HTML of the web app.

The statement is the gold set's made-up one (tests/gold/04-statement-ihl-articles.txt): it
cites Article 51 of AP I, common Article 3, Article 49 of GC IV and Article 8(2)(b)(i) of
the Rome Statute, and the Fourth Geneva Convention and AP II without an article."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import PROJECT_ROOT, Config
from archive.document.model import article_keys
from archive.errors import BadQuery
from archive.search import SearchEngine
from archive.search.request import SearchRequest

STATEMENT = PROJECT_ROOT / "tests" / "gold" / "04-statement-ihl-articles.txt"
DOC_ID = "lawyers-statement-civilians-2020-10-02"


def run(config: Config, *args: str):
    return CliRunner().invoke(
        main, ["--corpus", str(config.corpus), "--instance", str(config.instance), *args]
    )


@pytest.fixture(scope="module")
def articles_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A corpus copy holding the made-up statement, encoded and added as an archivist would."""
    import shutil

    from tests.conftest import DEPLOYED, FIXTURE_CORPUS

    root = tmp_path_factory.mktemp("articles")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    config = Config(corpus=root / "corpus", instance=root / "instance", base_url=DEPLOYED)
    draft = root / "draft.xml"
    encoded = run(config, "encode", str(STATEMENT), "--id", DOC_ID, "-o", str(draft))
    assert encoded.exit_code == 0, encoded.output
    added = run(config, "add", str(draft), "--accept", "-m", "Made-up statement (test).")
    assert added.exit_code == 0, added.output
    return config


@pytest.fixture(scope="module")
def articles_engine(articles_config: Config):
    with SearchEngine(articles_config) as engine:
        yield engine


def found(engine: SearchEngine, q: str) -> list[str]:
    return list(engine.iter_ids(SearchRequest(q=q)))


@pytest.mark.parametrize(
    "query",
    [
        "article:49",
        'article:"Article 49"',
        'article:"49 GC IV"',
        'article:"GC IV 49"',
        'article:"Article 49 of the Fourth Geneva Convention"',
        "article:gc-1949-iv/49",
        'article:"Geneva Conventions 49"',  # a group stands for its members
        'article:"art. 51 AP I"',
        'article:"Article 51 of Additional Protocol I"',
        'article:"common Article 3"',
        'article:"common 3"',
        'article:"GC I 3"',  # common Article 3 is Article 3 of each Convention
        'article:"Article 3 of the Third Geneva Convention"',
        'article:"8(2)(b)(i) Rome Statute"',
        'article:"Article 8 of the Rome Statute"',  # a paragraph is found under its article
        'article:49 treaty:"AP II" civilians',
    ],
)
def test_a_cited_article_is_found_however_it_is_written(articles_engine, query):
    assert found(articles_engine, query) == [DOC_ID]


@pytest.mark.parametrize(
    "query",
    [
        "article:50",
        'article:"51 GC IV"',  # Article 51 is cited of AP I, not of GC IV
        'article:"49 AP I"',
        'article:"Article 3 of Additional Protocol II"',  # AP II is cited without an article
        'article:"8(2)(a) Rome Statute"',
        'article:"Article 1 of the Ottawa Treaty"',
    ],
)
def test_an_article_not_cited_finds_nothing(articles_engine, query):
    assert found(articles_engine, query) == []


def test_no_test_corpus_document_is_found_by_an_article(indexed_config, engine):
    """The test corpus's documents mark no articles: the field holds only what texts cite."""
    assert found(engine, "article:49") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('article:"Fourth Geneva Convention"', "names no article"),
        ('article:"49 Treaty of Nowhere"', "unknown treaty"),
        ('article:"Protocol II 3"', "ambiguous"),
    ],
)
def test_an_article_query_that_cannot_be_read_says_why(articles_engine, query, message):
    with pytest.raises(BadQuery) as error:
        found(articles_engine, query)
    assert "article" in error.value.message and message in error.value.message


def test_the_reader_sees_how_an_article_was_understood(articles_engine):
    result = articles_engine.search(SearchRequest(q='article:"49 GC IV"'))
    labels = [label for r in result.resolved for label in r.labels]
    assert labels == ["Article 49 of Fourth Geneva Convention"]
    result = articles_engine.search(SearchRequest(q='article:"common Article 3"'))
    assert [label for r in result.resolved for label in r.labels] == [
        "common Article 3 (any treaty)"
    ]


def test_article_keys_meet_however_the_article_is_written():
    assert article_keys("49") == ["49"]
    assert article_keys("48, 51(2)") == ["48", "51(2)", "51"]
    assert article_keys("common 3") == ["common-3", "3"]
    assert article_keys("Art. 51 (2)") == ["51(2)", "51"]
    assert article_keys("8(2)(b)(i)") == ["8(2)(b)(i)", "8"]


def test_article_search_on_the_web_and_the_document_page_lists_the_articles(
    articles_config: Config,
):
    from webui import create_app

    client = create_app(articles_config).test_client()
    data = client.get("/search.json", query_string={"q": 'article:"49 GC IV"'}).get_json()
    assert [hit["id"] for hit in data["hits"]] == [DOC_ID]
    page = client.get("/", query_string={"q": 'article:"49 GC IV"'})
    assert page.status_code == 200 and DOC_ID in page.get_data(as_text=True)
    doc = client.get(f"/doc/{DOC_ID}").get_data(as_text=True)
    assert "Article 49" in doc and "common Article 3" in doc
    bad = client.get("/search.json", query_string={"q": 'article:"Fourth Geneva Convention"'})
    assert bad.status_code == 400 and "names no article" in bad.get_json()["error"]["message"]


def test_the_cli_finds_an_article(articles_config: Config):
    result = run(articles_config, "search", 'article:"Article 49 of GC IV"', "--json")
    assert result.exit_code == 0, result.output
    assert DOC_ID in result.output


def test_the_encoded_statement_is_the_made_up_one():
    """The fixture text is the gold set's invented statement (no real signer)."""
    assert "undersigned lawyers' associations" in Path(STATEMENT).read_text(encoding="utf-8")
