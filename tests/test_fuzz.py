"""Property-based fuzzing (hypothesis) of the query language, of the search parameters and
of every web route's parameters through the Flask test client.

Properties: a query or a parameter is either understood or refused as a BadQuery (400);
nothing else is ever raised; no response is a 5xx, carries a traceback, breaks a header, or
holds markup that only the input could have put there (tests/html_safety.py); a search's
URL parameters state it exactly (from_params(to_params(r)) == r).

The normal suite runs about 2,000 cases; `pytest -m slow tests/test_fuzz.py` runs the full
12,000. The counts actually run are printed at the end of the session.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.errors import BadQuery
from archive.search.query import QUERY_FIELDS
from archive.search.request import EXCLUDE_PREFIX, FILTER_FIELDS, SearchRequest
from tests.conftest import SEED_ID
from tests.html_safety import html_problems
from webui import create_app

# Cases per test: in the normal suite, and with -m slow.
CASES = {
    "fast": {"query": 600, "params": 500, "routes": 900},
    "full": {"query": 4000, "params": 3000, "routes": 5000},
}
SCALES = [pytest.param("fast"), pytest.param("full", marks=pytest.mark.slow)]
RAN: Counter[str] = Counter()  # cases run, by test: reported by tests/conftest.py


def fuzz_settings(cases: int):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=cases,
        deadline=None,
        database=None,  # every run draws afresh; a failure prints its example
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- the query language ---------------------------------------------------------------------

_WORDS = ["mine", "maps", "Geneva", "armenia", "mine*", "m?ne", "minse", "the", "AND", "OR",
          "NOT", "TO", "and", "-mine", "+maps", "\"maps of mined", "mines\"", "ﬁre", "Ünïcode",
          "ԱՀ", "мины", "٣", "²", "x" * 300, "*", "?", "**", "a*b*c*", "~2", "^3", "\\", "/"]  # fmt: skip
_VALUES = ["gc-1949", "\"Ottawa Treaty\"", "\"Additional Protocol I\"", "\"Protocol II\"",
           "APII", "Mirzayev", "\"Umud Mirzayev\"", "anama", "ganja", "appeal", "\"open letter\"",
           "en", "English", "xx-", "2021", "20211", "[2020-11 TO 2021-06]", "[2021 TO]",
           "[TO 2020-02-30]", "2021-13", "[2022 TO 2020]", "{2020 TO 2021}", "\"\"", "", "(",
           "org:un", "treaty:", "*"]  # fmt: skip
_FIELDS = [*QUERY_FIELDS, "unknown", "Treaty", "TREATY", "not_treaty", "a.b", "_"]

_atoms = st.one_of(
    st.sampled_from(_WORDS),
    st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(_FIELDS), st.sampled_from(_VALUES)),
    st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(_FIELDS), st.text(max_size=12)),
    st.sampled_from(["(", ")", "[", "]", "{", "}", '"', ":", "-", "+", "!", "&&", "||"]),
    st.text(min_size=1, max_size=10),
)
queries = st.one_of(
    st.lists(_atoms, max_size=12).map(" ".join),
    st.lists(_atoms, max_size=12).map("".join),
    st.text(max_size=80),
    st.builds(lambda n: "(" * n + "mine" + ")" * n, st.integers(0, 300)),
    st.builds(lambda n: " OR ".join(["mine"] * n), st.integers(0, 250)),
)


@pytest.mark.parametrize("scale", SCALES)
def test_any_query_is_answered_or_refused_as_a_bad_query(engine, scale):
    @fuzz_settings(CASES[scale]["query"])
    @given(text=queries, sort=st.sampled_from(["relevance", "date", "-date"]))
    @example(text='minetitle:""', sort="relevance")  # Whoosh placed a word past the text
    @example(text='maps text:"" minse', sort="relevance")
    def check(text: str, sort: str) -> None:
        RAN["query"] += 1
        try:
            request = SearchRequest(q=text, sort=sort)
            result = engine.search(request)
        except BadQuery as exc:
            assert exc.http_status == 400 and exc.message
            return
        assert 0 <= len(result.hits) <= result.total
        assert result.to_dict()["total"] == result.total
        if result.total <= 5:
            assert list(engine.iter_ids(request)) == [hit.id for hit in result.hits]

    check()


# --- search parameters ----------------------------------------------------------------------

_PARAM_NAMES = ["q", *FILTER_FIELDS, *(EXCLUDE_PREFIX + f for f in FILTER_FIELDS), "from", "to",
                "sort", "page", "size", "format", "unknown", "Q", "not_", "not_unknown"]  # fmt: skip
_PARAM_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1",
            "2",
            "20",
            "100",
            "101",
            "0",
            "-1",
            "500",
            "501",
            "99999",
            "1000000",
            "¹",
            "١",
            "１",
            "1.5",
            "date",
            "-date",
            "relevance",
            "2021",
            "2021-03",
            "2021-03-25",
            "2021-02-30",
            "2021-13",
            "20210325",
            "gc-1949",
            "appeal",
            "en",
            "person:umud-mirzayev",
            "org:un",
            "x" * 200,
        ]
    ),
    st.text(max_size=20),
)
params = st.lists(st.tuples(st.sampled_from(_PARAM_NAMES), _PARAM_VALUES), max_size=10)


def _as_mapping(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


@pytest.mark.parametrize("scale", SCALES)
def test_search_parameters_are_read_or_refused_and_state_the_search_exactly(scale):
    @fuzz_settings(CASES[scale]["params"])
    @given(pairs=params)
    def check(pairs: list[tuple[str, str]]) -> None:
        RAN["params"] += 1
        try:
            request = SearchRequest.from_params(_as_mapping(pairs))
        except BadQuery as exc:
            assert exc.http_status == 400 and exc.message
            return
        query_string = urlencode(request.to_params())
        again = SearchRequest.from_params(parse_qs(query_string, keep_blank_values=True))
        assert again == request, query_string

    check()


# --- every route through the Flask test client ----------------------------------------------

_PATHS = [
    "/", "/search.json", "/search.xml", "/export", "/oai", "/feed.atom",
    "/treaties", "/treaties.json", "/people", "/people.json", "/organisations", "/places.json",
    "/treaty/gc-1949", "/treaty/gc-1949.json", "/treaty/ap-1977", "/person/umud-mirzayev",
    "/org/anama", "/place/ganja", "/place/ganja.json", "/treaty/no-such-treaty",
    f"/doc/{SEED_ID}", f"/doc/{SEED_ID}.json", f"/doc/{SEED_ID}.xml", f"/doc/{SEED_ID}.bib",
    f"/doc/{SEED_ID}.ris", f"/doc/{SEED_ID}.csl.json", f"/doc/{SEED_ID}/v1",
    f"/doc/{SEED_ID}/v1.json", f"/doc/{SEED_ID}/v2", "/doc/no-such-document",
]  # fmt: skip
_ROUTE_PARAM_NAMES = [*_PARAM_NAMES, "verb", "metadataPrefix", "identifier", "set", "from",
                      "until", "resumptionToken"]  # fmt: skip
_ROUTE_VALUES = st.one_of(
    _PARAM_VALUES,
    st.sampled_from(
        [
            "zip",
            "tei",
            "jsonl",
            "csv",
            "bibtex",
            "ris",
            "oai_dc",
            "Identify",
            "ListRecords",
            "ListIdentifiers",
            "GetRecord",
            "ListSets",
            "ListMetadataFormats",
            f"oai:appeals-archive.org:{SEED_ID}",
            "type:appeal",
            "treaty:gc-1949",
            "2021-03-25T00:00:00Z",
            "A" * 300,
            "<script>alert(1)</script>",
            '" onmouseover="alert(1)',
            "javascript:alert(1)",
            "a\r\nX-Injected: 1",
        ]
    ),
)
_ACCEPT = [None, "application/json", "text/html", "*/*", "application/json;q=0.1, text/html",
           "text/html;q=0, application/json;q=1", "garbage/;;;"]  # fmt: skip


@pytest.fixture(scope="module")
def client(indexed_config):
    app = create_app(indexed_config, testing=True)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # an error must become the app's 500 page
    app.logger.disabled = True
    return app.test_client()


@pytest.mark.parametrize("scale", SCALES)
def test_every_route_answers_any_parameters_without_a_server_error(client, scale):
    @fuzz_settings(CASES[scale]["routes"])
    @given(
        path=st.one_of(
            st.sampled_from(_PATHS),
            st.builds(lambda s: f"/doc/{quote(s)}", st.text(max_size=30)),
            st.builds(lambda s: f"/treaty/{quote(s)}", st.text(max_size=30)),
        ),
        pairs=st.lists(st.tuples(st.sampled_from(_ROUTE_PARAM_NAMES), _ROUTE_VALUES), max_size=8),
        post=st.booleans(),
        accept=st.sampled_from(_ACCEPT),
    )
    def check(path: str, pairs: list[tuple[str, str]], post: bool, accept: str | None) -> None:
        RAN["routes"] += 1
        headers = {"Accept": accept} if accept else {}
        body = urlencode(pairs)
        if post and path == "/oai":
            response = client.post(
                path, data=body, content_type="application/x-www-form-urlencoded", headers=headers
            )
        else:
            response = client.get(path, query_string=body, headers=headers)
        try:
            data = response.get_data(as_text=True)
            assert response.status_code < 500, (path, body, response.status_code, data[:300])
            assert "Traceback" not in data
            for name, value in response.headers.items():
                assert "\r" not in value and "\n" not in value, name
            if response.mimetype == "text/html":
                assert html_problems(data) == [], (path, body)
        finally:
            response.close()

    check()
