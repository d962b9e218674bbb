"""The search page's facet lists (webui/facets.py), read as a browser reads them (lxml's HTML
parser) through the real app over a real index, against the JSON twin of the same search.

The organisation and the appeal added here are invented, for the tests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from archive.cli import main
from archive.config import Config
from archive.search.indexing import update_index
from webui import create_app
from webui.facets import SHOWN
from webui.urls import PARAM_ORDER


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def facet_list(page: str, name: str):
    """The list of values in facet `name`'s fieldset."""
    (ul,) = lxml_html.fromstring(page).xpath(f'//fieldset[@class="facet facet-{name}"]/ul')
    return ul


def value_items(ul) -> list:
    """The items of a list that are values (not the "N more" item), folded ones included."""
    out = []
    for li in ul.xpath("./li"):
        details = li.xpath("./details")
        if details:
            out += value_items(details[0].xpath("./ul")[0])
        else:
            out.append(li)
    return out


def every_item(ul) -> list:
    """Every value's item, each followed by its members' (depth first, as `flat`)."""
    return [
        x
        for li in value_items(ul)
        for x in (li, *(y for m in li.xpath("./ul") for y in every_item(m)))
    ]


def item_value(li) -> str:
    return li.xpath("./input")[0].get("value")


def tree(ul) -> list:
    """(value, members) for each item of a list, members as a tree of their own."""
    return [(item_value(li), [*map(tree, li.xpath("./ul"))]) for li in value_items(ul)]


def json_tree(values: list[dict]) -> list:
    return [(v["value"], [json_tree(v["children"])] if v["children"] else []) for v in values]


def flat(values: list[dict]) -> list[dict]:
    return [x for v in values for x in (v, *flat(v["children"]))]


def link_pairs(href: str) -> list[tuple[str, str]]:
    """A link's parameters, checked to be written as `urlencode` writes them."""
    path, _, query = href.partition("?")
    pairs = parse_qsl(query)
    assert path == "/" and query == urlencode(pairs)
    return pairs


def canonical(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: PARAM_ORDER[pair[0]])


def test_each_value_has_its_box_label_count_and_exclude_link_as_the_json_says(client):
    own = [("q", "mines"), ("from", "2020-01-01"), ("sort", "-date")]
    page = client.get("/?" + urlencode(own)).get_data(as_text=True)
    facets = client.get("/search.json?" + urlencode(own)).json["facets"]
    assert sum(len(flat(values)) for values in facets.values()) > 30
    for name, values in facets.items():
        ul = facet_list(page, name)
        # The same values in the same order, members nested inside their group's item.
        assert tree(ul) == json_tree(values), name
        for v, li in zip(flat(values), every_item(ul), strict=True):
            (box,) = li.xpath("./input")
            assert (box.get("type"), box.get("name"), box.get("value")) == (
                "checkbox",
                name,
                v["value"],
            )
            assert box.get("id") == f"f-{name}-{v['value']}" and box.get("checked") is None
            (label,) = li.xpath("./label")
            assert label.get("for") == box.get("id") and label.text == v["label"]
            assert li.xpath('./span[@class="count"]')[0].text == f"{v['count']:,}"
            (link,) = li.xpath('./a[@class="exclude"]')
            assert link.get("title") == f"Leave out {v['label']}"
            hidden, sign = link.xpath("./span")
            assert (hidden.get("class"), hidden.text) == (
                "visually-hidden",
                f"Exclude {v['label']}",
            )
            assert (sign.get("aria-hidden"), sign.text) == ("true", "⊖")
            # The page's own search with this value left out, page 1, in canonical order.
            assert link_pairs(link.get("href")) == canonical([*own, (f"not_{name}", v["value"])])


def test_a_ticked_value_is_checked_and_leaving_it_out_unticks_it(client):
    page = client.get("/?type=appeal&lang=en").get_data(as_text=True)
    items = {item_value(li): li for li in value_items(facet_list(page, "type"))}
    assert items["appeal"].xpath("./input")[0].get("checked") is not None
    assert items["statement"].xpath("./input")[0].get("checked") is None
    swap = items["appeal"].xpath('./a[@class="exclude"]')[0].get("href")
    assert link_pairs(swap) == [("lang", "en"), ("not_type", "appeal")]
    other = items["statement"].xpath('./a[@class="exclude"]')[0].get("href")
    assert link_pairs(other) == [("type", "appeal"), ("lang", "en"), ("not_type", "statement")]


def test_an_excluded_value_is_struck_through_kept_in_the_form_and_can_be_included_again(client):
    page = client.get("/?q=mines&not_type=statement&not_type=petition").get_data(as_text=True)
    ul = facet_list(page, "type")
    excluded = ul.xpath('.//li[@class="excluded"]')
    assert len(excluded) == 2
    for li, value, kept in zip(
        excluded, ("statement", "petition"), ("petition", "statement"), strict=True
    ):
        (field,) = li.xpath("./input")
        assert (field.get("type"), field.get("name"), field.get("value")) == (
            "hidden",
            "not_type",
            value,
        )
        assert li.xpath("./span[@class='label']/s")[0].text == value
        assert li.xpath("./span[@class='label']/span[@class='tag']")[0].text == "excluded"
        assert li.xpath("./span[@class='mark']")[0].get("aria-hidden") == "true"
        assert li.xpath("./span[@class='count']")[0].text is None
        (link,) = li.xpath('./a[@class="include"]')
        assert link.text == "include"
        assert link.xpath("./span")[0].text_content() == f" {value} again"
        assert link_pairs(link.get("href")) == [("q", "mines"), ("not_type", kept)]
    assert not ul.xpath('.//input[@type="checkbox"][@value="statement"]')


def test_values_past_the_first_wait_behind_more_unfolded_when_one_is_chosen(client):
    values = client.get("/search.json").json["facets"]["org"]
    assert len(values) > SHOWN + 1
    folded = values[SHOWN]["value"]

    def more(path: str):
        ul = facet_list(client.get(path).get_data(as_text=True), "org")
        items = ul.xpath("./li")
        assert len(items) == SHOWN + 1 and all(li.xpath("./input") for li in items[:SHOWN])
        (details,) = items[SHOWN].xpath("./details")
        assert details.xpath("./summary")[0].text == f"{len(values) - SHOWN} more"
        return details

    assert more("/").get("open") is None
    assert more(f"/?org={folded}").get("open") is not None
    assert more(f"/?not_org={folded}").get("open") is not None


def test_treaties_and_places_are_trees_in_the_registers_order(client):
    page = client.get("/").get_data(as_text=True)
    treaties = dict(tree(facet_list(page, "treaty")))
    assert [value for value, _ in treaties["gc-1949"][0]] == [
        "gc-1949-i",
        "gc-1949-ii",
        "gc-1949-iii",
        "gc-1949-iv",
    ]
    places = dict(tree(facet_list(page, "place")))
    karabakh = dict(dict(places["azerbaijan"][0])["karabakh"][0])
    assert "aghdam" in karabakh


def test_a_refused_search_lists_its_filters_without_counts(client):
    response = client.get('/?q=treaty:"Fourth Genva Convention"&type=appeal&not_lang=ru')
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    (appeal,) = value_items(facet_list(page, "type"))
    assert appeal.xpath("./input")[0].get("checked") is not None
    assert appeal.xpath("./span[@class='count']")[0].text is None
    (russian,) = value_items(facet_list(page, "lang"))
    assert russian.get("class") == "excluded"


def run(config: Config, *args: str) -> None:
    result = CliRunner().invoke(main, config.arguments(*args))
    assert result.exit_code == 0, result.output


FUND = 'Made-up <Aid> & "Relief" Fund'
FUND_RECORD = """
[[record]]
kind = "org"
id = "made-up-relief-fund"
name = 'Made-up <Aid> & "Relief" Fund'
type = "ngo"
"""
APPEAL_FACTS = """
id = "made-up-relief-fund-appeal-2022-05-01"
type = "appeal"
lang = "en"
title = "Appeal of the Made-up Relief Fund on Cleared Fields"
issuers = ["org:made-up-relief-fund"]
treaties = ["treaty:apmbc-1997"]
summary = "[[org:made-up-relief-fund|The fund]] asks for the fields near [[place:tartar|Tartar]] to be cleared."
made = "Catalogue record of an invented appeal, for the tests."

[issued]
when = "2022-05-01"
cert = "high"
evidence = "The date line of the invented appeal."

[[sources]]
url = "https://fund.example.org/appeals/cleared-fields"
publisher = "org:made-up-relief-fund"
kind = "original"
date = "2022-05-01"
"""


def test_a_served_facet_list_follows_the_index_and_the_registers_and_escapes_labels(
    corpus_copy: Config, tmp_path: Path
):
    """A value's markup is made once and remembered: the running app must still list a
    value that an added document brings, and the new name of a renamed record, and a name
    holding markup characters is text wherever it is written (label, title, hidden text)."""
    (tmp_path / "fund.toml").write_text(FUND_RECORD, encoding="utf-8")
    run(corpus_copy, "register", "add", str(tmp_path / "fund.toml"), "-m", "invented")
    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()

    def fund_item():
        page = client.get("/").get_data(as_text=True)
        items = value_items(facet_list(page, "org"))
        found = [li for li in items if item_value(li) == "made-up-relief-fund"]
        return page, found[0] if found else None

    assert fund_item()[1] is None
    (tmp_path / "facts.toml").write_text(APPEAL_FACTS, encoding="utf-8")
    record = tmp_path / "appeal.xml"
    run(corpus_copy, "catalogue", str(tmp_path / "facts.toml"), "-o", str(record))
    run(corpus_copy, "add", str(record))

    page, item = fund_item()
    assert item is not None
    assert item.xpath("./label")[0].text == FUND
    assert item.xpath("./span[@class='count']")[0].text == "1"
    link = item.xpath('./a[@class="exclude"]')[0]
    assert link.get("title") == f"Leave out {FUND}"
    assert link.xpath("./span")[0].text == f"Exclude {FUND}"
    assert link_pairs(link.get("href")) == [("not_org", "made-up-relief-fund")]
    escaped = "Made-up &lt;Aid&gt; &amp; &#34;Relief&#34; Fund"
    written = page.split('class="facet facet-org"', 1)[1].split("</fieldset>", 1)[0]
    assert written.count(escaped) == 3 and "<Aid>" not in page

    run(corpus_copy, "register", "edit", "org", "made-up-relief-fund", "--name",
        "Made-up Relief Fund of the Plains", "-m", "renamed")  # fmt: skip
    page, item = fund_item()
    assert item.xpath("./label")[0].text == "Made-up Relief Fund of the Plains"
    assert escaped not in page
