"""archive/search/synonyms.py and its list: a query meets the domain's variants of its words
(mine maps -> maps of minefields) on an index built without them, `exact` turns them off, and
a narrower term does not widen to the broader one."""

from __future__ import annotations

import pytest
from whoosh import query as wq

from archive.document import Registers
from archive.errors import ArchiveError
from archive.search import SearchEngine
from archive.search.query import QueryParser
from archive.search.request import SearchRequest
from archive.search.synonyms import Synonyms, analysed, shipped
from tests.conftest import SEED_ID
from tests.test_search import ANAMA_RECORDS, BONN, PETITION, VICTIMS, ids


def test_mine_maps_finds_the_petition_about_maps_of_minefields(engine: SearchEngine):
    found = ids(engine, "mine maps")
    assert PETITION in found
    assert {SEED_ID, BONN} <= set(found)


def test_exact_searches_the_words_as_typed_without_variants(engine: SearchEngine):
    assert PETITION not in ids(engine, "mine maps", exact=True)
    assert PETITION not in ids(engine, "exact:mine maps")


def test_the_words_typed_rank_above_their_variants(engine: SearchEngine):
    result = engine.search(SearchRequest(q="mine"))
    scores = {h.id: h.score for h in result.hits}
    # The petition holds "minefields" many times and "mine" never; the victims' appeal
    # holds "mine" itself.
    assert scores[PETITION] < scores[VICTIMS] * 4


def test_the_result_says_what_was_also_searched(engine: SearchEngine):
    result = engine.search(SearchRequest(q="mine maps"))
    assert [e.to_dict() for e in result.expanded] == [
        {"text": "mine", "also": ["minefield", "landmine", "APM"]}
    ]
    assert engine.search(SearchRequest(q="mine maps", exact=True)).expanded == []


def test_a_narrower_term_does_not_widen_to_the_broader_one(engine: SearchEngine):
    # "minefield" meets "mined areas" (same concept), not every text that says "mine".
    found = set(ids(engine, "minefield"))
    assert found == {PETITION, ANAMA_RECORDS, SEED_ID}
    assert BONN not in found and VICTIMS not in found


def test_snippets_mark_the_variant_found(engine: SearchEngine):
    hits = {h.id: h for h in engine.search(SearchRequest(q="mine maps")).hits}
    assert "<mark>minefields</mark>" in hits[PETITION].snippet


@pytest.fixture(scope="module")
def parser(bundled_config) -> QueryParser:
    return QueryParser(Registers.load(bundled_config.authority_dir))


def _terms(q: wq.Query) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for leaf in q.leaves():
        if isinstance(leaf, wq.Phrase):
            out.add(tuple(leaf.words))
        elif isinstance(leaf, wq.Term):
            out.add((leaf.text,))
    return out


@pytest.mark.parametrize(
    "query, variant",
    [
        ("UXO", ("unexplod", "ordnanc")),
        ("unexploded ordnance", ("uxo",)),  # unquoted: the two words are one entry
        ('"unexploded ordnance"', ("uxo",)),
        ("anti-personnel mines", ("apm",)),
        ("APM", ("anti", "personnel", "mine")),
        ("land-mine", ("landmin",)),
        ("mine field", ("minefield",)),
        ("ERW", ("explos", "remnant", "war")),
        ("ERW", ("uxo",)),  # ERW includes unexploded ordnance
        ("explosive remnants of war", ("erw",)),
        ("cluster bombs", ("cluster", "munit")),
        ("mines", ("landmin",)),
    ],
)
def test_a_query_meets_the_variants_of_the_list(parser: QueryParser, query, variant):
    assert variant in _terms(parser.parse(query).query)


@pytest.mark.parametrize(
    "query, absent",
    [
        ("UXO", ("erw",)),  # narrower: does not widen to ERW
        ("minefield", ("mine",)),
        ("landmine", ("mine",)),
        ("NOT unexploded ordnance", ("uxo",)),  # NOT keeps to the word after it
        ("title:UXO", ("erw",)),
    ],
)
def test_a_query_does_not_meet_what_the_list_does_not_say(parser, query, absent):
    assert absent not in _terms(parser.parse(query).query)


def test_russian_words_meet_russian_variants(parser: QueryParser):
    # мина includes the anti-personnel mine, ППМ (минное поле holds мин already).
    assert ("ппм",) in _terms(parser.parse("мины", ["en", "ru"]).query)
    assert ("ппм",) in _terms(parser.parse("противопехотные мины", ["en", "ru"]).query)
    # Only in the language of the table: English "mine" gets no Russian entries.
    assert ("ппм",) not in _terms(parser.parse("mine", ["en", "ru"]).query)


def test_names_are_never_expanded(parser: QueryParser):
    q = parser.parse("mine").query
    names = [leaf for leaf in q.leaves() if leaf.field() == "names"]
    assert [leaf.text for leaf in names] == ["mine"]


def test_spelling_positions_survive_the_quotes_put_around_an_entry(parser: QueryParser):
    parsed = parser.parse("mapz unexploded ordnance")
    spans = {(a, b) for f, w, a, b in parsed.words if w == "mapz"}
    assert spans == {(0, 4)}


def test_every_entry_of_the_shipped_list_has_indexed_words():
    synonyms = shipped()
    assert synonyms.also("en", analysed("en", "minefields")) == ("mine field", "mined area")
    assert synonyms.longest(["en"]) >= 3


def test_a_list_is_data_a_parser_is_given(bundled_config):
    parser = QueryParser(
        Registers.load(bundled_config.authority_dir),
        synonyms=Synonyms({"en": {"same": [["ceasefire", "truce"]]}}),
    )
    assert ("truce",) in _terms(parser.parse("ceasefire").query)
    assert ("minefield",) not in _terms(parser.parse("mine").query)


@pytest.mark.parametrize(
    "table, message",
    [
        ({"en": {"alike": [["a", "b"]]}}, "unknown keys"),
        ({"en": {"same": [["the", "truce"]]}}, "no words that are indexed"),
    ],
)
def test_a_bad_list_is_refused_saying_why(table, message):
    with pytest.raises(ArchiveError, match=message):
        Synonyms(table)


def test_an_entry_typed_among_other_words_is_found_without_its_stop_words(parser):
    parsed = parser.parse("the explosive remnants of war in Karabakh", ["en", "ru", "az"])
    assert [e.text for e in parsed.expanded] == ["explosive remnants of war"]
    assert ("uxo",) in _terms(parsed.query)


def test_azerbaijani_mined_areas_find_the_minefield_records(engine: SearchEngine):
    # ANAMA's note speaks of "mina sahəsi" / "mina sahələri" (minefields), never of
    # "minalanmış ərazilər" (mined areas).
    assert ANAMA_RECORDS in ids(engine, "minalanmış ərazilər", filters={"lang": ["az"]})
    assert ANAMA_RECORDS not in ids(
        engine, "minalanmış ərazilər", filters={"lang": ["az"]}, exact=True
    )
