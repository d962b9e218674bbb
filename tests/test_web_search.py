"""The search and browse pages through the real app over a real index of the bundled corpus."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode

import pytest

from archive.search.indexing import update_index
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from webui import create_app
from webui.search import PARAM_ORDER


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def hit_ids(html: str) -> list[str]:
    return re.findall(r'class="hit-title" href="/doc/([a-z0-9-]+)', html)


def test_landing_page_lists_every_document_with_facets_and_histogram(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<strong>{FIXTURE_DOCUMENTS}</strong> documents" in html
    assert len(hit_ids(html)) == FIXTURE_DOCUMENTS
    assert '<svg class="histogram"' in html
    assert re.search(r'<a href="/\?year=2021" aria-label="2021: \d+ documents">', html)
    assert 'name="treaty" value="gc-1949"' in html and 'name="treaty" value="gc-1949-iv"' in html


def test_full_text_search_highlights_and_links_with_the_query(client):
    html = client.get("/?q=mine+maps").get_data(as_text=True)
    assert SEED_ID in hit_ids(html)
    assert "<mark>" in html
    assert f'href="/doc/{SEED_ID}?q=mine+maps"' in html


def test_treaty_alias_is_resolved_and_shown(client):
    html = client.get('/?q=treaty:"Fourth Geneva Convention"').get_data(as_text=True)
    assert hit_ids(html) == [SEED_ID]
    assert "means Fourth Geneva Convention" in html


def test_facets_or_within_and_across_and_exclude(client):
    either = hit_ids(client.get("/?type=appeal&type=petition").get_data(as_text=True))
    assert sorted(either) == [
        "ngo-appeal-mine-maps-2021",
        "ngo-appeal-mine-victims-2023-04-29",
        "petition-minefield-maps-2021",
    ]
    both = hit_ids(client.get("/?type=appeal&treaty=gc-1949").get_data(as_text=True))
    assert both == [SEED_ID]
    without = hit_ids(client.get("/?type=appeal&not_treaty=gc-1949").get_data(as_text=True))
    assert without == ["ngo-appeal-mine-victims-2023-04-29"]


def test_date_range_with_day_precision(client):
    html = client.get("/?from=2021-03-25&to=2021-03-25").get_data(as_text=True)
    assert SEED_ID in hit_ids(html)
    assert "trilateral-statement-2020-11-10" not in hit_ids(html)
    assert 'value="2021-03-25"' in html


def test_empty_result_suggests_a_spelling_and_ways_to_widen(client):
    html = client.get("/?q=minse&type=appeal").get_data(as_text=True)
    assert "No documents found" in html
    assert 'class="suggestion">mines</a>' in html
    assert "remove all filters" in html


def test_json_twin_is_the_engine_result(client):
    data = client.get("/search.json?q=mines&type=appeal").json
    assert data["total"] == 2
    assert {h["id"] for h in data["hits"]} == {SEED_ID, "ngo-appeal-mine-victims-2023-04-29"}
    assert data["request"]["filters"] == {"type": ["appeal"]}
    assert (
        client.get("/?q=mines&type=appeal", headers={"Accept": "application/json"}).json["total"]
        == 2
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?treaty=no-such-treaty", "no-such-treaty"),
        ("?colour=red&q=mines", None),
        ("?from=2021-13-01", "from"),
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?size=1000", "size"),
        ("?q=" + "a" * 10_000, "query"),
        ('?q=treaty:"Protocol II"', "ambiguous"),
        ("?q=nofield:word", "unknown field"),
        ("?q=(unbalanced", None),
    ],
)
def test_bad_parameters_answer_400_with_a_readable_page_never_500(client, query, words):
    response = client.get("/" + query)
    if query.startswith("?colour"):
        assert response.status_code == 200  # unknown parameters are ignored
        return
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        html = response.get_data(as_text=True)
        assert "<h1>Bad request</h1>" in html
        if words:
            assert words in html.lower() or words in html
        assert "Traceback" not in html


def test_register_pages_list_records_with_counts(client):
    html = client.get("/treaties").get_data(as_text=True)
    assert re.search(
        r'href="/treaty/gc-1949-iv">Fourth Geneva Convention</a></td>\s*<td><code>gc-1949-iv</code></td>\s*<td class="count">1</td>',
        html,
    )
    data = client.get("/treaties.json").json
    assert {r["id"]: r["count"] for r in data["records"]}["apmbc-1997"] == 0
    assert client.get("/people.json").json["records"][0]["kind"] == "person"
    assert client.get("/organisations").status_code == client.get("/places").status_code == 200


def test_treaty_page_shows_the_record_and_documents_through_the_group(client):
    html = client.get("/treaty/gc-1949-iv").get_data(as_text=True)
    assert (
        "Geneva Convention (IV) relative to the Protection of Civilian Persons in Time of War"
        in html
    )
    assert 'href="https://ihl-databases.icrc.org/en/ihl-treaties/gciv-1949"' in html
    assert "1950-10-21" in html
    assert hit_ids(html) == [SEED_ID]
    data = client.get("/treaty/gc-1949.json").json
    assert [m["id"] for m in data["record"]["members"]] == [
        "gc-1949-i",
        "gc-1949-ii",
        "gc-1949-iii",
        "gc-1949-iv",
    ]
    assert data["documents"]["total"] == 1


def test_person_org_and_place_pages(client):
    person = client.get("/person/umud-mirzayev.json").json
    assert person["record"]["name"] == "Umud Mirzayev"
    # Signatory of the appeal, and named as an initiator (issuer) of the petition.
    assert sorted(h["id"] for h in person["documents"]["hits"]) == [
        SEED_ID,
        "petition-minefield-maps-2021",
    ]
    place = client.get("/place/ganja").get_data(as_text=True)
    assert "40.6828, 46.3606" in place
    org = client.get("/org/anama.json").json
    assert org["record"]["abbreviations"] == ["ANAMA"]
    assert SEED_ID in [h["id"] for h in org["documents"]["hits"]]


@pytest.mark.parametrize(
    "path", ["/treaty/no-such-treaty", "/person/NOPE", "/org/..", "/place/x%2Fy"]
)
def test_unknown_records_answer_404(client, path):
    assert client.get(path).status_code == 404


def test_document_page_links_to_browse_pages(client):
    html = client.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    assert '<a class="treaty" href="/treaty/gc-1949"' in html
    assert '<a href="/person/umud-mirzayev">Umud Mirzayev</a>' in html
    assert '<a class="place" href="/place/ganja"' in html


def test_a_running_app_sees_an_added_document_without_restarting(corpus_copy, tmp_path):
    from click.testing import CliRunner

    from archive.cli import main
    from archive.storage.store import Corpus

    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    assert client.get("/search.json?q=zebrawords").json["total"] == 0
    text = Corpus(corpus_copy).read_bytes(SEED_ID).decode()
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_text(
        text.replace("ecological catastrophe", "ecological catastrophe of zebrawords"),
        encoding="utf-8",
    )
    args = corpus_copy.arguments("add", "--revise", str(path))
    assert CliRunner().invoke(main, args).exit_code == 0
    found = client.get("/search.json?q=zebrawords").json
    assert [(h["id"], h["version"]) for h in found["hits"]] == [(SEED_ID, 2)]
    assert (
        client.get("/search.json").json["total"] == FIXTURE_DOCUMENTS
    )  # replaced, not added twice


def test_facet_links_are_canonical_urls_of_the_toggled_search(client):
    """Every facet link is the page's own search with one value excluded, written exactly as
    `urlencode` would (the links are built from pre-encoded pairs for speed)."""
    query = 'mine "maps" & ü+1'
    html = client.get(
        "/", query_string={"q": query, "type": "appeal", "from": "2000-01-01", "sort": "-date"}
    ).get_data(as_text=True)
    links = [unescape(href) for href in re.findall(r'<a class="exclude" href="([^"]+)"', html)]
    assert len(links) > 10
    for link in links:
        path, _, query_string = link.partition("?")
        pairs = parse_qsl(query_string)
        assert path == "/"
        assert query_string == urlencode(pairs)
        assert pairs == sorted(pairs, key=lambda pair: PARAM_ORDER[pair[0]])  # canonical
        assert pairs[-2:] == [("from", "2000-01-01"), ("sort", "-date")]
        assert pairs[0] == ("q", query)
        excluded = [(name, value) for name, value in pairs if name.startswith("not_")]
        assert len(excluded) == 1
        # Excluding the selected type unselects it; excluding anything else keeps it.
        assert (("type", "appeal") in pairs) == (excluded != [("not_type", "appeal")])


def test_the_exact_spelling_switch_is_in_the_form_and_kept_in_links(client):
    html = client.get("/?q=Mirzəyev&exact=1").get_data(as_text=True)
    assert '<input type="checkbox" id="exact" name="exact" value="1" checked>' in html
    assert "exact=1" in html  # facet and paging links keep it
    plain = client.get("/?q=Mirzəyev").get_data(as_text=True)
    assert '<input type="checkbox" id="exact" name="exact" value="1">' in plain
    assert client.get("/?q=x&exact=perhaps").status_code == 400
