"""Two versions of a document compared, text and metadata, as a page and as JSON. The
bundled documents have one version each: the tests store a second with `archive add
--revise` in a copy of the corpus."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.search.indexing import update_index
from archive.storage.store import Corpus
from tests.conftest import SEED_ID
from webui import create_app


@pytest.fixture
def revised(corpus_copy, tmp_path):
    """The seed with a version 2: a word of the text changed and a signatory's role too."""
    text = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    assert "ecological catastrophe" in text and "<roleName>President</roleName>" in text
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_text(
        text.replace("ecological catastrophe", "ecological disaster").replace(
            "<roleName>President</roleName>", "<roleName>Chair</roleName>", 1
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, corpus_copy.arguments("add", "--revise", str(path), "-m", "Second reading.")
    )
    assert result.exit_code == 0, result.output
    update_index(corpus_copy)
    return create_app(corpus_copy, testing=True).test_client()


def test_compare_shows_the_words_and_the_fields_that_changed(revised):
    response = revised.get(f"/doc/{SEED_ID}/compare?a=1&b=2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"<del><span class=\"visually-hidden\">\[removed: </span>catastrophe", html)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[added: </span>disaster", html)
    signatories = re.search(r"<th scope=\"row\">Signatories</th>(.*?)</tr>", html, re.S).group(1)
    assert "Umud Mirzayev, President" in signatories and "Umud Mirzayev, Chair" in signatories
    assert "Title</th>" not in html  # only what differs


def test_compare_json_twin(revised):
    data = revised.get(f"/doc/{SEED_ID}/compare.json?a=1&b=2").json
    assert data["a"]["n"] == 1 and data["b"]["n"] == 2 and data["versions"] == [1, 2]
    assert data["b"]["description"] == "Second reading."
    assert data["changed"] and data["text_changed"]
    assert [f["field"] for f in data["metadata"]] == ["signatories"]
    deleted = "".join(p["text"] for p in data["text"] if p["op"] == "delete")
    inserted = "".join(p["text"] for p in data["text"] if p["op"] == "insert")
    assert deleted == "catastrophe" and inserted == "disaster"
    # The pieces rebuild each version's text.
    v1 = revised.get(f"/doc/{SEED_ID}/v1.json").json["document"]["text"]
    assert "".join(p["text"] for p in data["text"] if p["op"] != "insert") == v1


def test_compare_in_either_order_and_defaults_to_the_last_change(revised):
    backwards = revised.get(f"/doc/{SEED_ID}/compare.json?a=2&b=1").json
    assert "".join(p["text"] for p in backwards["text"] if p["op"] == "insert") == "catastrophe"
    default = revised.get(f"/doc/{SEED_ID}/compare.json").json
    assert (default["a"]["n"], default["b"]["n"]) == (1, 2)
    same = revised.get(f"/doc/{SEED_ID}/compare.json?a=2&b=2").json
    assert same["changed"] is False and same["metadata"] == []


def test_the_document_page_links_each_version_to_what_changed(revised):
    html = revised.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    assert f'href="/doc/{SEED_ID}/compare?a=1&amp;b=2">What changed from version 1</a>' in html


@pytest.mark.parametrize(
    ("query", "status"), [("a=3&b=1", 404), ("a=x", 400), ("a=1&a=2", 400), ("b=0", 404)]
)
def test_bad_versions_are_refused(revised, query, status):
    assert revised.get(f"/doc/{SEED_ID}/compare?{query}").status_code == status


def test_a_document_of_one_version_compares_with_itself(revised):
    data = revised.get("/doc/petition-minefield-maps-2021/compare.json").json
    assert data["versions"] == [1] and data["changed"] is False
    assert data["text_kind"] == "abstract"  # a catalogue record
    assert revised.get("/doc/no-such-doc/compare").status_code == 404
