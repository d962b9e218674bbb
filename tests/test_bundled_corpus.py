"""The bundled corpus (corpus/) as issue 18 asks for it: a real finding aid, not a demo.

The other tests run on the frozen test corpus (tests/conftest.py) and assert exact figures;
these assert what the bundled corpus must stay: valid, at least 120 catalogue records, 12
treaties cited by 3 documents or more, 60 distinct signatories or issuing bodies, every
stored version under fixity, and every search example a reader is shown (README.md, the
search page) finding documents.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from archive.cli import main
from archive.config import BUNDLED_CORPUS, PROJECT_ROOT, Config
from archive.document import NS, Registers
from archive.search import SearchEngine, SearchRequest
from archive.search.indexing import update_index
from archive.storage import Corpus
from webui import create_app

README = PROJECT_ROOT / "README.md"
SEARCH_PAGE = PROJECT_ROOT / "webui" / "templates" / "search.html"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return Config(corpus=BUNDLED_CORPUS, instance=tmp_path_factory.mktemp("bundled"))


@pytest.fixture(scope="module")
def documents(config: Config) -> list:
    return list(Corpus(config).documents())


@pytest.fixture(scope="module")
def engine(config: Config):
    update_index(config)
    with SearchEngine(config) as search_engine:
        yield search_engine


def test_the_bundled_corpus_is_valid(config):
    result = CliRunner().invoke(main, ["--corpus", str(config.corpus), "validate"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"\d+ documents, \d+ stored versions, 4 registers.*: valid\n", result.stdout
    )


def test_it_holds_at_least_120_catalogue_records(documents):
    assert sum(d.is_catalogue_record for d in documents) >= 120


def test_at_least_12_treaties_are_cited_by_3_documents_or_more(documents):
    cited = Counter(t for d in documents for t in d.treaties)
    assert sum(1 for n in cited.values() if n >= 3) >= 12, cited.most_common()


def test_at_least_60_distinct_signatories_or_issuing_bodies(documents):
    voices = {f"{i.kind}:{i.id}" for d in documents for i in d.issuers}
    voices |= {f"person:{s.person_id}" for d in documents for s in d.signatories}
    assert len(voices) >= 60


def test_every_catalogue_record_links_its_source(documents):
    for doc in documents:
        if doc.is_catalogue_record:
            assert doc.abstract and any(s.url for s in doc.sources), doc.id


def test_the_fixity_file_covers_every_stored_version(config):
    lines = (config.corpus / "fixity.jsonl").read_text(encoding="utf-8").splitlines()
    recorded = {(r["id"], r["version"]) for r in map(json.loads, lines)}
    stored = {(path.parent.name, int(path.stem)) for path in config.versions_dir.glob("*/*.xml")}
    assert recorded == stored
    result = CliRunner().invoke(main, ["--corpus", str(config.corpus), "verify"])
    assert result.exit_code == 0, result.output


def readme_examples() -> list[str]:
    """The queries README.md shows: the search row of the web table and the examples of
    the bundled corpus's section."""
    text = README.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `/` |"))
    queries = [q for q in re.findall(r"`([^`]+)`", row) if re.match(r"\w+:\S", q)]
    section = text.split("\n## The bundled corpus\n", 1)[1].split("\n## ", 1)[0]
    queries += re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE)
    return queries


def search_page_examples() -> list[str]:
    """The search box's placeholder (comma-separated queries) and the field examples of
    its help."""
    page = SEARCH_PAGE.read_text(encoding="utf-8")
    placeholder = re.search(r"placeholder='([^']*)'", page)[1]
    queries = [q.strip() for q in placeholder.split(", ")]
    codes = re.findall(r"<code>([^<]+)</code>", page)
    queries += [c for c in codes if re.fullmatch(r"\w+:\S.*", c) and not c.endswith(":")]
    return queries


def test_the_examples_are_found():
    assert len(readme_examples()) >= 8 and len(search_page_examples()) >= 3


@pytest.mark.parametrize("query", sorted(set(readme_examples() + search_page_examples())))
def test_every_example_a_reader_is_shown_finds_documents(engine, query):
    assert engine.search(SearchRequest(q=query)).total > 0, query


def test_the_corpus_has_no_text_of_others_in_catalogue_records():
    """A catalogue record's body is the gap, nothing else (docs/tei-profile.md)."""
    for path in sorted((BUNDLED_CORPUS / "documents").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        text = root.find("t:text", NS)
        if text.get("type") == "catalogue-record":
            body_words = "".join(text.itertext()).split()
            assert body_words == [], Path(path).name


def test_every_page_of_the_bundled_corpus_is_served(config, documents, engine):
    """Each document and each register record's page, and the search page with its facets."""
    client = create_app(config, testing=True).test_client()
    assert client.get("/").status_code == 200
    for doc in documents:
        assert client.get(f"/doc/{doc.id}").status_code == 200, doc.id
    registers = Registers.load(config.authority_dir)
    for kind, prefix in (
        ("treaty", "treaty"),
        ("person", "person"),
        ("org", "org"),
        ("place", "place"),
    ):
        for record in registers.by_kind(kind):
            assert client.get(f"/{prefix}/{record.id}").status_code == 200, record.ref
