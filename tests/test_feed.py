"""/feed.atom: valid Atom 1.0 (the requirements of RFC 4287 checked one by one, and read by
feedparser), one entry per version with ids that never change."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from archive.storage import store
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from tests.synthetic import copy_id, make_corpus, revise_seed
from webui import create_app

A = "http://www.w3.org/2005/Atom"
NS = {"a": A}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def get_feed(client) -> tuple[bytes, etree._Element]:
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return response.data, etree.fromstring(response.data)


def _absolute_iri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme in ("urn", "tag")))


def check_rfc4287(feed: etree._Element) -> None:
    """The MUSTs of RFC 4287 for atom:feed and atom:entry (sections 4.1.1, 4.1.2, 4.2)."""
    assert feed.tag == f"{{{A}}}feed"

    def once(parent: etree._Element, name: str) -> etree._Element:
        found = parent.findall(f"a:{name}", NS)
        assert len(found) == 1, f"{parent.tag} must have exactly one {name}"
        return found[0]

    def at_most_once(parent: etree._Element, name: str) -> None:
        assert len(parent.findall(f"a:{name}", NS)) <= 1, f"{name} more than once"

    def check_common(element: etree._Element) -> None:
        assert _absolute_iri(once(element, "id").text)
        assert once(element, "title").text.strip()
        updated = once(element, "updated").text
        assert RFC3339.match(updated), updated
        for name in ("rights", "summary", "published", "content", "subtitle"):
            at_most_once(element, name)
        for link in element.findall("a:link", NS):
            assert link.get("href")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in element.findall("a:link", NS)
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates)), "two alternate links of one type"
        for author in element.findall("a:author", NS):
            assert once(author, "name").text.strip()

    check_common(feed)
    feed_has_author = feed.find("a:author", NS) is not None
    self_links = feed.findall("a:link[@rel='self']", NS)
    assert len(self_links) == 1  # SHOULD in the RFC; this archive always says where it is
    ids = []
    for entry in feed.findall("a:entry", NS):
        check_common(entry)
        assert feed_has_author or entry.find("a:author", NS) is not None
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall("a:link", NS)
        )
        assert entry.find("a:content", NS) is not None or has_alternate
        ids.append(entry.findtext("a:id", namespaces=NS))
    assert len(ids) == len(set(ids)), "entry ids must be unique in a feed"


def test_the_feed_is_atom_1_0(bundled_config):
    data, feed = get_feed(create_app(bundled_config, testing=True).test_client())
    check_rfc4287(feed)
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == FIXTURE_DOCUMENTS
    assert parsed.feed.title == "Appeals Archive: latest additions and versions"
    assert parsed.feed.links[0].href == "http://localhost/feed.atom"


def test_a_new_version_is_a_new_entry_and_old_ids_stay(corpus_copy, tmp_path):
    client = create_app(corpus_copy, testing=True).test_client()
    _, before = get_feed(client)
    before_ids = before.xpath("a:entry/a:id/text()", namespaces=NS)
    revise_seed(corpus_copy, message="Second reading of the source.", now="2026-12-11T10:00:00Z")
    store.withdraw(
        corpus_copy, "bonn-declaration-mine-maps-2021", "Duplicate.", now="2026-12-11T09:00:00Z"
    )
    _, feed = get_feed(client)
    check_rfc4287(feed)
    first = feed.find("a:entry", NS)
    assert first.findtext("a:id", namespaces=NS) == f"https://appeals-archive.org/doc/{SEED_ID}/v2"
    assert first.findtext("a:title", namespaces=NS).endswith("(version 2)")
    assert first.findtext("a:updated", namespaces=NS) == "2026-12-11T10:00:00Z"
    assert first.findtext("a:summary", namespaces=NS) == "Second reading of the source."
    assert feed.findtext("a:updated", namespaces=NS) == "2026-12-11T10:00:00Z"
    assert first.find("a:link", NS).get("href") == f"http://localhost/doc/{SEED_ID}/v2"
    after_ids = feed.xpath("a:entry/a:id/text()", namespaces=NS)
    withdrawn = "https://appeals-archive.org/doc/bonn-declaration-mine-maps-2021"
    expected = set(before_ids) - {f"{withdrawn}/v1"} | {f"{withdrawn}#withdrawn"}
    assert set(after_ids) == expected | {first.findtext("a:id", namespaces=NS)}
    assert client.get(f"/doc/{SEED_ID}/v2").status_code == 200  # the entry's link resolves


def test_the_feed_holds_the_latest_fifty_latest_first(tmp_path):
    config = make_corpus(tmp_path, 80)
    _, feed = get_feed(create_app(config, testing=True).test_client())
    check_rfc4287(feed)
    entries = feed.findall("a:entry", NS)
    assert len(entries) == 50
    stamps = [datetime.fromisoformat(e.findtext("a:updated", namespaces=NS)) for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    # The bundled documents (versions of 2026) first, then the copies (of 2025), latest first.
    first_copy = entries[FIXTURE_DOCUMENTS].findtext("a:id", namespaces=NS)
    assert first_copy.endswith(f"/doc/{copy_id(79)}/v1")
    last = 79 - (49 - FIXTURE_DOCUMENTS)
    assert entries[49].findtext("a:id", namespaces=NS).endswith(f"/doc/{copy_id(last)}/v1")


def test_an_old_version_keeps_its_own_title_and_authors(corpus_copy, tmp_path):
    text = store.Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    old_title = "Appeal of Azerbaijani civil society organisations to the UN"
    assert old_title in text
    revised = text.replace(old_title, "Corrected title of the appeal to the UN", 1)
    revised = revised.replace("Mammadhasan Hasanov", "Mammadhasan Hasanli")
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_text(revised, encoding="utf-8")
    store.add(
        corpus_copy,
        [path],
        revise=True,
        message="Title and a name corrected.",
        now="2026-12-11T10:00:00Z",
    )
    _, feed = get_feed(create_app(corpus_copy, testing=True).test_client())
    entries = {e.findtext("a:id", namespaces=NS): e for e in feed.findall("a:entry", NS)}
    v1 = entries[f"https://appeals-archive.org/doc/{SEED_ID}/v1"]
    v2 = entries[f"https://appeals-archive.org/doc/{SEED_ID}/v2"]
    assert v1.findtext("a:title", namespaces=NS).startswith(old_title)
    assert v2.findtext("a:title", namespaces=NS).startswith("Corrected title")
    names = lambda e: e.xpath("a:author/a:name/text()", namespaces=NS)  # noqa: E731
    assert "Mammadhasan Hasanov" in names(v1) and "Mammadhasan Hasanli" not in names(v1)
    assert "Mammadhasan Hasanli" in names(v2)


def test_a_withdrawal_is_news_and_moves_the_feed(corpus_copy):
    client = create_app(corpus_copy, testing=True).test_client()
    gone = "bonn-declaration-mine-maps-2021"
    store.withdraw(corpus_copy, gone, "Duplicate of another record.", now="2026-12-12T08:00:00Z")
    data, feed = get_feed(client)
    check_rfc4287(feed)
    assert feed.findtext("a:updated", namespaces=NS) == "2026-12-12T08:00:00Z"
    first = feed.find("a:entry", NS)
    assert (
        first.findtext("a:id", namespaces=NS) == f"https://appeals-archive.org/doc/{gone}#withdrawn"
    )
    assert first.findtext("a:title", namespaces=NS).startswith("Withdrawn: Declaration")
    assert "Duplicate of another record." in first.findtext("a:summary", namespaces=NS)
    href = first.find("a:link", NS).get("href")
    assert href == f"http://localhost/doc/{gone}"
    assert client.get(href).status_code == 410  # the tombstone page
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert parsed.entries[0].title.startswith("Withdrawn:")


# --- a search's feed ---------------------------------------------------------------------


def get_search_feed(client, query: str) -> tuple[bytes, etree._Element]:
    response = client.get(f"/search.atom?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return response.data, etree.fromstring(response.data)


def entry_ids(feed: etree._Element) -> list[str]:
    return feed.xpath("a:entry/a:id/text()", namespaces=NS)


@pytest.fixture(scope="module")
def search_client(bundled_config):
    from archive.search.indexing import update_index

    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def test_a_search_feed_is_atom_1_0_of_the_documents_it_finds(search_client):
    client = search_client
    data, feed = get_search_feed(client, "q=mines&place=Azerbaijan&sort=date&page=1")
    check_rfc4287(feed)
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == 'Appeals Archive: search "mines", place: Azerbaijan'
    # Its id and self link are the search's, without paging or order.
    assert feed.findtext("a:id", namespaces=NS).endswith("/search.atom?q=mines&place=Azerbaijan")
    self_link = feed.find("a:link[@rel='self']", NS).get("href")
    assert self_link == "http://localhost/search.atom?q=mines&place=Azerbaijan"
    found = client.get("/search.json?q=mines&place=Azerbaijan&size=100").get_json()
    expected = {f"https://appeals-archive.org/doc/{h['id']}/v1" for h in found["hits"]}
    assert set(entry_ids(feed)) == expected and 0 < len(expected) < FIXTURE_DOCUMENTS


def test_a_search_feed_tells_new_versions_of_what_it_finds_and_nothing_else(corpus_copy):
    from archive.search.indexing import update_index

    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    _, before = get_search_feed(client, "q=signatory:Mirzayev")
    assert len(entry_ids(before)) == 2  # the seed appeal and the petition
    revise_seed(corpus_copy, message="Second reading of the source.", now="2026-12-11T10:00:00Z")
    update_index(corpus_copy)
    _, after = get_search_feed(client, "q=signatory:Mirzayev")
    check_rfc4287(after)
    first = after.find("a:entry", NS)
    assert first.findtext("a:id", namespaces=NS) == f"https://appeals-archive.org/doc/{SEED_ID}/v2"
    assert set(entry_ids(after)) == set(entry_ids(before)) | {first.findtext("a:id", namespaces=NS)}
    assert after.findtext("a:updated", namespaces=NS) == "2026-12-11T10:00:00Z"
    # A search that does not find the seed is not told of its new version.
    _, other = get_search_feed(client, "q=Bonn")
    assert all(SEED_ID not in i for i in entry_ids(other))
    # A name no register holds: an empty, valid feed, not an error.
    _, empty = get_search_feed(client, "signatory=Smith")
    check_rfc4287(empty)
    assert entry_ids(empty) == []


def test_the_results_page_links_its_feed(search_client):
    client = search_client
    html = client.get("/?q=mines&treaty=apmbc-1997&place=Azerbaijan&page=1&size=5").get_data(
        as_text=True
    )
    feed = "/search.atom?q=mines&amp;treaty=apmbc-1997&amp;place=Azerbaijan"
    assert (
        f'<link rel="alternate" type="application/atom+xml" '
        f'title="New documents and versions this search finds" href="{feed}">'
    ) in html
    assert f'<a href="{feed}" type="application/atom+xml">' in html
    assert client.get(feed.replace("&amp;", "&")).status_code == 200
