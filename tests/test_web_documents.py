"""Document pages through the real Flask app: permalinks, versions, downloads, errors, headers."""

from __future__ import annotations

import hashlib
import json
import re

import bibtexparser
import pytest
import rispy

from archive.search import update_index
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import SEED_ID
from webui import create_app


@pytest.fixture(scope="module")
def client(bundled_config):
    return create_app(bundled_config, testing=True).test_client()


@pytest.fixture
def revised_client(corpus_copy, tmp_path):
    """An app over a corpus where the seed has two versions and a record was withdrawn."""
    text = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_text(text.replace("ecological catastrophe", "ecological disaster"), encoding="utf-8")
    store.add(
        corpus_copy,
        [path],
        revise=True,
        message="Second reading of the source.",
        now="2026-11-27T10:00:00Z",
    )
    store.withdraw(
        corpus_copy,
        "bonn-declaration-mine-maps-2021",
        "Duplicate <b>record</b>",
        now="2026-11-27T11:00:00Z",
    )
    return create_app(corpus_copy, testing=True).test_client()


def test_latest_page_shows_the_document_with_cite_as_and_sha256(client, bundled_config):
    response = client.get(f"/doc/{SEED_ID}")
    assert response.status_code == 200
    assert (
        response.headers["Link"] == f'<https://appeals-archive.org/doc/{SEED_ID}/v1>; rel="cite-as"'
    )
    html = response.get_data(as_text=True)
    data = (bundled_config.documents_dir / f"{SEED_ID}.xml").read_bytes()
    assert hashlib.sha256(data).hexdigest() in html
    assert "Umud Mirzayev" in html and "Mammadhasan Hasanov" in html
    assert "25 March 2021" in html and "uncertain date" in html


def test_text_marks_treaties_people_places_and_dates(client):
    html = client.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    assert re.search(
        r'<(a|span) class="treaty"[^>]*title="Geneva Conventions 1949"[^>]*>the 1949 Geneva Conventions<',
        html,
    )
    assert re.search(
        r'<time class="date" datetime="2020-09-27" title="27 September 2020 to 10 November 2020">44 days</time>',
        html,
    )
    assert re.search(r'<(a|span) class="place"[^>]*title="Ganja"[^>]*>Ganja<', html)
    assert '<a class="doc" href="/doc/trilateral-statement-2020-11-10"' in html


def test_query_words_are_highlighted_when_arriving_from_a_search(client):
    html = client.get(f"/doc/{SEED_ID}?q=mines+treaty:gc-1949").get_data(as_text=True)
    assert "<mark>mines</mark>" in html
    assert "<mark>Mine</mark>" in html


def test_query_words_are_highlighted_in_the_documents_language(client, bundled_config):
    update_index(bundled_config)  # the languages of a query are those the index holds
    record = "azerbaijan-mfa-statement-mine-maps-2021-07-03"
    html = client.get(f"/doc/{record}?q=карта").get_data(as_text=True)
    assert "<mark>карты</mark>" in html
    assert "<mark>treaty" not in html


def test_highwire_and_dublin_core_tags(client):
    html = client.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    authors = re.findall(r'<meta name="citation_author" content="([^"]+)">', html)
    assert authors == [
        "Mirzayev, Umud",
        "Karimoglu, Rey",
        "Safikhanov, Hafiz",
        "Ibrahimov, Shahin",
        "Hasanov, Mammadhasan",
    ]
    assert '<meta name="DC.type" content="letter">' in html
    assert (
        f'<meta name="citation_public_url" content="https://appeals-archive.org/doc/{SEED_ID}/v1">'
        in html
    )
    assert '<meta name="citation_date" content="2021/03/25">' in html
    assert "DC.identifier" not in html  # Zotero reads an identifier with "10/..." as a DOI


def test_an_organisation_is_never_offered_to_zotero_as_a_person(client):
    """Zotero's Embedded Metadata takes creators from citation_author, DC.creator, then
    <meta name="author">, then elements of class byline/vcard, and splits each into given
    and family name: none of these may carry the issuing organisation."""
    html = client.get("/doc/bonn-declaration-mine-maps-2021").get_data(as_text=True)
    assert not re.findall(r'<meta name="(citation_author|DC\.creator|author)"', html)
    assert not re.search(r'class="[^"]*\b(byline|bylines|vcard|article-byline)\b', html)
    assert '<meta name="citation_publisher" content="German-Azerbaijan House of Culture">' in html
    assert '<meta name="DC.type" content="document">' in html


def test_xml_download_is_the_stored_bytes(client, bundled_config):
    response = client.get(f"/doc/{SEED_ID}.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/tei+xml"
    assert response.data == (bundled_config.documents_dir / f"{SEED_ID}.xml").read_bytes()
    assert response.headers["Content-Disposition"] == f'inline; filename="{SEED_ID}-v1.xml"'


def test_json_twin_by_suffix_and_by_accept_header(client):
    by_suffix = client.get(f"/doc/{SEED_ID}.json")
    by_accept = client.get(f"/doc/{SEED_ID}", headers={"Accept": "application/json"})
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_suffix.json == by_accept.json
    data = by_suffix.json
    assert data["version"] == 1 and data["is_latest"]
    assert data["document"]["signatories"][0]["name"] == "Umud Mirzayev"
    assert data["sha256"] == data["document"]["sha256"]
    assert by_suffix.headers["Link"].endswith('rel="cite-as"')


def test_citation_downloads_parse(client):
    bib = client.get(f"/doc/{SEED_ID}.bib")
    assert bib.headers["Content-Disposition"] == f'attachment; filename="{SEED_ID}-v1.bib"'
    assert bibtexparser.parse_string(bib.get_data(as_text=True)).entries[0]["year"] == "2021"
    ris = client.get(f"/doc/{SEED_ID}/v1.ris")
    assert rispy.loads(ris.get_data(as_text=True))[0]["type_of_reference"] == "PCOMM"
    csl = json.loads(client.get(f"/doc/{SEED_ID}.csl.json").data)
    assert csl[0]["URL"] == f"https://appeals-archive.org/doc/{SEED_ID}/v1"


def test_catalogue_record_says_it_holds_no_text(client):
    html = client.get("/doc/petition-minefield-maps-2021").get_data(as_text=True)
    assert "The archive holds no text of this document" in html
    assert "between 10 November 2020 and 22 April 2021" in html
    assert 'href="https://azertag.az/' in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/doc/no-such-document", 404),
        ("/doc/NOPE", 404),
        ("/doc/..%2F..%2Fetc%2Fpasswd", 404),
        (f"/doc/{SEED_ID}/v0", 404),
        (f"/doc/{SEED_ID}/v2", 404),
        (f"/doc/{SEED_ID}/v99999999999999999999", 404),
        (f"/doc/{SEED_ID}.exe", 404),
        (f"/doc/{SEED_ID}/v1.pdf", 404),
    ],
)
def test_unknown_ids_versions_and_formats_answer_404(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert "Traceback" not in response.get_data(as_text=True)


def test_versions_are_served_byte_for_byte_forever(revised_client, corpus_copy):
    v1 = revised_client.get(f"/doc/{SEED_ID}/v1.xml")
    v2 = revised_client.get(f"/doc/{SEED_ID}/v2.xml")
    corpus = Corpus(corpus_copy)
    assert v1.data == corpus.read_version(SEED_ID, 1) and v2.data == corpus.read_version(SEED_ID, 2)
    page = revised_client.get(f"/doc/{SEED_ID}/v1")
    assert page.headers["Link"] == f'<https://appeals-archive.org/doc/{SEED_ID}/v1>; rel="cite-as"'
    html = page.get_data(as_text=True)
    assert "You are reading version 1 of 2" in html
    assert hashlib.sha256(v1.data).hexdigest() in html
    assert "Second reading of the source." in html  # the full history, also on an old version
    latest = revised_client.get(f"/doc/{SEED_ID}")
    assert (
        latest.headers["Link"] == f'<https://appeals-archive.org/doc/{SEED_ID}/v2>; rel="cite-as"'
    )


def test_withdrawn_document_answers_410_with_a_tombstone(revised_client):
    response = revised_client.get("/doc/bonn-declaration-mine-maps-2021")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This document was withdrawn" in html
    assert "Duplicate &lt;b&gt;record&lt;/b&gt;" in html  # escaped, never markup
    assert 'href="/doc/bonn-declaration-mine-maps-2021/v1"' in html
    as_json = revised_client.get("/doc/bonn-declaration-mine-maps-2021.json")
    assert as_json.status_code == 410
    assert as_json.json["error"]["reason"] == "Duplicate <b>record</b>"
    version = revised_client.get("/doc/bonn-declaration-mine-maps-2021/v1")
    assert version.status_code == 200
    assert "This document was withdrawn on" in version.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    for path in (f"/doc/{SEED_ID}", "/doc/no-such-document", f"/doc/{SEED_ID}.xml"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_or_style(client):
    html = client.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    # The only script is an external file (allowed by the CSP), never inline code.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert re.findall(r"<script[^>]*>([^<]*)</script>", html) == [""]
    assert " style=" not in html and "<style" not in html


def test_articles_cited_are_shown_on_the_document_page(corpus_copy, tmp_path):
    """rs/@n is the article a citation names (encoded by archive encode from "Article 49 of
    the Fourth Geneva Convention"); the page lists each once, with its treaty."""
    text = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    text = text.replace(
        '<rs type="treaty" ref="treaty:gc-1949">the 1949 Geneva Conventions</rs>',
        '<rs type="treaty" ref="treaty:gc-1949" n="common 3">common Article 3 of the 1949 '
        "Geneva Conventions</rs>",
        1,
    ).replace(
        '<rs type="treaty" ref="treaty:ap-1977">the 1977 Protocols</rs>',
        '<rs type="treaty" ref="treaty:ap-1977" n="51">Article 51 of the 1977 Protocols</rs>',
        1,
    )
    assert text.count(' n="') >= 2
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_text(text, encoding="utf-8")
    store.add(
        corpus_copy, [path], revise=True, message="Articles marked.", now="2026-11-27T10:00:00Z"
    )
    page = create_app(corpus_copy, testing=True).test_client().get(f"/doc/{SEED_ID}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Articles cited" in html
    cited = html[html.index("Articles cited") :]
    assert "common Article 3 of" in cited and "Article 51 of" in cited


def test_the_cite_box_offers_each_style_and_shows_the_one_asked_for(client):
    from archive.publish.styles import STYLES

    html = client.get(f"/doc/{SEED_ID}").get_data(as_text=True)
    for key, style in STYLES.items():
        assert f'<option value="{key}">{style.label}</option>' in html
    assert 'class="copy" data-copy="citation-text" hidden>' in html  # shown by the script
    assert re.search(r"Accessed \d{1,2} [A-Z][a-z]+ 20\d\d", html)
    oscola = client.get(f"/doc/{SEED_ID}?style=oscola").get_data(as_text=True)
    assert '<option value="oscola" selected>' in oscola
    assert (
        '<p class="citation" id="citation-text" data-style="oscola">Mirzayev U and others' in oscola
    )
    assert "Note: <span" in oscola
    link = f"https://appeals-archive.org/doc/{SEED_ID}/v1"
    assert f'<a class="url" href="{link}">' in oscola
    assert client.get(f"/doc/{SEED_ID}?style=vancouver").status_code == 400


def test_a_citation_in_a_style_as_text_and_json(client):
    text = client.get(f"/doc/{SEED_ID}/cite?style=apa")
    assert text.status_code == 200 and text.mimetype == "text/plain"
    assert text.get_data(as_text=True).startswith("Mirzayev, U., Karimoglu, R.")
    assert text.headers["Link"] == f'<https://appeals-archive.org/doc/{SEED_ID}/v1>; rel="cite-as"'
    assert client.get(f"/doc/{SEED_ID}/cite").get_data() == text.get_data()  # APA by default
    data = client.get(f"/doc/{SEED_ID}/v1/cite.json?style=chicago-notes").get_json()
    assert (data["id"], data["version"], data["style"], data["note_style"]) == (
        SEED_ID,
        1,
        "chicago-notes",
        True,
    )
    assert data["accessed"] == data["accessed"][:10] and data["citation"].startswith("U. Mirzayev")
    asked = client.get(f"/doc/{SEED_ID}/cite?style=mla", headers={"Accept": "application/json"})
    assert asked.get_json()["style"] == "mla"
    refused = client.get(f"/doc/{SEED_ID}/cite.json?style=vancouver")
    assert refused.status_code == 400 and "oscola" in refused.get_json()["error"]["message"]
    page = client.get(f"/doc/{SEED_ID}.json").get_json()
    assert [s["style"] for s in page["citation"]["styles"]] == [
        "apa",
        "chicago-author-date",
        "chicago-notes",
        "mla",
        "harvard",
        "oscola",
    ]
    assert page["citation"]["styles"][0]["url"] == f"/doc/{SEED_ID}/v1/cite?style=apa"
