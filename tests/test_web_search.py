"""The search and browse pages through the real app over a real index of the bundled corpus."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode

import pytest

from archive.search.indexing import update_index
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from webui import create_app
from webui.urls import PARAM_ORDER


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
    # The link carries the search (for the way back, the neighbours and the highlights).
    assert re.search(rf'href="/doc/{SEED_ID}\?from=q%3Dmine%2Bmaps&amp;hit=\d+"', html)


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
    # What was searched, and a way to keep the filters without the words.
    assert (
        'The archive searched for\n          <q class="searched">minse</q>, within 1 filter' in html
    )
    assert '<a href="/?type=appeal">search without the words, keeping the filters</a>' in html


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
        # The search page itself, the fault named where the results would be.
        assert "<h1>Search appeals and statements</h1>" in html
        assert "Bad request: this search cannot be run</h2>" in html
        if words:
            assert words in html.lower() or words in html
        assert "Traceback" not in html


def test_register_pages_list_records_with_counts(client):
    html = client.get("/treaties").get_data(as_text=True)
    assert re.search(
        r'href="/treaty/gc-1949-iv">Fourth Geneva Convention</a></td>\s*<td class="count">1</td>',
        html,
    )
    assert "<code>gc-1949-iv</code>" not in html  # no internal-id column
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


# --- issue 17, part 2: the search page as a researcher reads it ---------------------------


def test_a_bad_query_keeps_the_search_page_with_clickable_suggestions(client):
    response = client.get('/?q=treaty:"Fourth Genva Convention" mines&type=appeal&sort=-date')
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<h1>Search appeals and statements</h1>" in html
    # The box holds the query; the filter is still a ticked box of the form; the sort kept.
    assert 'value="treaty:&#34;Fourth Genva Convention&#34; mines"' in html
    assert re.search(r'name="type" value="appeal" checked>', html)
    assert '<option value="-date" selected>' in html
    assert "unknown treaty" in html and "Bad request</h1>" not in html
    fixed = urlencode(
        {"q": 'treaty:"Fourth Geneva Convention" mines', "type": "appeal", "sort": "-date"}
    )
    assert (
        f'<li><a href="/?{fixed.replace("&", "&amp;")}">treaty:&#34;Fourth Geneva Convention&#34; mines</a></li>'
        in html
    )
    # The suggestion works.
    assert client.get("/?" + fixed).status_code == 200


def test_a_bad_query_as_json_carries_the_corrected_searches(client):
    response = client.get('/search.json?q=treaty:"Fourth Genva Convention"')
    assert response.status_code == 400
    error = response.json["error"]
    assert error["suggestions"][0] == "Fourth Geneva Convention"
    assert error["suggested_searches"][0] == {
        "label": 'treaty:"Fourth Geneva Convention"',
        "url": "/?" + urlencode({"q": 'treaty:"Fourth Geneva Convention"'}),
    }


def test_a_misspelt_filter_is_offered_corrected_in_place(client):
    response = client.get("/?q=mines&type=apeal")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<a href="/?q=mines&amp;type=appeal">Type: appeal</a>' in html
    # The refused value stays in the form, so the page can be corrected and sent again.
    assert 'name="type" value="apeal" checked>' in html


def test_a_bad_setting_keeps_the_query_and_filters(client):
    response = client.get("/?q=mines&type=appeal&page=0")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="q" name="q" value="mines"' in html
    assert 'name="type" value="appeal" checked>' in html
    assert "page: must be a number" in html


def test_hits_show_who_speaks_the_date_and_its_certainty_the_treaties_and_records(client):
    data = client.get("/search.json?size=100").json
    hits = {h["id"]: h for h in data["hits"]}
    seed = hits[SEED_ID]
    assert seed["signatories"][:2] == ["Umud Mirzayev", "Rey Karimoglu"]
    assert seed["issued_uncertain"] is True and seed["issued_kind"] == "exact"
    assert {"id": "gc-1949", "name": "Geneva Conventions 1949"} in seed["treaties"]
    assert seed["catalogue_record"] is False
    bonn = hits["bonn-declaration-mine-maps-2021"]
    assert bonn["signatories"] == [] and bonn["issuers"][0]["kind"] == "org"
    assert bonn["issued_kind"] == "uncertain" and bonn["catalogue_record"] is True
    html = client.get("/?q=mine+maps").get_data(as_text=True)
    assert (
        "Signed by Umud Mirzayev, Rey Karimoglu, Hafiz Safikhanov, Shahin Ibrahimov and 1 other"
        in html
    )
    assert f"Issued by {bonn['issuers'][0]['name']}" in html
    assert "Cites Geneva Conventions 1949; Additional Protocols of 1977" in html
    assert (
        '<span class="hit-date">25 March 2021</span> <span class="uncertain">uncertain date</span>'
        in html
    )
    assert "catalogue record, no text" in html


def test_the_sort_control_says_what_the_list_is_sorted_by(client):
    everything = client.get("/search.json").json
    assert everything["request"]["sort"] == "relevance"
    assert everything["sorted_by"] == "-date"  # no words to rank by: newest first
    assert client.get("/search.json?q=mines").json["sorted_by"] == "relevance"
    assert client.get("/search.json?q=mines&sort=date").json["sorted_by"] == "date"
    html = client.get("/").get_data(as_text=True)
    assert "date, newest first (no words to rank)</option>" in html
    assert "sorted by date, newest first</p>" in html
    words = client.get("/?q=mines").get_data(as_text=True)
    assert '<option value="relevance" selected>relevance</option>' in words


def test_geneva_conventions_are_listed_in_their_own_order(corpus_copy):
    """I, II, III, IV as the register gives them, not "First, Fourth, Second, Third"."""
    from tests.conftest import copy_document

    copy_document(
        corpus_copy, SEED_ID, "made-up-appeal-all-conventions", {"ecological": "ecological"}
    )
    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    treaty = client.get("/search.json").json["facets"]["treaty"]
    group = next(v for v in treaty if v["value"] == "gc-1949")
    assert [c["value"] for c in group["children"]] == [
        "gc-1949-i",
        "gc-1949-ii",
        "gc-1949-iii",
        "gc-1949-iv",
    ]


def test_signatories_are_sorted_by_surname(client):
    values = client.get("/search.json").json["facets"]["signatory"]
    surnames = [v["label"].split()[-1] for v in values]
    assert len(surnames) > 3
    assert surnames == sorted(surnames, key=str.casefold)


def test_an_excluded_value_is_not_a_ticked_box_and_exclusion_is_quiet(client):
    html = client.get("/?not_type=appeal").get_data(as_text=True)
    facet = re.search(r'<fieldset class="facet facet-type">.*?</fieldset>', html, re.S).group(0)
    assert '<input type="hidden" name="not_type" value="appeal">' in facet
    assert 'type="checkbox" id="f-type-appeal"' not in facet
    assert "<s>appeal</s>" in facet and ">include<" in facet
    # Other values: one quiet sign each, named for screen readers, no "exclude" words shown.
    assert re.search(
        r'<a class="exclude" href="[^"]+" title="Leave out statement"><span class="visually-hidden">Exclude statement</span><span aria-hidden="true">⊖</span></a>',
        facet,
    )
    assert ">exclude</a>" not in html


def test_the_histogram_has_counts_and_an_axis_and_links_each_year(client):
    html = client.get("/").get_data(as_text=True)
    svg = re.search(r'<svg class="histogram".*?</svg>', html, re.S).group(0)
    counts = client.get("/search.json").json["facets"]["year"]
    for value in counts:
        assert f'aria-label="{value["value"]}: {value["count"]} document' in svg
        assert re.search(rf'<text class="count"[^>]*>{value["count"]}</text>', svg)
    assert '<line class="baseline"' in svg and '<text class="tick"' in svg
    top = max(v["count"] for v in counts)
    assert re.search(rf'<text class="tick"[^>]*>{top}</text>', svg)
    assert re.search(r'<text class="year"[^>]*>2021</text>', svg)


def test_the_filters_fold_into_one_control_counting_the_active_filters(client):
    html = client.get("/?type=appeal&not_treaty=gc-1949&from=2020").get_data(as_text=True)
    assert "<summary>Filters (3)</summary>" in html
    # The results come before the filters in the page's order (a phone shows them first).
    assert html.index('class="results"') < html.index('<details class="filters"')
    assert "<summary>Filters (0)</summary>" in client.get("/").get_data(as_text=True)


def test_a_document_opened_from_a_search_links_back_and_to_its_neighbours(client):
    listed = client.get("/search.json?q=mines&sort=date&size=100").json["hits"]
    ids = [h["id"] for h in listed]
    assert len(ids) >= 3
    html = client.get("/?q=mines&sort=date").get_data(as_text=True)
    link = unescape(re.search(rf'href="(/doc/{ids[1]}\?[^"]+)"', html).group(1))
    assert link == f"/doc/{ids[1]}?from=q%3Dmines%26sort%3Ddate&hit=2"
    page = client.get(link).get_data(as_text=True)
    nav = unescape(re.search(r'<nav class="hit-nav".*?</nav>', page, re.S).group(0))
    assert '<a href="/?q=mines&sort=date">← Back to the results</a>' in nav
    assert f'<a href="/doc/{ids[0]}?from=q%3Dmines%26sort%3Ddate&hit=1" rel="prev">' in nav
    assert f'<a href="/doc/{ids[2]}?from=q%3Dmines%26sort%3Ddate&hit=3" rel="next">' in nav
    assert "<mark>" in page  # the search's words are highlighted
    # The first hit has no previous one; a hit deep in the list goes back to its page.
    first = client.get(f"/doc/{ids[0]}?from=q%3Dmines%26sort%3Ddate&hit=1").get_data(as_text=True)
    assert 'rel="prev"' not in first and 'rel="next"' in first
    deep = client.get(f"/doc/{ids[2]}?from=q%3Dmines%26sort%3Ddate%26size%3D2&hit=3")
    assert 'href="/?q=mines&amp;sort=date&amp;page=2&amp;size=2">' in deep.get_data(as_text=True)


def test_a_document_link_with_a_stale_or_bad_search_still_opens(client):
    stale = client.get(f"/doc/{SEED_ID}?from=q%3Dmines&hit=99")
    assert stale.status_code == 200
    html = stale.get_data(as_text=True)
    assert "Back to the results" in html and 'rel="next"' not in html
    for bad in ("from=page%3D0&hit=1", "from=q%3Dmines&hit=x", "hit=1", "from=q%3D(&hit=1"):
        page = client.get(f"/doc/{SEED_ID}?{bad}")
        assert page.status_code == 200, bad
        assert "hit-nav" not in page.get_data(as_text=True), bad


def test_places_are_listed_as_a_tree(client):
    records = client.get("/places.json").json["records"]
    depth = {r["id"]: r["depth"] for r in records}
    order = [r["id"] for r in records]
    assert depth["azerbaijan"] == 0 and depth["karabakh"] == 1 and depth["aghdam"] == 2
    # Each place comes after the place it lies within, before the next sibling of that.
    assert order.index("azerbaijan") < order.index("karabakh") < order.index("aghdam")
    html = client.get("/places").get_data(as_text=True)
    tree = html[html.index('<ul class="tree">') : html.index("</section>")]
    azerbaijan = tree.index('href="/place/azerbaijan"')
    assert tree.index("<ul>", azerbaijan) < tree.index('href="/place/karabakh"')
    assert "<code>" not in tree


def test_people_are_listed_by_surname(client):
    names = [r["name"] for r in client.get("/people.json").json["records"]]
    surnames = [n.split()[-1].casefold() for n in names]
    assert surnames == sorted(surnames)


def test_a_persons_page_lists_what_they_signed_and_what_names_them(client):
    signer = client.get("/person/umud-mirzayev.json").json
    assert {h["id"] for h in signer["documents"]["hits"]} == {
        SEED_ID,
        "petition-minefield-maps-2021",
    }
    assert signer["named_in"]["total"] == 0  # named only where he signed
    named = client.get("/person/nadir-yusifov.json").json
    assert named["documents"]["total"] == 0
    assert [h["id"] for h in named["named_in"]["hits"]] == ["ngo-appeal-mine-victims-2023-04-29"]
    html = client.get("/person/nadir-yusifov").get_data(as_text=True)
    assert "Documents that name them (1)</h2>" in html
    assert 'href="/doc/ngo-appeal-mine-victims-2023-04-29"' in html


def test_alternative_names_are_a_list(client):
    html = client.get("/person/umud-mirzayev").get_data(as_text=True)
    names = re.search(r"<dt>Also called</dt><dd><ul class=\"names\">(.*?)</ul>", html).group(1)
    assert "<li>Umud Mirzəyev</li>" in names and "<li>Умуд Мирзаев</li>" in names


def test_a_refused_setting_drops_only_itself(client):
    response = client.get("/?q=mines&type=appeal&sort=-date&from=2021-13")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        '<option value="-date" selected>' in html and 'name="type" value="appeal" checked>' in html
    )
    assert "from: " in html
    # The kept filter's count is not known on a refused page: none is shown.
    assert re.search(
        r'value="appeal" checked>\s*<label[^>]*>appeal</label>\s*<span class="count"></span>', html
    )


def test_a_document_opened_from_a_search_needs_no_index(corpus_copy):
    client = create_app(corpus_copy, testing=True).test_client()  # never indexed
    response = client.get(f"/doc/{SEED_ID}?from=q%3Dmines&hit=1")
    assert response.status_code == 200
    assert "hit-nav" not in response.get_data(as_text=True)


def test_record_pages_list_documents_as_the_search_does(client):
    html = client.get("/treaty/gc-1949").get_data(as_text=True)
    assert '<p class="hit-by">Signed by Umud Mirzayev, Rey Karimoglu' in html
    assert '<span class="uncertain">uncertain date</span>' in html


def test_the_page_says_which_variants_were_searched_and_links_the_exact_search(client):
    html = client.get("/?q=mine+maps").get_data(as_text=True)
    assert "petition-minefield-maps-2021" in hit_ids(html)
    assert "Also searched: <q>mine</q> as minefield, landmine, APM." in re.sub(r"\s+", " ", html)
    link = re.search(r'<a href="([^"]+)">Search only the words as typed</a>', html)
    assert link is not None
    exact = client.get(unescape(link.group(1))).get_data(as_text=True)
    assert dict(parse_qsl(unescape(link.group(1)).split("?", 1)[1])) == {
        "q": "mine maps",
        "exact": "1",
    }
    assert "petition-minefield-maps-2021" not in hit_ids(exact)
    assert "Also searched" not in exact
    data = client.get("/search.json?q=mine+maps").get_json()
    assert data["expanded"] == [{"text": "mine", "also": ["minefield", "landmine", "APM"]}]


@pytest.mark.parametrize(
    "url", ["/?q=signatory:Smith", "/?signatory=Smith", "/?q=mines&org=Nobody"]
)
def test_a_name_no_register_holds_is_a_results_page_with_a_note(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>0</strong> documents" in html
    assert '<ul class="notes">' in html and "of the registers is called" in html
    assert 'id="q"' in html  # the search box, the query kept
    data = client.get(url, headers={"Accept": "application/json"}).get_json()
    assert data["total"] == 0 and len(data["notes"]) == 1


def test_treaties_are_read_and_suggested_as_researchers_abbreviate_them(client):
    data = client.get("/search.json?q=treaty:GC4").get_json()
    assert data["resolved"][0]["ids"] == ["gc-1949-iv"]
    assert data["resolved"][0]["labels"] == ["Fourth Geneva Convention"]
    refused = client.get("/search.json?q=treaty:GC5")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["suggestions"][0] == "GC IV"


def test_a_place_finds_places_within_it_and_its_facet_is_a_tree(client):
    html = client.get("/?q=place:Karabakh").get_data(as_text=True)
    assert len(hit_ids(html)) == 3
    facet = html.split('class="facet facet-place"', 1)[1].split("</fieldset>", 1)[0]
    # Karabakh is listed inside Azerbaijan's item, Aghdam inside Karabakh's.
    azerbaijan = facet.split('value="azerbaijan"', 1)[1]
    karabakh = azerbaijan.split('value="karabakh"', 1)[1]
    assert 'value="aghdam"' in karabakh.split("</ul>", 1)[0]
    record = client.get("/place/karabakh.json").get_json()
    assert record["documents"]["total"] == 3
