"""Hostile requests and hostile documents through the real Flask app: path traversal in ids
and version numbers, script through document content and through queries, header injection,
oversize requests. Each answers 4xx or a safe page, never 5xx, never a traceback."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote, urlencode

import pytest

from archive.search.indexing import update_index
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import SEED_ID
from tests.html_safety import html_problems
from webui import create_app

SEED_BYTES_V1 = f"/doc/{SEED_ID}/v1"


@pytest.fixture(scope="module")
def client(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True).test_client()


def no_server_error(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, body[:300])
    assert "Traceback" not in body
    return body


# --- path traversal -----------------------------------------------------------------------

TRAVERSALS = [
    "/doc/..%2F..%2Fpyproject.toml",
    "/doc/%2e%2e/authority/treaties",
    "/doc/..%252F..%252Fetc%252Fpasswd",
    f"/doc/{SEED_ID}%2F..%2F..%2Fauthority%2Ftreaties",
    f"/doc/{SEED_ID}/..%2F..%2Fauthority%2Ftreaties.xml",
    f"/doc/{SEED_ID}/v1%2F..%2F..%2F..%2Fpyproject.toml",
    f"/doc/{SEED_ID}/v1/../../authority/treaties",
    f"/doc/{SEED_ID}.xml%00.json",
    f"/doc/{SEED_ID}%00",
    "/doc/%00",
    "/doc/" + quote("ｎｇｏ-appeal-mine-maps-2021"),  # fullwidth letters
    f"/doc/{SEED_ID}" + quote("\u2024") + "xml",  # one dot leader for "."
    f"/doc/{SEED_ID}" + quote("\uff0e") + "xml",  # fullwidth full stop
    "/doc/" + quote("ngo-appeal-mine-maps-2021\u2215..\u2215authority"),  # division slash
    "/doc/" + quote(SEED_ID.replace("-", "\u2010")),  # unicode hyphen
    "/doc/" + quote(SEED_ID.upper()),
    "/doc/" + "a" * 101,
    "/doc/" + "a" * 5000,
    f"/doc/{SEED_ID}/v" + quote("١"),  # Arabic-Indic digit one
    f"/doc/{SEED_ID}/v" + quote("１"),  # fullwidth digit one
    f"/doc/{SEED_ID}/v" + quote("¹"),  # superscript one
    f"/doc/{SEED_ID}/v01",
    f"/doc/{SEED_ID}/v0",
    f"/doc/{SEED_ID}/v-1",
    f"/doc/{SEED_ID}/v+1",
    f"/doc/{SEED_ID}/v1e3",
    f"/doc/{SEED_ID}/v0x1",
    f"/doc/{SEED_ID}/v" + "9" * 20,
    f"/doc/{SEED_ID}/v" + "9" * 300,  # longer than a file name may be
    f"/doc/{SEED_ID}/v" + "9" * 5000,  # longer than Python converts to int by default
    f"/doc/{SEED_ID}/v" + "9" * 300 + ".xml",
    "/static/..%2F..%2Fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/....//....//pyproject.toml",
    "/treaty/..%2F..%2Fpyproject",
    "/person/" + quote("umud-mirzayev/../../x"),
    "/place/%2e%2e",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_and_lookalike_paths_answer_404(client, path):
    response = client.get(path)
    body = no_server_error(response)
    assert response.status_code == 404, path
    assert "tool.setuptools" not in body and "root:" not in body


def test_the_canonical_version_url_still_answers(client):
    assert client.get(SEED_BYTES_V1).status_code == 200
    assert client.get(f"{SEED_BYTES_V1}.xml").status_code == 200


def test_the_library_refuses_overlong_version_numbers(bundled_config):
    corpus = Corpus(bundled_config)
    for version in (10**300, 10**5000, 0, -1):
        with pytest.raises(store.NotFound):
            corpus.read_version(SEED_ID, version)


@pytest.mark.parametrize("name", ["page", "size"])
@pytest.mark.parametrize("value", ["¹", "²0", "١", "１", "1_0", " 1 0", "+1", "0x10"])
def test_numbers_in_other_scripts_are_a_bad_request(client, name, value):
    for path in ("/", "/search.json", "/treaty/gc-1949"):
        response = client.get(f"{path}?{urlencode({name: value})}")
        no_server_error(response)
        assert response.status_code == 400, (path, name, value)


# --- script through document content --------------------------------------------------------

SCRIPT = "<script>alert('injected')</script>"
BREAKOUT = '"\' injected-attr=1 onmouseover="alert(1)" x=\''
URL_BREAKOUT = 'https://example.org/?"onmouseover="alert(1)"injected=\'<script>'
HOSTILE_TEXT = f"{SCRIPT} {BREAKOUT} <img src=x onerror=alert(1)> javascript:alert(1)"
XSS_ID = "appeal-hostile-markup-2026"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def hostile_document(config, *, source_url: str) -> bytes:  # type: ignore[no-untyped-def]
    """The seed as a new document whose title, text, a signatory's name and the source
    carry markup, quotes that would break an attribute, and script URLs."""
    text = Corpus(config).read_bytes(SEED_ID).decode().replace(SEED_ID, XSS_ID)
    text = text.replace('<change when="2026-11-26" n="1">', '<change when="2026-11-20" n="1">')
    replacements = {
        "Appeal of Azerbaijani civil society organisations": _xml_text(HOSTILE_TEXT),
        "Azerbaijani NGOs appeal to international organizations over Armenia's refusal to provide mine maps</title>": _xml_text(
            HOSTILE_TEXT
        )
        + "</title>",
        ">Umud Mirzayev</persName>": ">" + _xml_text(HOSTILE_TEXT) + "</persName>",
        "have appealed to international organizations": _xml_text(HOSTILE_TEXT),
        'target="https://report.az/en/karabakh/azerbaijani-ngos-appeal-to-international-organizations-over-armenia-s-refusal-to-provide-mine-maps"': f'target="{_xml_attr(source_url)}"',
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    import shutil

    from archive.config import Config
    from archive.search.indexing import update_documents
    from tests.conftest import FIXTURE_CORPUS

    root = tmp_path_factory.mktemp("xss")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    config = Config(corpus=root / "corpus", instance=root / "instance")
    update_index(config)
    path = root / f"{XSS_ID}.xml"
    # A source URL that is http(s), as the schema demands, but tries to leave its attribute.
    path.write_bytes(hostile_document(config, source_url=URL_BREAKOUT))
    store.add(config, [path], on_change=lambda ids: update_documents(config, ids))
    return create_app(config, testing=True).test_client()


def _pages_showing_the_hostile_document() -> list[str]:
    return [
        f"/doc/{XSS_ID}",
        f"/doc/{XSS_ID}/v1",
        f"/doc/{XSS_ID}?{urlencode({'q': HOSTILE_TEXT})}",
        "/",
        f"/?{urlencode({'q': 'injected'})}",
        f"/?{urlencode({'q': 'alert'})}",
        "/person/umud-mirzayev",
        "/treaties",
        "/treaty/gc-1949",
        "/org/azerbaijani-ngos",
    ]


@pytest.mark.parametrize("path", _pages_showing_the_hostile_document())
def test_document_content_is_escaped_on_every_page(hostile_client, path):
    response = hostile_client.get(path)
    html = no_server_error(response)
    assert response.status_code == 200
    assert html_problems(html) == []
    assert "<script>alert" not in html and "<img src=x" not in html


def test_the_hostile_text_is_shown_as_text(hostile_client):
    html = hostile_client.get(f"/doc/{XSS_ID}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_hostile_document_is_found_and_its_json_and_downloads_carry_it_verbatim(
    hostile_client,
):
    result = hostile_client.get(f"/search.json?{urlencode({'q': 'onerror'})}").json
    assert [hit["id"] for hit in result["hits"]] == [XSS_ID]
    snippet = result["hits"][0]["snippet"]
    assert "<script>" not in snippet and "<img" not in snippet  # the snippet is escaped HTML
    page = hostile_client.get(f"/doc/{XSS_ID}.json").json
    assert SCRIPT in page["document"]["title"]  # JSON is data: it says what the document says
    xml = hostile_client.get(f"/doc/{XSS_ID}.xml")
    assert hashlib.sha256(xml.data).hexdigest() == page["sha256"]
    assert xml.headers["Content-Type"].startswith("application/tei+xml")
    assert xml.headers["X-Content-Type-Options"] == "nosniff"
    bib = hostile_client.get(f"/doc/{XSS_ID}.bib")
    assert bib.status_code == 200 and "attachment" in bib.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ],
)
def test_a_script_url_as_source_is_refused_by_add(corpus_copy, tmp_path, url):
    path = tmp_path / f"{XSS_ID}.xml"
    path.write_bytes(hostile_document(corpus_copy, source_url=url))
    with pytest.raises(store.InvalidDocument, match=r"@target=.*an http\(s\) URL"):
        store.add(corpus_copy, [path])
    assert XSS_ID not in Corpus(corpus_copy).known_ids()


def test_a_script_url_that_reached_the_corpus_by_hand_never_becomes_a_link(corpus_copy):
    """Defence in depth: a file copied into documents/ and versions/ (not through `archive
    add`, so never validated) is served, but only http(s) URLs become links."""
    data = hostile_document(corpus_copy, source_url="javascript:alert(1)")
    data = data.replace(
        b"<p><orgName",
        b'<p><ref target="javascript:alert(2)">click</ref> <ref target="data:text/html,x">data</ref> <orgName',
        1,
    )
    (corpus_copy.documents_dir / f"{XSS_ID}.xml").write_bytes(data)
    (corpus_copy.versions_dir / XSS_ID).mkdir()
    (corpus_copy.versions_dir / XSS_ID / "1.xml").write_bytes(data)
    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    response = client.get(f"/doc/{XSS_ID}")
    html = no_server_error(response)
    assert response.status_code == 200
    assert html_problems(html) == []
    assert "javascript:alert(2)" not in html and "data:text/html" not in html
    assert ">click</" in html  # the words of the link stay, as text


# --- script through queries -----------------------------------------------------------------

REFLECTED = [
    {"q": HOSTILE_TEXT},
    {"q": f'"{BREAKOUT}"'},
    {"q": f"treaty:{SCRIPT}"},
    {"q": f'signatory:"{BREAKOUT}"'},
    {"q": "minse"},  # a suggestion echoes the query
    {"q": "mines", "treaty": SCRIPT},
    {"q": "mines", "not_type": BREAKOUT},
    {"from": SCRIPT},
    {"to": BREAKOUT},
    {"sort": SCRIPT},
    {"page": SCRIPT},
    {"size": BREAKOUT},
    {"year": "2021", "lang": f"{SCRIPT}"},
]


@pytest.mark.parametrize("params", REFLECTED, ids=lambda p: ",".join(p))
@pytest.mark.parametrize("path", ["/", "/treaty/gc-1949", "/people"])
def test_queries_are_escaped_where_they_are_shown(client, path, params):
    response = client.get(f"{path}?{urlencode(params)}")
    html = no_server_error(response)
    assert html_problems(html) == []
    assert SCRIPT not in html and 'onmouseover="alert' not in html


@pytest.mark.parametrize("params", REFLECTED, ids=lambda p: ",".join(p))
def test_json_errors_carry_the_input_as_data(client, params):
    response = client.get(f"/search.json?{urlencode(params)}")
    no_server_error(response)
    assert response.headers["Content-Type"] == "application/json"
    json.loads(response.data)


def test_the_document_page_escapes_the_query_it_highlights(client):
    response = client.get(f"/doc/{SEED_ID}?{urlencode({'q': HOSTILE_TEXT + ' mine'})}")
    html = no_server_error(response)
    assert html_problems(html) == []
    assert "<mark>mine</mark>" in html


# --- header injection -----------------------------------------------------------------------

CRLF = ["a\r\nSet-Cookie: injected=1", "a\nLocation: https://example.org/", "a\rX-Injected: 1"]


def _assert_clean_headers(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, name
        assert "injected" not in value.lower() and "example.org" not in value, (name, value)
    assert "Set-Cookie" not in response.headers
    assert "Location" not in response.headers


@pytest.mark.parametrize("value", CRLF)
@pytest.mark.parametrize("name", ["q", "treaty", "format", "from", "filename", "name"])
def test_export_names_and_headers_never_carry_input(client, name, value):
    params = {"format": "csv", name: value} if name != "format" else {"format": value}
    response = client.get(f"/export?{urlencode(params)}")
    no_server_error(response)
    _assert_clean_headers(response)
    if response.status_code == 200:
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="appeals-archive-')
    response.close()


@pytest.mark.parametrize("value", CRLF)
def test_document_downloads_and_links_never_carry_input(client, value):
    for suffix in ("", ".xml", ".bib", ".ris", ".csl.json", ".json"):
        response = client.get(f"/doc/{SEED_ID}{suffix}?{urlencode({'q': value, 'v': value})}")
        no_server_error(response)
        _assert_clean_headers(response)
        assert response.headers["Link"] == (
            f'<https://appeals-archive.org/doc/{SEED_ID}/v1>; rel="cite-as"'
        )
    response = client.get(f"/doc/{SEED_ID}" + quote(value))
    assert response.status_code == 404
    _assert_clean_headers(response)


def test_oai_and_feed_headers_never_carry_input(client):
    for value in CRLF:
        for path in ("/oai", "/feed.atom"):
            response = client.get(f"{path}?{urlencode({'verb': value, 'set': value})}")
            no_server_error(response)
            _assert_clean_headers(response)


# --- oversize requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {"q": "mine " * 200_000}),
        ("/search.json", {"q": "(" * 50_000}),
        ("/", {"q": "a" * 2_000}),
        ("/", {"q": " OR ".join(f"w{i}" for i in range(1_000))}),
        ("/", {"treaty": "x" * 100_000}),
        ("/export", {"format": "csv", "q": "mine " * 10_000}),
        ("/oai", {"verb": "ListRecords", "resumptionToken": "A" * 100_000}),
        ("/oai", {"verb": "GetRecord", "identifier": "oai:x:" + "a" * 100_000}),
    ],
    ids=["huge-q", "deep-parens", "long-q", "many-ors", "huge-filter", "export", "token", "id"],
)
def test_huge_parameters_answer_4xx_or_a_bounded_answer(client, path, params):
    response = client.get(f"{path}?{urlencode(params)}")
    body = no_server_error(response)
    if path == "/oai":
        assert response.status_code == 200 and "<error code=" in body
    else:
        assert response.status_code == 400, body[:200]
    response.close()


@pytest.mark.parametrize("name", ["treaty", "not_year", "q", "page", "size", "sort", "from"])
def test_many_repeated_parameters_answer_400(client, name):
    query = "&".join(f"{name}=v{i}" for i in range(5_000))
    response = client.get(f"/?{query}")
    no_server_error(response)
    assert response.status_code == 400


def test_many_unknown_parameters_are_ignored(client):
    query = "&".join(f"p{i}=v" for i in range(5_000))
    response = client.get(f"/search.json?{query}")
    no_server_error(response)
    assert response.status_code == 200


def test_a_huge_post_to_oai_is_refused_before_it_is_read(client):
    body = urlencode({"verb": "Identify", "pad": "x" * 1_000_000})
    response = client.post("/oai", data=body, content_type="application/x-www-form-urlencoded")
    no_server_error(response)
    assert response.status_code == 413


def test_a_post_with_many_fields_to_oai_answers_an_oai_error(client):
    body = "&".join(["verb=Identify"] * 3_000)
    response = client.post("/oai", data=body, content_type="application/x-www-form-urlencoded")
    text = no_server_error(response)
    assert response.status_code == 200 and 'code="badVerb"' in text  # verb repeated
