"""Many languages and scripts (issue 19), end to end on a real index: texts analysed in their
own language, spellings with and without special letters, names in Latin, Cyrillic and
Armenian letters, the exact-spelling switch, and Russian and Azerbaijani texts in the
encoder."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from archive.config import Config
from archive.document.authority import Registers
from archive.document.tei import read_document
from archive.encode import Encoder
from archive.errors import BadQuery
from archive.search import SearchEngine
from archive.search.indexing import update_index
from archive.search.query import QueryParser
from archive.search.request import SearchRequest
from tests.conftest import FIXTURE_CORPUS, SEED_ID, copy_document

MFA_MAPS = "azerbaijan-mfa-statement-mine-maps-2021-07-03"  # Russian
ANAMA_RECORDS = "anama-minefield-records-2024-02"  # Azerbaijani
JOINT_STATEMENT = "mine-victims-ngos-joint-statement-2024-04-04"  # Azerbaijani
VICTIMS = "ngo-appeal-mine-victims-2023-04-29"


def ids(engine: SearchEngine, q: str = "", **kwargs) -> list[str]:
    return list(engine.iter_ids(SearchRequest(q=q, **kwargs)))


# -- names across scripts ----------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Mirzəyev", "Mirzayev", "Mirzaev", "Мирзаев", "Միրզաև"])
def test_every_spelling_of_a_signatory_finds_the_seed(engine: SearchEngine, spelling: str):
    assert SEED_ID in ids(engine, spelling)
    assert SEED_ID in ids(engine, f"signatory:{spelling}")


def test_a_name_in_cyrillic_is_resolved_to_the_person(engine: SearchEngine):
    result = engine.search(SearchRequest(q='signatory:"Умуд Мирзаев"'))
    assert [r.ids for r in result.resolved] == [("umud-mirzayev",)]
    assert SEED_ID in [h.id for h in result.hits]


def test_a_name_typed_without_special_letters_finds_them(engine: SearchEngine):
    # The register writes him Rey Kərimoğlu in Azerbaijani; readers type Karimoglu.
    assert SEED_ID in ids(engine, "Kerimoglu") and SEED_ID in ids(engine, "Керимоглу")


# -- texts in their own language ---------------------------------------------------------


def test_a_russian_text_is_found_by_a_russian_query_in_another_inflection(engine: SearchEngine):
    # The record says "карты ... мин"; the reader asks for "карта" and "минами".
    assert ids(engine, "карта минами") == [MFA_MAPS]
    assert ids(engine, "противотанковая мина") == [MFA_MAPS]


def test_an_azerbaijani_text_is_found_without_its_special_letters(engine: SearchEngine):
    assert ids(engine, "qurbanlari") == [JOINT_STATEMENT]
    assert ids(engine, "formulyar Kalbacar") == [ANAMA_RECORDS]


def test_the_language_facet_counts_the_bundled_languages(engine: SearchEngine):
    counts = {v.value: v.count for v in engine.search(SearchRequest()).facets["lang"]}
    assert counts["ru"] == 1 and counts["az"] == 2 and counts["en"] >= 5


def test_snippets_mark_words_in_the_texts_language(engine: SearchEngine):
    hit = engine.search(SearchRequest(q="карта")).hits[0]
    assert "<mark>карты</mark>" in hit.snippet


def test_the_reader_can_pick_the_language_a_query_is_analysed_in():
    parser = QueryParser(Registers.load(FIXTURE_CORPUS / "authority"))
    assert parser.languages(["en", "ru", "az"]) == ("en", "az", "ru")
    assert parser.languages(["en", "ru", "az"], picked=["Russian"]) == ("ru",)
    russian = parser.parse("карта", ("ru",))
    english = parser.parse("карта", ("en",))
    assert {w for f, w, *_ in russian.words if f == "body"} == {"карт"}
    assert {w for f, w, *_ in english.words if f == "body"} == {"карта"}


def test_the_lang_filter_picks_the_analysis(engine: SearchEngine):
    assert ids(engine, "карта", filters={"lang": ["ru"]}) == [MFA_MAPS]
    # An English-only analysis of a Russian word does not stem it: no match.
    assert ids(engine, "карта", filters={"lang": ["en"]}) == []


# -- exact spelling ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def spellings(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """Two invented deminers' names in two copies of a record: one with special letters,
    one without, and a third record with both."""
    corpus = tmp_path_factory.mktemp("spellings") / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    config = Config(corpus=corpus, instance=corpus.parent / "instance")
    name = '<persName ref="person:nadir-yusifov">Nadir Yusifov</persName>'
    copy_document(config, VICTIMS, "spelling-special", {name: "Nadir Qəmbərzadə"})
    copy_document(config, VICTIMS, "spelling-plain", {name: "Nadir Qambarzada"})
    copy_document(config, VICTIMS, "spelling-both", {name: "Qəmbərzadə (Qambarzada)"})
    update_index(config)
    engine = SearchEngine(config)
    yield engine
    engine.close()


def test_special_letters_are_found_by_plain_ones_and_the_other_way(spellings: SearchEngine):
    found = {"spelling-special", "spelling-plain", "spelling-both"}
    assert set(ids(spellings, "Qambarzada")) == found
    assert set(ids(spellings, "Qəmbərzadə")) == found


def test_exact_spelling_with_the_query_language(spellings: SearchEngine):
    assert set(ids(spellings, "exact:Qəmbərzadə")) == {"spelling-special", "spelling-both"}
    assert set(ids(spellings, "exact:Qambarzada")) == {"spelling-plain", "spelling-both"}
    assert set(ids(spellings, 'exact:"Nadir Qəmbərzadə"')) == {"spelling-special"}


def test_exact_spelling_with_the_url_switch(spellings: SearchEngine):
    request = SearchRequest.from_params({"q": "Qəmbərzadə", "exact": "1"})
    assert request.exact and ("exact", "1") in request.to_params()
    assert SearchRequest.from_params(dict(request.to_params())) == request
    assert {h.id for h in spellings.search(request).hits} == {"spelling-special", "spelling-both"}
    with pytest.raises(BadQuery, match="exact"):
        SearchRequest.from_params({"q": "x", "exact": "maybe"})


# -- parts of a text in another language --------------------------------------------------


def test_a_paragraph_in_another_language_is_analysed_in_it(tmp_path):
    path = FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml"
    russian = '<body><p xml:lang="ru">Заявления о картах.</p>'.encode()
    data = path.read_bytes().replace(b"<body>", russian, 1)
    doc = read_document(data, tmp_path / f"{SEED_ID}.xml")
    assert doc.lang == "en"
    [(start, end, lang)] = doc.text_langs
    assert doc.text[start:end] == "Заявления о картах." and lang == "ru"


def test_a_russian_paragraph_of_an_english_document_is_found_by_inflection(corpus_copy):
    copy_document(
        corpus_copy,
        SEED_ID,
        "seed-with-russian",
        {"<body>": '<body><p xml:lang="ru">Невыданные карты заминированных территорий.</p>'},
    )
    update_index(corpus_copy)
    engine = SearchEngine(corpus_copy)
    try:
        assert ids(engine, "карту заминированной территории") == ["seed-with-russian"]
    finally:
        engine.close()


# -- the encoder -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(Registers.load(FIXTURE_CORPUS / "authority"))


@pytest.mark.parametrize(
    ("words", "when"),
    [
        ("4 aprel 2024-cü ildə", "2024-04-04"),
        ("10 noyabr 2020-ci il", "2020-11-10"),
        ("12 fevral 2024", "2024-02-12"),
        ("3 июля 2021 года", "2021-07-03"),
        ("10 ноября 2020 г.", "2020-11-10"),
        ("в июле 2021 года", "2021-07"),
    ],
)
def test_dates_in_azerbaijani_and_russian_are_parsed(encoder: Encoder, words: str, when: str):
    result = encoder.encode(f"Bəyanat.\n\nText {words} text.\n", today=date(2026, 1, 1))
    assert [d.date.when for d in result.of_kind("date") if d.date and d.text in words] == [when]


def test_treaty_names_in_russian_and_azerbaijani_are_cited(encoder: Encoder):
    text = (
        "Заявление.\n\nОрганизации призвали соблюдать Женевские конвенции 1949 года. "
        "Оттавская конвенция запрещает противопехотные мины.\n\n"
        "Bəyanatda Ottava Konvensiyası xatırlanır.\n"
    )
    result = encoder.encode(text, lang="ru", today=date(2026, 1, 1))
    assert [d.ref for d in result.of_kind("treaty")] == [
        "treaty:gc-1949",
        "treaty:apmbc-1997",
        "treaty:apmbc-1997",
    ]
    assert b'xml:lang="ru"' in result.tei_bytes


def test_a_stop_word_is_not_required_of_texts_whose_language_drops_it(engine):
    # "of" is an English stop word but a word to the Russian and Azerbaijani analyses (and
    # to the names): it was required there, and "victims of mines" missed the English
    # appeal on the victims of mines.
    found = list(engine.iter_ids(SearchRequest(q="victims of mines")))
    assert "ngo-appeal-mine-victims-2023-04-29" in found
    assert list(engine.iter_ids(SearchRequest(q="explosive remnants of war", exact=True))) == [
        "ngo-appeal-mine-victims-2023-04-29"
    ]
