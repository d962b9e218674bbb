"""archive/search/engine.py on a real index of the bundled corpus: what is found, how facets count,
how filters combine, how results are ordered and paged, and how bad input is refused."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import archive.search.snapshot as snapshot_module
from archive.config import Config
from archive.document.authority import Registers
from archive.errors import BadQuery
from archive.search import SearchEngine
from archive.search.indexing import update_index
from archive.search.limits import SearchLimits
from archive.search.request import SearchRequest
from archive.search.snippets import snippet
from archive.storage.store import Corpus
from tests.conftest import SEED_ID, copy_document

PETITION = "petition-minefield-maps-2021"
BONN = "bonn-declaration-mine-maps-2021"
TRILATERAL = "trilateral-statement-2020-11-10"
VICTIMS = "ngo-appeal-mine-victims-2023-04-29"
# The records in Russian and Azerbaijani (issue 19).
MFA_MAPS = "azerbaijan-mfa-statement-mine-maps-2021-07-03"
ANAMA_RECORDS = "anama-minefield-records-2024-02"
JOINT_STATEMENT = "mine-victims-ngos-joint-statement-2024-04-04"


def ids(engine: SearchEngine, q: str = "", **kwargs) -> list[str]:
    return list(engine.iter_ids(SearchRequest(q=q, **kwargs)))


@pytest.mark.parametrize(
    "query",
    [
        "mine maps",
        "treaty:ap-1977",
        'treaty:"Additional Protocol I"',
        'treaty:"Geneva Conventions"',
        "treaty:gc-1949-iv",
        "signatory:Mirzayev",
    ],
)
def test_the_seed_appeal_is_found(engine: SearchEngine, query: str):
    assert SEED_ID in ids(engine, query)


def test_fielded_treaty_query_finds_only_documents_citing_it(engine: SearchEngine):
    assert ids(engine, "treaty:gc-1949-iv") == [SEED_ID]
    assert ids(engine, "treaty:apmbc-1997") == []


def test_a_person_is_found_as_signatory_and_as_author(engine: SearchEngine):
    # Umud Mirzayev signed the appeal and is named as an author of the petition.
    assert set(ids(engine, "signatory:Mirzayev")) == {SEED_ID, PETITION}
    assert ids(engine, 'signatory:"Vladimir Putin"') == [TRILATERAL]


def test_phrase_needs_the_words_in_order(engine: SearchEngine):
    assert SEED_ID in ids(engine, '"maps of mined areas"')
    assert ids(engine, '"areas mined maps"') == []


def test_boolean_operators_and_minus(engine: SearchEngine):
    armenia = set(ids(engine, "armenia"))
    mine = set(ids(engine, "mine"))
    assert set(ids(engine, "armenia AND mine")) == armenia & mine
    assert set(ids(engine, "armenia OR tranquility")) == armenia | {SEED_ID}
    assert set(ids(engine, "armenia -mine")) == armenia - mine
    assert set(ids(engine, "armenia NOT mine")) == armenia - mine
    assert armenia - mine  # the exclusion has something to exclude


def test_text_is_stemmed(engine: SearchEngine):
    assert SEED_ID in ids(engine, "mined") and SEED_ID in ids(engine, "mining")


# --- facets -----------------------------------------------------------------------------


def expected_counts(config: Config, matching: set[str]) -> dict[str, Counter]:
    """Facet counts computed from the document model alone, not from the index."""
    registers = Registers.load(config.authority_dir)
    counts: dict[str, Counter] = {
        k: Counter()
        for k in ("treaty", "signatory", "org", "addressee", "place", "type", "lang", "year")
    }
    for doc in Corpus(config).documents():
        if doc.id not in matching:
            continue
        persons = [s.person_id for s in doc.signatories] + [
            e.id for e in doc.issuers if e.kind == "person"
        ]
        counts["treaty"].update(set(registers.treaties.expand_cited(doc.treaties)))
        counts["signatory"].update(set(persons))
        counts["org"].update(set(doc.organisations))
        counts["addressee"].update({f"{a.kind}:{a.id}" for a in doc.addressees})
        counts["place"].update(set(registers.places.with_ancestors(list(doc.places))))
        counts["type"].update([doc.doc_type])
        counts["lang"].update([doc.lang])
        counts["year"].update(str(y) for y in doc.issued.years)
    return counts


def flatten(values) -> dict[str, int]:
    out = {}
    for value in values:
        out[value.value] = value.count
        out.update(flatten(value.children))
    return out


@pytest.mark.parametrize("way", ["by every pair", "by the documents' pairs"])
@pytest.mark.parametrize("query", ["", "mine", "armenia -tranquility", "treaty:gc-1949"])
def test_facet_counts_equal_counts_from_the_corpus(engine, indexed_config, query, way, monkeypatch):
    share = 0.0 if way == "by every pair" else 1.0  # force one way of counting
    monkeypatch.setattr(snapshot_module, "SPARSE_COUNT_SHARE", share)
    result = engine.search(SearchRequest(q=query))
    expected = expected_counts(indexed_config, set(ids(engine, query)))
    assert result.total == len(ids(engine, query))
    for name, counter in expected.items():
        assert flatten(result.facets[name]) == dict(counter), name


def test_treaty_facet_nests_members_under_their_group(engine: SearchEngine):
    treaties = {v.value: v for v in engine.search(SearchRequest()).facets["treaty"]}
    assert set(treaties) == {"gc-1949", "ap-1977"}
    assert {c.value for c in treaties["gc-1949"].children} == {
        "gc-1949-i",
        "gc-1949-ii",
        "gc-1949-iii",
        "gc-1949-iv",
    }
    assert treaties["gc-1949"].label == "Geneva Conventions 1949"


def test_uncertain_spans_count_in_every_year_they_overlap(engine: SearchEngine):
    years = flatten(engine.search(SearchRequest(q=f"id:{PETITION}")).facets["year"])
    assert years == {"2020": 1, "2021": 1}
    # "not after 17 May 2021" counts in 2021 only.
    assert flatten(engine.search(SearchRequest(q=f"id:{BONN}")).facets["year"]) == {"2021": 1}


def test_date_ranges_match_spans_that_overlap_them(engine: SearchEngine):
    # The petition lies between 10 November 2020 and 22 April 2021; "not after 17 May
    # 2021" reaches back to the start of 2021.
    assert set(ids(engine, "date:[2021-01 TO 2021-02]")) == {PETITION, BONN}
    assert set(ids(engine, "date:2021-05")) == {BONN}
    assert set(ids(engine, "date:2021-03-25")) == {SEED_ID, PETITION, BONN}
    assert set(ids(engine, "date:[2023 TO]")) == {VICTIMS, ANAMA_RECORDS, JOINT_STATEMENT}
    assert set(ids(engine, "date:[* TO 2020-11-10]")) == {PETITION, TRILATERAL}
    by_params = SearchRequest.from_params({"from": ["2020-12"], "to": ["2020-12"]})
    assert list(engine.iter_ids(by_params)) == [PETITION]


def test_values_of_one_facet_or_and_facets_and(engine: SearchEngine):
    appeals = set(ids(engine, filters={"type": ["appeal"]}))
    petitions = set(ids(engine, filters={"type": ["petition"]}))
    in_2021 = set(ids(engine, filters={"year": ["2021"]}))
    assert appeals == {SEED_ID, VICTIMS} and petitions == {PETITION}
    assert set(ids(engine, filters={"type": ["appeal", "petition"]})) == appeals | petitions
    both = set(ids(engine, filters={"type": ["appeal", "petition"], "year": ["2021"]}))
    assert both == (appeals | petitions) & in_2021 == {SEED_ID, PETITION}


def test_any_value_can_be_excluded(engine: SearchEngine):
    everything = set(ids(engine))
    in_2021 = {SEED_ID, BONN, PETITION, MFA_MAPS}
    assert set(ids(engine, excludes={"year": ["2021"]})) == everything - in_2021
    assert set(ids(engine, excludes={"treaty": ["gc-1949"]})) == everything - {SEED_ID}
    assert set(ids(engine, filters={"type": ["appeal"]}, excludes={"year": ["2023"]})) == {SEED_ID}


def test_selected_facet_keeps_counting_its_alternatives(engine: SearchEngine):
    result = engine.search(SearchRequest(filters={"type": ["appeal"]}))
    types = {v.value: v for v in result.facets["type"]}
    assert result.total == 2
    assert types["appeal"].selected and types["appeal"].count == 2
    assert types["petition"].count == 1 and not types["petition"].selected
    # Other facets count the filtered result set.
    assert flatten(result.facets["year"]) == {"2021": 1, "2023": 1}


def test_filters_take_names_as_well_as_ids(engine: SearchEngine):
    by_name = engine.search(SearchRequest(filters={"treaty": ["Geneva Conventions"]}))
    assert [h.id for h in by_name.hits] == [SEED_ID]
    assert {v.value for v in by_name.facets["treaty"] if v.selected} == {"gc-1949"}


def test_counts_for_browse_pages_list_every_value(engine: SearchEngine, indexed_config):
    signatories = {v.value: v.count for v in engine.counts("signatory")}
    assert signatories == dict(expected_counts(indexed_config, set(ids(engine)))["signatory"])
    assert signatories["umud-mirzayev"] == 2
    with pytest.raises(BadQuery, match="unknown facet"):
        engine.counts("colour")


# --- results ---------------------------------------------------------------------------


def test_sorting_by_date_both_ways(engine: SearchEngine):
    oldest = ids(engine, sort="date")
    newest = ids(engine, sort="-date")
    assert oldest[-1] == JOINT_STATEMENT and newest[0] == JOINT_STATEMENT
    assert set(oldest[:2]) == {PETITION, TRILATERAL}  # both may date from 10 November 2020


def test_relevance_puts_the_best_match_first_with_scores(engine: SearchEngine):
    result = engine.search(SearchRequest(q="tranquility OR armenia"))
    assert result.hits[0].id == SEED_ID
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_paging_covers_every_result_once(engine: SearchEngine):
    pages = [engine.search(SearchRequest(sort="-date", page=p, page_size=3)) for p in (1, 2, 3)]
    assert [r.pages for r in pages] == [3, 3, 3]
    assert [h.id for r in pages for h in r.hits] == ids(engine, sort="-date")


def test_hits_carry_what_a_result_list_shows(engine: SearchEngine):
    hit = engine.search(SearchRequest(q="tranquility")).hits[0]
    assert hit.id == SEED_ID and hit.doc_type == "appeal" and hit.version == 1
    assert hit.title.startswith("Appeal of Azerbaijani civil society organisations")
    assert hit.issued == "25 March 2021 (uncertain)"
    assert "<mark>tranquility</mark>" in hit.snippet


def test_snippets_escape_the_text_and_mark_only_hits():
    html = snippet('Mines & "maps" <script>alert(1)</script> more maps', {"map"})
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert html.count("<mark>") == 2 and "<mark>maps</mark>" in html


def test_misspelt_word_gets_a_suggestion(engine: SearchEngine):
    result = engine.search(SearchRequest(q="mine mapz"))
    assert result.total == 0 and result.suggestion == "mine maps"
    assert engine.search(SearchRequest(q="mine maps")).suggestion is None


def test_resolved_register_values_are_reported(engine: SearchEngine):
    result = engine.search(SearchRequest(q='treaty:"Ottawa Treaty" OR signatory:Mirzayev'))
    assert [(r.field, r.ids[0], r.labels[0]) for r in result.resolved] == [
        ("treaty", "apmbc-1997", "Mine Ban Convention"),
        ("signatory", "umud-mirzayev", "Umud Mirzayev"),
    ]


def test_result_to_dict_is_json_ready(engine: SearchEngine):
    import json

    data = json.loads(json.dumps(engine.search(SearchRequest(q="mine")).to_dict()))
    assert data["total"] == len(data["hits"]) and set(data["facets"]) >= {"treaty", "year"}


def test_ottawa_treaty_names_find_the_same_documents(corpus_copy: Config):
    copy_document(
        corpus_copy,
        SEED_ID,
        "ngo-appeal-ottawa-2022",
        {'<term ref="treaty:ap-1977">': '<term ref="treaty:apmbc-1997">'},
    )
    update_index(corpus_copy)
    with SearchEngine(corpus_copy) as engine:
        found = [
            ids(engine, q)
            for q in ('treaty:"Ottawa Treaty"', "treaty:apmbc-1997", 'treaty:"Mine Ban Convention"')
        ]
    assert found[0] == found[1] == found[2] == ["ngo-appeal-ottawa-2022"]


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"q": 'treaty:"Protocol II"'}, "ambiguous: it may mean ap-1977-ii"),
        ({"q": "treaty:GC5"}, "unknown treaty 'GC5'"),
        ({"q": "colour:red"}, "unknown field 'colour'"),
        ({"q": "(mine maps"}, "unclosed parenthesis"),
        ({"q": '"mine maps'}, "unclosed quotation mark"),
        ({"q": "date:[2021 TO 2020]"}, "starts (2021-01-01) after it ends"),
        ({"q": "type:memo"}, "unknown document type"),
        ({"filters": {"treaty": ["Protocol II"]}}, "filter treaty='Protocol II'"),
        ({"filters": {"colour": ["red"]}}, "unknown filter 'colour'"),
        ({"page": 0}, "page: must be a number"),
        ({"page": 400, "page_size": 100}, "not paged"),
        ({"sort": "size"}, "sort: 'size' is not one of"),
    ],
)
def test_bad_input_is_a_bad_query_that_says_why(engine, request_args, message):
    with pytest.raises(BadQuery) as caught:
        engine.search(SearchRequest(**request_args))
    assert message in str(caught.value)


@pytest.mark.parametrize("query", ['minetitle:""', 'maps text:"" minse', 'title:"" mine'])
def test_an_empty_fielded_phrase_is_searched_around_not_a_crash(engine, query):
    """Whoosh reports word positions past the end of such queries (found by fuzzing:
    an IndexError, a 500 on the web)."""
    result = engine.search(SearchRequest(q=query))
    assert result.total >= 0


def test_runaway_wildcards_are_refused(indexed_config: Config):
    with SearchEngine(indexed_config, limits=SearchLimits(max_expansion=3)) as engine:
        with pytest.raises(BadQuery, match="matches more than 3 different words"):
            engine.search(SearchRequest(q="mi*"))
        assert SEED_ID in ids(engine, "tranquil*")


def test_request_round_trips_through_url_parameters():
    request = SearchRequest.from_params(
        {
            "q": ["mine maps"],
            "treaty": ["gc-1949", "ap-1977"],
            "not_year": ["2023"],
            "from": ["2020-11"],
            "to": ["2021"],
            "sort": ["-date"],
            "page": ["2"],
            "size": ["10"],
            "format": ["json"],
        }
    )
    assert request.filters == {"treaty": ("gc-1949", "ap-1977")}
    assert request.excludes == {"year": ("2023",)}
    assert (str(request.date_from), str(request.date_to)) == ("2020-11-01", "2021-12-31")
    params = request.to_params()
    assert ("from", "2020-11-01") in params and ("format", "json") not in params
    again: dict[str, list[str]] = {}
    for name, value in params:
        again.setdefault(name, []).append(value)
    assert SearchRequest.from_params(again) == request


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"page": ["-1"]}, "page"),
        ({"size": ["1000"]}, "size"),
        ({"from": ["2021-13"]}, "from"),
        ({"sort": ["colour"]}, "sort"),
        ({"q": ["a", "b"]}, "q"),
    ],
)
def test_bad_url_parameters_name_the_parameter(params, name):
    with pytest.raises(BadQuery, match=rf"^{name}"):
        SearchRequest.from_params(params)


def test_both_ways_of_counting_a_facet_agree_with_a_plain_count(monkeypatch):
    """FacetArrays counts a few documents by their own pairs and many by scanning every
    pair: both against collections.Counter, on random pairs and masks of every density
    (documents without values included, at the start, between and at the end)."""
    rng = np.random.default_rng(5)
    size, values = 500, 40
    docs = np.sort(rng.choice(np.arange(10, size - 10), 1500))
    ords = rng.integers(0, values, len(docs)).astype(np.int32)
    arrays = snapshot_module.FacetArrays(
        [f"v{i}" for i in range(values)], {}, docs.astype(np.int64), ords, size
    )
    for density in (0.0, 0.002, 0.05, 0.3, 0.7, 1.0):
        mask = rng.random(size) < density
        expected = Counter(int(o) for d, o in zip(docs, ords, strict=True) if mask[d])
        for share in (0.0, 1.0):
            monkeypatch.setattr(snapshot_module, "SPARSE_COUNT_SHARE", share)
            counts = arrays.counts(mask)
            assert len(counts) == values
            assert {i: int(c) for i, c in enumerate(counts) if c} == dict(expected)


@pytest.mark.parametrize(
    ("request_args", "note"),
    [
        (
            {"q": "signatory:Mirzayevv"},
            "signatory:Mirzayevv: no person of the registers is called 'Mirzayevv', so no "
            "document is recorded under that name. Did you mean: umud-mirzayev",
        ),
        ({"q": "mines signatory:Smith"}, "no person of the registers is called 'Smith'"),
        ({"q": "org:Nobody"}, "no organisation of the registers is called 'Nobody'"),
        ({"q": "place:Atlantis"}, "no place of the registers is called 'Atlantis'"),
        ({"q": "addressee:Nobody"}, "no organisation, person or place of the registers"),
        ({"filters": {"signatory": ["Smith"]}}, "signatory:Smith: no person"),
        ({"filters": {"place": ["Atlantis"]}, "q": "mines"}, "place:Atlantis: no place"),
    ],
)
def test_a_name_no_register_holds_finds_nothing_and_says_so(engine, request_args, note):
    result = engine.search(SearchRequest(**request_args))
    assert result.total == 0 and result.hits == []
    assert len(result.notes) == 1 and note in result.notes[0]
    assert result.resolved == []
    assert result.to_dict()["notes"] == result.notes


def test_a_name_no_register_holds_excludes_nothing(engine):
    plain = ids(engine, "mines")
    result = engine.search(SearchRequest(q="mines", excludes={"signatory": ["Smith"]}))
    assert [h.id for h in result.hits] == plain and result.notes
    # ... and OR-ed with a known one, the known one still finds its documents.
    both = ids(engine, filters={"signatory": ["Smith", "Mirzayev"]})
    assert set(both) == {SEED_ID, PETITION}


# --- places within places ----------------------------------------------------------------


def test_a_place_finds_the_documents_naming_places_within_it(engine: SearchEngine):
    # Only the seed appeal names Karabakh; the ANAMA records name Aghdam and the trilateral
    # statement Nagorno-Karabakh and Shusha, which the register puts within Karabakh.
    expected = {SEED_ID, ANAMA_RECORDS, TRILATERAL}
    assert set(ids(engine, "place:Karabakh")) == expected
    assert set(ids(engine, filters={"place": ["karabakh"]})) == expected
    assert SEED_ID not in ids(engine, "place:Aghdam")  # not the other way round
    assert TRILATERAL not in ids(engine, "mines", excludes={"place": ["Karabakh"]})


def test_the_place_facet_is_the_register_s_hierarchy(engine: SearchEngine):
    places = engine.search(SearchRequest()).facets["place"]
    azerbaijan = next(v for v in places if v.value == "azerbaijan")
    karabakh = next(v for v in azerbaijan.children if v.value == "karabakh")
    assert karabakh.count == 3
    assert {c.value for c in karabakh.children} >= {"aghdam", "nagorno-karabakh", "shusha"}
    # A place counts under what it lies within: a parent never counts less than a child.
    for parent in places:
        for child in parent.children:
            assert parent.count >= child.count
    assert "karabakh" not in {v.value for v in places}  # not also at the top
