"""/export through the real Flask app: every format, the file name, streaming, refusals."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import bibtexparser
import pytest
import rispy
from flask import request

from archive.search.indexing import update_index
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_DOCUMENTS
from tests.synthetic import make_corpus
from webui import create_app

FILENAME = re.compile(r'^attachment; filename="appeals-archive-all-\d{8}T\d{6}Z\.(\w+)"$')


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


@pytest.mark.parametrize(
    ("fmt", "media_type", "extension"),
    [
        ("zip", "application/zip", "zip"),
        ("tei", "application/tei+xml", "xml"),
        ("jsonl", "application/x-ndjson", "jsonl"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("bibtex", "application/x-bibtex; charset=utf-8", "bib"),
        ("ris", "application/x-research-info-systems; charset=utf-8", "ris"),
    ],
)
def test_every_format_downloads_with_a_generated_file_name(client, fmt, media_type, extension):
    response = client.get(f"/export?format={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == media_type
    match = FILENAME.match(response.headers["Content-Disposition"])
    assert match and match.group(1) == extension
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_downloads_hold_every_document(client, bundled_config):
    ids = Corpus(bundled_config).ids()
    with zipfile.ZipFile(io.BytesIO(client.get("/export?format=zip").data)) as bag:
        assert (
            sorted(n.rsplit("/", 1)[1][:-4] for n in bag.namelist() if "/data/documents/" in n)
            == ids
        )
    lines = client.get("/export?format=jsonl").get_data(as_text=True).splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids
    rows = csv.DictReader(io.StringIO(client.get("/export?format=csv").get_data(as_text=True)))
    assert [row["id"] for row in rows] == ids
    library = bibtexparser.parse_string(client.get("/export?format=bibtex").get_data(as_text=True))
    assert len(library.entries) == FIXTURE_DOCUMENTS
    assert (
        len(rispy.loads(client.get("/export?format=ris").get_data(as_text=True)))
        == FIXTURE_DOCUMENTS
    )
    # The documents, then the four registers.
    assert client.get("/export?format=tei").data.count(b"<TEI ") == FIXTURE_DOCUMENTS + 4


def test_the_response_streams_in_chunks_as_they_are_made(tmp_path):
    config = make_corpus(tmp_path, 150)
    client = create_app(config, testing=True).test_client()
    response = client.get("/export?format=zip", buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04") and len(first) < 200_000
    rest = list(chunks)
    assert len(rest) >= 3  # the bag left in pieces, not as one body
    response.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=pdf", "unknown export format &#39;pdf&#39;: choose one of zip, tei"),
        ("", "give one export format"),
        ("format=zip&format=csv", "give one export format"),
        ("format=zip&treaty=no-such-treaty", "no-such-treaty"),
        ("format=zip&q=treaty:%22Protocol+II%22", "ambiguous"),
    ],
)
def test_a_bad_request_answers_400_with_a_readable_message(client, query, message):
    response = client.get(f"/export?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers


def test_a_bad_request_answers_json_to_programs(client):
    response = client.get(
        "/export?format=x%0d%0aSet-Cookie:%20a=b", headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("unknown export format")
    assert "Set-Cookie" not in response.headers


def test_pages_can_offer_export_links_for_their_results(bundled_config):
    app = create_app(bundled_config, testing=True)
    with app.test_request_context("/?q=mine+maps&type=appeal&page=3"):
        render = app.jinja_env.from_string(
            "{% for link in export_links(request.args.items(multi=True)) %}"
            "<a href='{{ link.url }}'>{{ link.label }}</a>{% endfor %}"
        )
        html = render.render(request=request)
    assert html.count("<a ") == 6
    assert "href='/export?q=mine+maps&amp;type=appeal&amp;format=zip'" in html
    assert "page=" not in html


def test_a_search_export_holds_exactly_the_search_results_in_order(client):
    response = client.get("/export?q=mines&sort=-date&format=jsonl")
    assert response.status_code == 200
    exported = [json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines()]
    found = client.get("/search.json?q=mines&sort=-date").json
    assert exported == [hit["id"] for hit in found["hits"]] and len(exported) == found["total"]
    assert 'filename="appeals-archive-search-' in response.headers["Content-Disposition"]


def test_a_bag_of_every_version_from_the_web_and_a_clear_400_for_other_formats(client):
    response = client.get("/export?format=zip&versions=all")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as bag:
        assert any("/data/versions/ngo-appeal-mine-maps-2021.v1.xml" in n for n in bag.namelist())
    refused = client.get("/export?format=csv&versions=all")
    assert refused.status_code == 400
    assert "versions=all needs format zip" in refused.get_data(as_text=True)
