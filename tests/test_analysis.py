"""archive/search/analysis.py gives exactly the terms, positions and frequencies Whoosh's own
analysis gives, only faster."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import KEYWORD, TEXT

from archive.config import Config
from archive.search.analysis import ArchiveAnalyzer, Keywords, StemmedText, words
from archive.storage.store import Corpus

SAMPLES = [
    "The 1949 Geneva Conventions and the 1977 Protocols: mines, mined areas, mine-maps!",
    "Ulmiborqu court bornabormi court, court; a I x e.g. U.N. 3,171 civilians",
    "Umud Mirzəyev — Azərbaycan «кириллица» 1.5.2021",
    "",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = list(Corpus(Config()).documents())
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


def test_stemmed_text_indexes_like_whoosh_text(texts):
    fast, whoosh = StemmedText(), TEXT(analyzer=StemmingAnalyzer())
    for text in texts:
        assert postings(fast, text) == postings(whoosh, text), text[:60]


def test_analyzer_tokens_match_whoosh_stemming_analyzer(texts):
    for text in texts:
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
