"""Snippets (archive.search.snippets) found the fast way in ASCII texts are the snippets of the
general scan: compared with the general scan as it stood before the fast path (kept here as
the reference) over texts and terms drawn by hypothesis, and over the test corpus."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import SearchEngine
from archive.search import snippets as snippets_module
from archive.search.analysis import (
    _FOLD_TABLE,
    MIN_SIZE,
    TOKEN_RE,
    QueryTerms,
    fold_text,
    language,
    lower,
)
from archive.search.snippets import SNIPPET_CHARS, snippet

# --- the reference: snippets.py's scan before the ASCII scan (commit 542e225); the passage
# around the hits is the module's own (`_passage`), which the scan did not change -------


def reference_snippet(text: str, stems: set[str], width: int = SNIPPET_CHARS) -> str:
    if not text:
        return ""
    hits: list[tuple[int, int]] = []
    if stems:
        terms = stems if isinstance(stems, QueryTerms) else QueryTerms(stems)
        for match in _reference_candidates(terms).finditer(fold_text(text)):
            word = text[match.start() : match.end()]
            if len(word) >= MIN_SIZE and terms.matches(word):
                hits.append(match.span())
                if len(hits) >= 6:
                    break
    return snippets_module._passage(text, hits, width)


@lru_cache(maxsize=512)
def _reference_candidates(terms: QueryTerms) -> re.Pattern[str]:
    prefixes = sorted(terms.prefixes(), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.IGNORECASE)


# --- texts and terms ------------------------------------------------------------------------

# Words that stem alike, share beginnings, hide a prefix inside a longer word, differ by case,
# or hold letters that case-insensitive matching treats specially (the Kelvin sign, long s,
# dotless i, final sigma, ligatures).
_ASCII_WORDS = [
    "mine", "Mines", "MINED", "mining", "landmine", "minefield", "minefields", "determined",
    "map", "maps", "Mapped", "mapping", "remap", "tern", "ternem", "internal", "terne",
    "appeal", "appeals", "appealing", "Geneva", "geneva", "conventions", "convention",
    "e.g", "1.5", "i.e.", "12", "2021", "_x", "under_score", "x_mine", "mine_x", "a", "I",
    "st", "k", "key", "Kelvin", "is", "as", "ss", "street", "fire", "the", "and", "of",
    "Mirzayev", "mirzayev", "karabakh", "Karabakh", "ganja", "anama", "ANAMA",
]  # fmt: skip
_OTHER_WORDS = [
    "Mirzəyev", "MİRZƏYEV", "Gəncə", "ılıq", "İstanbul", "карты", "Карта", "КАРТЫ", "мины",
    "σοφός", "ΣΟΦΟΣ", "σοφοσ", "straße", "STRASSE", "ﬁre", "ﬁres", "\u212aey", "ſtreet",
    "naïve", "Ünïcode", "ԱՀ", "٣", "²", "µ", "μm", "ℌilbert", "ＭＩＮＥ", "Ｍines", "ⅻ", "Ⅻ",
    "Şuşa", "çöl", "Ağdam", "naïf", "MÜNCHEN",
]  # fmt: skip
_GAPS = [" ", " ", " ", "  ", "\n", ", ", ". ", "-", "'", "(", ") ", " & ", " <", "> ", '"', "…"]
_LANGUAGES = ["en", "en", "ru", "az", "tr", "de", "und"]


def _text(words: list[str], gaps: list[str]) -> str:
    return "".join(w + g for w, g in zip(words, gaps, strict=False)) + (words[-1] if words else "")


_ascii_text = st.builds(
    _text,
    st.lists(st.sampled_from(_ASCII_WORDS), max_size=150),
    st.lists(st.sampled_from([g for g in _GAPS if g.isascii()]), max_size=150),
)
_FOLDING_TO_ASCII = ["Mirzəyev", "MİRZƏYEV", "Gəncə", "ılıq", "naïve", "Şuşa", "çöl", "Ağdam",
                     "ℌilbert", "ＭＩＮＥ", "Ｍines", "MÜNCHEN", "ſtreet", "\u212aey"]  # fmt: skip
_any_text = st.one_of(
    _ascii_text,
    st.builds(
        _text,
        st.lists(st.sampled_from(_ASCII_WORDS + _FOLDING_TO_ASCII), max_size=150),
        st.lists(st.sampled_from([g for g in _GAPS if g.isascii()]), max_size=150),
    ),
    st.builds(
        _text,
        st.lists(st.sampled_from(_ASCII_WORDS + _OTHER_WORDS), max_size=150),
        st.lists(st.sampled_from(_GAPS), max_size=150),
    ),
    st.text(max_size=400),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=400),
)


def query_terms(words: list[str], languages: list[str], exact: bool) -> QueryTerms:
    """The terms a search for `words` matches, as query.py analyses them."""
    terms = {
        term
        for word in words
        for code in languages
        for term in language(code).query_terms(lower(word), exact)
    }
    return QueryTerms(terms, languages)


_query_words = st.lists(
    st.one_of(
        st.sampled_from(_ASCII_WORDS + _OTHER_WORDS),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzK_.ſıə", min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=600,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    text=_any_text,
    words=_query_words,
    languages=st.lists(st.sampled_from(_LANGUAGES), min_size=1, max_size=3, unique=True),
    exact=st.booleans(),
    width=st.sampled_from([SNIPPET_CHARS, SNIPPET_CHARS, 40, 8]),
)
def test_snippets_are_those_of_the_general_scan(
    text: str, words: list[str], languages: list[str], exact: bool, width: int
) -> None:
    terms = query_terms(words, languages, exact)
    assert snippet(text, terms, width) == reference_snippet(text, terms, width)


@settings(max_examples=300, deadline=None, database=None)
@given(text=_ascii_text, picks=st.lists(st.integers(min_value=0), min_size=1, max_size=3))
def test_snippets_of_ascii_texts_searched_for_their_own_words(text: str, picks: list[int]) -> None:
    """Words taken from the text itself, so that most draws mark something."""
    words = TOKEN_RE.findall(text) or ["mine"]
    terms = query_terms([words[i % len(words)] for i in picks], ["en"], False)
    assert snippet(text, terms) == reference_snippet(text, terms)


@settings(max_examples=300, deadline=None, database=None)
@given(
    text=_any_text,
    terms=st.lists(
        st.text(alphabet="abcdeikmnpst_.1K\u212aſıİəσςкар =!", min_size=1, max_size=7),
        min_size=1,
        max_size=4,
    ),
)
def test_snippets_for_any_terms(text: str, terms: list[str]) -> None:
    """Terms as no analysis makes them (capitals, dots, the Kelvin sign, long s): whatever
    the fast scan is not sure of it leaves to the general one."""
    found = QueryTerms(terms)
    assert snippet(text, found) == reference_snippet(text, found)


@pytest.mark.parametrize("word", _FOLDING_TO_ASCII + _OTHER_WORDS)
@pytest.mark.parametrize("exact", [False, True])
def test_snippets_of_words_whose_letters_fold(word: str, exact: bool) -> None:
    """A word with letters that fold (to capitals, too: ℌ -> H) found in a text of it."""
    text = f"Of {word}, x{word} and {word.upper()} {lower(word)} ({word}) {'filler ' * 40}{word}."
    terms = query_terms([word], ["en", "az", "ru"], exact)
    assert snippet(text, terms) == reference_snippet(text, terms)


def _reference_fold(text: str) -> str:
    """fold_text as it was: each character through the fold table's dict."""
    return text.lower() if text.isascii() else text.translate(_FOLD_TABLE)


@settings(max_examples=500, deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=300),
        st.builds(_text, st.lists(st.sampled_from(_OTHER_WORDS)), st.lists(st.sampled_from(_GAPS))),
    )
)
def test_texts_fold_as_the_fold_table_folds_them(text: str) -> None:
    assert fold_text(text) == _reference_fold(text)


@pytest.mark.parametrize(
    "text", ["İstanbul ẞ ß", "\x00ə\x00", "a\ud800b ə", "𝐀𝐁 ə", "ǅ ǈ ﬁ Ⅻ ℌ \u212a", "ё Ё й Й"]
)
def test_odd_letters_fold_as_the_fold_table_folds_them(text: str) -> None:
    assert fold_text(text) == _reference_fold(text)


def test_ascii_texts_take_the_fast_scan() -> None:
    """The comparisons above compare something: plain terms are scanned the fast way, one
    pattern a word left after those that begin with another are dropped."""
    terms = query_terms(["ternem", "terne", "tern", "maps"], ["en"], False)
    scans = snippets_module._ascii_candidates(terms)
    assert scans is not None
    assert sorted(p.pattern for p in scans) == [r"ma\w*", r"ter\w*"]
    # The Kelvin sign matches "k" case-insensitively: a prefix of it is kept, as "k".
    assert snippets_module._ascii_matches("\u212a") == "k"
    assert snippets_module._ascii_matches("ſ") == "s"
    assert snippets_module._ascii_matches("ı") == "i"
    assert snippets_module._ascii_matches("ə") == ""
    # Terms that no ASCII text can hold: nothing to scan.
    assert snippets_module._ascii_candidates(query_terms(["карты"], ["ru"], False)) == ()


@pytest.mark.parametrize(
    "words",
    [["mine"], ["maps"], ["mine", "maps"], ["Mirzayev"], ["Mirzəyev"], ["карты"], ["geneva"]],
)
@pytest.mark.parametrize("exact", [False, True])
def test_snippets_of_the_test_corpus(engine: SearchEngine, words: list[str], exact: bool) -> None:
    """Every document of the test corpus (English, Azerbaijani, Russian), its body and its
    title, for words of each language."""
    with engine._using() as snap:
        records = [snap.stored_fields(d) for d in range(snap.size)]
    terms = query_terms(words, ["en", "az", "ru"], exact)
    for record in records:
        for text in (record.get("body", ""), record.get("title", "")):
            assert snippet(text, terms) == reference_snippet(text, terms)
