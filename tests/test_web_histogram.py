"""The year histogram of the search page (webui/histogram.py), read as a browser reads it
(lxml's HTML parser) through the real app over a real index, against the JSON twin."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from lxml import html as lxml_html

from archive.search.indexing import update_index
from webui import create_app


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def bars(client, own: list[tuple[str, str]]) -> dict[str, tuple]:
    """Each bar's year: its link's parameters, its label, its rectangle's class and title."""
    page = lxml_html.fromstring(client.get("/?" + urlencode(own)).get_data(as_text=True))
    (svg,) = page.xpath('//svg[@class="histogram"]')
    out = {}
    for link in svg.xpath("./a"):
        path, _, query = link.get("href").partition("?")
        pairs = parse_qsl(query)
        assert path == "/" and query == urlencode(pairs)
        (rect,) = link.xpath("./rect")
        year = rect.xpath("./title")[0].text.split(":")[0]
        out[year] = (
            pairs,
            link.get("aria-label"),
            rect.get("class"),
            rect.xpath("./title")[0].text,
        )
    return out


def test_each_year_with_documents_is_a_bar_linking_to_the_search_in_that_year(client):
    own = [("q", "mines"), ("not_type", "petition"), ("sort", "date")]
    years = client.get("/search.json?" + urlencode(own)).json["facets"]["year"]
    drawn = bars(client, own)
    assert set(drawn) == {v["value"] for v in years if v["count"]} and len(drawn) > 1
    for v in years:
        pairs, label, css, title = drawn[v["value"]]
        noun = "document" if v["count"] == 1 else "documents"
        assert label == f"{v['value']}: {v['count']} {noun}" and css == "bar"
        assert title == f"{v['value']}: {v['count']}"
        # Canonical order: the words, the filters, the exclusions, the order.
        assert pairs == [
            ("q", "mines"),
            ("year", v["value"]),
            ("not_type", "petition"),
            ("sort", "date"),
        ]


def test_with_years_chosen_each_bar_shows_its_year_alone_and_the_only_one_goes_back(client):
    drawn = bars(client, [("q", "mines"), ("year", "2021"), ("year", "2024")])
    assert {"2021", "2024"} < set(drawn)
    for year, (pairs, label, css, _) in drawn.items():
        assert pairs == [("q", "mines"), ("year", year)]  # the years chosen are replaced
        chosen = year in ("2021", "2024")
        assert label.endswith("(shown)") == chosen and css == ("bar selected" if chosen else "bar")
    pairs, label, _, _ = bars(client, [("q", "mines"), ("year", "2021")])["2021"]
    assert pairs == [("q", "mines")] and label.endswith("(shown)")  # back to every year


def test_a_refused_search_draws_no_histogram(client):
    response = client.get('/?q=treaty:"Fourth Genva Convention"&year=2021')
    assert response.status_code == 400
    assert '<svg class="histogram"' not in response.get_data(as_text=True)
