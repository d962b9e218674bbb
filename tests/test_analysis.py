"""archive/search/analysis.py gives exactly the terms, positions and frequencies Whoosh's own
analysis gives, only faster."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import KEYWORD, TEXT

from archive.config import Config
from archive.document import latin_key
from archive.search.analysis import (
    TOKEN_RE,
    ArchiveAnalyzer,
    Keywords,
    LangText,
    QueryTerms,
    StemmedText,
    TermNumbers,
    fold,
    fold_text,
    language,
    words,
)
from archive.storage.store import Corpus

SAMPLES = [
    "The 1949 Geneva Conventions and the 1977 Protocols: mines, mined areas, mine-maps!",
    "Ulmiborqu court bornabormi court, court; a I x e.g. U.N. 3,171 civilians",
    "Umud Mirzəyev — Azərbaycan «кириллица» 1.5.2021",
    "",
]


@pytest.fixture(scope="module")
def texts(bundled_config: Config) -> list[str]:
    docs = list(Corpus(bundled_config).documents())
    return SAMPLES + [d.text for d in docs] + [d.abstract for d in docs] + [d.title for d in docs]


def postings(field, text):
    """(term, frequency, weight, positions) as the field's own format decodes them."""
    return sorted(
        (
            term,
            freq,
            weight,
            field.format.decode_positions(value),
            field.format.decode_frequency(value),
        )
        for term, freq, weight, value in field.index(text)
    )


def plain(texts: list[str]) -> list[str]:
    """Texts no word of which folding changes: there the terms are Whoosh's own (folded
    words are tested below)."""
    return [t for t in texts if all(fold(w) == w for w in TOKEN_RE.findall(t.lower()))]


def test_stemmed_text_indexes_like_whoosh_text(texts):
    fast, whoosh = StemmedText(), TEXT(analyzer=StemmingAnalyzer())
    assert len(plain(texts)) >= 8
    for text in plain(texts):
        assert postings(fast, text) == postings(whoosh, text), text[:60]


def test_analyzer_tokens_match_whoosh_stemming_analyzer(texts):
    for text in plain(texts):
        ours = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in ArchiveAnalyzer()(text, positions=True, chars=True)
        ]
        theirs = [
            (t.text, t.pos, t.startchar, t.endchar)
            for t in StemmingAnalyzer()(text, positions=True, chars=True)
        ]
        assert ours == theirs


def test_unstemmed_words_for_spelling(texts):
    for text in texts:
        assert [t.text for t in ArchiveAnalyzer()(text, nomorph=True)] == words(text, morph=False)


def test_keywords_index_like_whoosh_keyword():
    for value in ("gc-1949 gc-1949-i org:un", "", "en en fr", "2020 2021"):
        fast, whoosh = Keywords(), KEYWORD(lowercase=False, scorable=False)
        assert sorted(fast.index(value)) == sorted(whoosh.index(value))


# --- languages, folding, exact spellings (index format 5) -----------------------------


def terms(value: str) -> dict[str, list[int]]:
    return StemmedText().term_positions(value)


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Mirzəyev", "mirzayev"),
        ("Kərimoğlu", "karimoglu"),
        ("ŞAHİN", "sahin"),
        ("Çələbi", "calabi"),
        ("Gümüş", "gumus"),
        ("Øresund", "oresund"),
        ("Straße", "strasse"),
        ("Ёлка", "елка"),
    ],
)
def test_folding_drops_the_marks_a_reader_leaves_out(written, typed):
    assert fold(written.lower()) == typed


def test_folding_keeps_cyrillic_letters_of_their_own():
    # й is a letter of Russian, not и with a mark: folding it would defeat the stemmer.
    assert fold("новый") == "новый"
    assert language("ru").term("новый") == language("ru").term("новое")


def test_folded_text_keeps_its_length():
    text = "İbrahimov, Mirzəyev; ёлка"
    assert len(fold_text(text)) == len(text)
    assert fold_text(text).startswith("ibrahimov, mirzayev")


def test_russian_inflections_share_a_term():
    field = StemmedText()
    found = field.term_positions(LangText("Заявление о минных полях. Заявления, заявлению.", "ru"))
    assert found[language("ru").term("заявлениями")] == [0, 3, 4]
    # "о" is a Russian stop word: the positions run on without it, as in English.
    assert found[language("ru").term("минными")] == [1]


def test_each_language_is_stemmed_by_its_own_stemmer():
    english = terms(LangText("mines", "en"))
    french = terms(LangText("mines", "fr"))
    assert english == {"mine": [0]} and french == {"min": [0]}
    # No stemmer for the language: folded words, unstemmed, no stop words.
    assert terms(LangText("the Mines", "und")) == {"the": [0], "mines": [1]}


def test_a_word_with_special_letters_also_has_its_exact_term():
    found = terms(LangText("Umud Mirzəyev, Umud Mirzayev", "az"))
    assert found["mirzayev"] == [1, 3]
    assert found["=mirzəyev"] == [1]
    # Both spellings are here: no marker.
    assert "!mirzayev" not in found
    only_special = terms(LangText("Umud Mirzəyev", "az"))
    assert only_special["!mirzayev"] == [1]


def test_parts_in_another_language_are_analysed_in_theirs():
    text = "Mines were laid. Мины заложены в полях. Mines remain."
    start = text.index("Мины")
    end = text.index(" Mines remain")
    found = terms(LangText(text, "en", [(start, end, "ru")]))
    assert found["mine"] == [0, 6]
    assert language("ru").term("полях") in found
    assert found["remain"] == [7]


def test_lang_text_is_a_plain_string_to_everything_else():
    import pickle

    value = LangText("Заявление", "ru-Cyrl", [(0, 3, "en")])
    again = pickle.loads(pickle.dumps(value))
    assert again == "Заявление" and again.lang == "ru-Cyrl" and again.parts == ((0, 3, "en"),)


def test_latin_key_of_names_in_other_scripts():
    assert latin_key("Мирзаев") == "Mirzaev"
    assert latin_key("Միրզաև") == "Mirzaev"
    assert latin_key("Mirzəyev") == ""  # Latin letters already: folding covers it


def test_query_terms_mark_words_in_any_of_their_languages():
    marks = QueryTerms({"mine", language("ru").term("заявления")}, ("en", "ru"))
    assert marks.matches("Mined") and marks.matches("Заявлением")
    assert not marks.matches("maps")


# --- the bulk build's analysis (TermNumbers) ----------------------------------------------


def test_token_pattern_finds_what_whoosh_default_pattern_finds(texts):
    from whoosh.analysis.tokenizers import default_pattern

    tricky = [
        "a..b a.b. .a. e.g. U.N. 1.5.2021 x_y __ _a. a._b 3,171 end.",
        "Mirzəyev.Ёлка ŞAHİN. ²³.½ a.²",
        "...",
        ". a",
        "a .b",
        "naïve café. über.",
        "\u0301a.\u0301",
    ]
    for text in tricky + texts:
        assert TOKEN_RE.findall(text) == [m[0] for m in default_pattern.finditer(text)], text


def numbered_terms(numbers: TermNumbers, value: str) -> dict[str, list[int]]:
    """What `codes` gives, as `term_positions` gives it: each term's positions."""
    codes, positions = numbers.codes(value)
    names = {number + 1: term for term, number in numbers.terms.items()}
    assert len(codes) == len(list(positions))
    found: dict[str, list[int]] = {}
    for code, pos in zip(codes, positions, strict=True):
        found.setdefault(names[code], []).append(pos)
    return found


def test_term_numbers_give_the_terms_and_positions_of_term_positions(texts):
    mixed = "Mines were laid. Мины заложены в полях. Mines remain."
    start, end = mixed.index("Мины"), mixed.index(" Mines remain")
    values = [
        *texts,
        LangText("Umud Mirzəyev, Umud Mirzayev", "az"),
        LangText("Umud Mirzəyev Mirzəyevə, Müller, Straße. Müllers", "az"),
        LangText("the the a Mirzəyev über über ueber", "de"),
        LangText("Der Müller und die Straße: Müller, Mueller, Strasse.", "de"),
        LangText("À côté de l'école, les élèves; a côte", "fr"),
        LangText("Заявление о минных полях. Ёлка, елка.", "ru"),
        LangText(mixed, "en", [(start, end, "ru")]),
        LangText("the of and", "en"),
        LangText("Mirzəyev ; Мирзаев ; Mirzaev", "und"),
    ]
    numbers = TermNumbers({})
    for _ in range(2):  # the second time every word is in the memo
        for value in values:
            assert numbered_terms(numbers, value) == StemmedText().term_positions(value), value
